import type { ServerSpec } from '../../functions/lib/manifest';
import type { SourceServerView } from '../../functions/lib/ports';
import { agentUserProvidedId, isSameServer, matchSourceServers } from '../../functions/lib/source-servers';

const view = (over: Partial<SourceServerView>): SourceServerView => ({
  sourceServerId: 's-00000000000000001',
  isArchived: false,
  hints: {},
  totalBytes: 0,
  replicatedBytes: 0,
  backloggedBytes: 0,
  ...over,
});

const ec2: ServerSpec = {
  name: 'web-01',
  os: 'linux',
  source: { type: 'ec2', instanceId: 'i-0a1b2c3d4e5f60711', region: 'ap-southeast-1' },
};
const onpremNamed: ServerSpec = {
  name: 'db-01',
  os: 'linux',
  source: { type: 'onprem', managedInstanceId: 'mi-0a1b2c3d4e5f60701', hostname: 'db-01.corp.example' },
};
const onpremBare: ServerSpec = {
  name: 'batch-01',
  os: 'linux',
  source: { type: 'onprem', managedInstanceId: 'mi-0a1b2c3d4e5f60703' },
};

describe('matching manifest servers to MGN source servers', () => {
  it('installs a bare on-prem host (no hostname, no userProvidedId) with its managed instance id, and matches it by that', () => {
    expect(agentUserProvidedId(onpremBare)).toBe('mi-0a1b2c3d4e5f60703');
    expect(
      isSameServer(
        onpremBare,
        view({ userProvidedId: 'mi-0a1b2c3d4e5f60703', hints: { hostname: 'localhost' } }),
      ),
    ).toBe(true);
    expect(isSameServer(onpremBare, view({ userProvidedId: 'mi-0a1b2c3d4e5f60704' }))).toBe(false);
  });

  it('gives hosts MGN can recognise by a hint no user-provided id, so their install commands stay batchable', () => {
    expect(agentUserProvidedId(ec2)).toBeUndefined();
    expect(agentUserProvidedId(onpremNamed)).toBeUndefined();
    expect(agentUserProvidedId({ ...ec2, userProvidedId: 'cmdb:4711' })).toBe('cmdb:4711');
  });

  it('matches EC2 sources by awsInstanceID and on-prem sources by fqdn or short hostname', () => {
    expect(isSameServer(ec2, view({ hints: { awsInstanceId: 'i-0a1b2c3d4e5f60711' } }))).toBe(true);
    expect(isSameServer(ec2, view({ hints: { awsInstanceId: 'i-0a1b2c3d4e5f60712' } }))).toBe(false);
    expect(isSameServer(onpremNamed, view({ hints: { fqdn: 'DB-01.corp.example' } }))).toBe(true);
    expect(isSameServer(onpremNamed, view({ hints: { fqdn: 'db-02.corp.example' } }))).toBe(false);
  });

  it('never matches an archived source server (a re-run must not pick up a finished migration)', () => {
    const archived = view({ isArchived: true, userProvidedId: 'mi-0a1b2c3d4e5f60703' });
    expect(matchSourceServers([onpremBare], [archived]).size).toBe(0);
  });
});

describe('matching archived source servers', () => {
  const spec = {
    name: 'web-01',
    os: 'linux' as const,
    source: { type: 'ec2' as const, instanceId: 'i-0a1b2c3d4e5f60711', region: 'ap-southeast-1' },
  };
  const view = (over: Partial<SourceServerView>) =>
    ({ sourceServerId: 's-1', hints: { awsInstanceId: 'i-0a1b2c3d4e5f60711' }, isArchived: false, lifecycleState: 'READY_FOR_TEST', ...over }) as SourceServerView;

  it('takes a finalised, archived server as the migrated host, so a re-run never installs it again', () => {
    const matched = matchSourceServers([spec], [view({ sourceServerId: 's-old', isArchived: true, lifecycleState: 'CUTOVER' })]);
    expect(matched.get('web-01')?.sourceServerId).toBe('s-old');
  });

  it('prefers a live server, and ignores an archived one that never cut over', () => {
    const both = [view({ sourceServerId: 's-old', isArchived: true, lifecycleState: 'CUTOVER' }), view({ sourceServerId: 's-new' })];
    expect(matchSourceServers([spec], both).get('web-01')?.sourceServerId).toBe('s-new');
    expect(matchSourceServers([spec], [view({ isArchived: true, lifecycleState: 'READY_FOR_TEST' })]).has('web-01')).toBe(false);
  });
});

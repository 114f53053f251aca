import { commandOutcome } from '../../functions/lib/command-results';
import { failServer, mark, type ServerRecord } from '../../functions/lib/run-state';
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

describe('reading a failed command', () => {
  const invocation = (output: string) =>
    ({ instanceId: 'i-0a1b2c3d4e5f60711', status: 'Failed', output }) as Parameters<typeof commandOutcome>[1];

  it('leads with the FAIL/Error lines and keeps the output tail for context', () => {
    const outcome = commandOutcome(
      'agent install',
      invocation('Downloading...\nError: Failed to download installation files\nInstallation failed.'),
    );
    expect(outcome).toEqual({
      kind: 'failure',
      reason:
        'agent install Failed: Error: Failed to download installation files\n--- output tail ---\nDownloading...\nError: Failed to download installation files\nInstallation failed.',
    });
  });

  it('keeps output that is nothing but the failure lines as it is', () => {
    expect(commandOutcome('smoke checks', invocation('FAIL tcp:22\nFAIL service:sshd'))).toEqual({
      kind: 'failure',
      reason: 'smoke checks Failed: FAIL tcp:22; FAIL service:sshd',
    });
  });
});

describe('a server timeline', () => {
  const record = (): ServerRecord => ({
    name: 'web-01',
    os: 'linux',
    sourceInstanceId: 'i-0a1b2c3d4e5f60711',
    ssmRegion: 'ap-southeast-1',
    status: 'active',
    launches: { test: 0, cutover: 0 },
    timeline: [],
  });

  it('records each phase once however many polls look at the server', () => {
    const r = record();
    for (let poll = 0; poll < 5; poll += 1) {
      const at = new Date(Date.UTC(2026, 0, 5, 8, poll));
      mark(r, 'replication', 'started', at);
      if (poll >= 2) mark(r, 'replication', 'done', at);
    }
    expect(r.timeline).toEqual([
      { phase: 'replication', status: 'started', at: '2026-01-05T08:00:00.000Z' },
      { phase: 'replication', status: 'done', at: '2026-01-05T08:02:00.000Z' },
    ]);
  });

  it('records a failure after a start, with the reason kept on the record', () => {
    const r = record();
    mark(r, 'test-launch', 'started', new Date(Date.UTC(2026, 0, 5, 9)));
    failServer(r, 'test-launch', 'launch job ended with FAILED', new Date(Date.UTC(2026, 0, 5, 10)));
    expect(r.timeline.map((e) => e.status)).toEqual(['started', 'failed']);
    expect(r).toMatchObject({
      status: 'failed',
      failure: { phase: 'test-launch', reason: 'launch job ended with FAILED' },
    });
  });
});

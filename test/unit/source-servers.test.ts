import { commandOutcome } from '../../functions/lib/command-results';
import { parseManifest, type ServerSpec } from '../../functions/lib/manifest';
import type { MgnPort, SourceServerView } from '../../functions/lib/ports';
import { failServer, mark, newRunState, type ServerRecord } from '../../functions/lib/run-state';
import {
  agentUserProvidedId,
  DISCONNECTED_REASON,
  isDisconnectedUnmigrated,
  isFinalized,
  isSameServer,
  matchSourceServers,
  reached,
  readWave,
  serversInPhase,
} from '../../functions/lib/source-servers';

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
    const matched = matchSourceServers([spec], [view({ sourceServerId: 's-old', isArchived: true, lifecycleState: 'CUTOVER', lastCutoverFinalizedAt: '2026-01-05T07:00:00Z' })]);
    expect(matched.get('web-01')?.sourceServerId).toBe('s-old');
  });

  it('prefers a live server, and ignores an archived one that never cut over', () => {
    const both = [view({ sourceServerId: 's-old', isArchived: true, lifecycleState: 'CUTOVER' }), view({ sourceServerId: 's-new' })];
    expect(matchSourceServers([spec], both).get('web-01')?.sourceServerId).toBe('s-new');
    expect(matchSourceServers([spec], [view({ isArchived: true, lifecycleState: 'READY_FOR_TEST' })]).has('web-01')).toBe(false);
  });

  it('ignores an archived server that was disconnected before its cutover was finalized, so the host is installed afresh', () => {
    const disconnected = view({ sourceServerId: 's-old', isArchived: true, lifecycleState: 'DISCONNECTED' });
    expect(matchSourceServers([spec], [disconnected]).has('web-01')).toBe(false);
    // disconnected after a finalized cutover: migrated
    const afterCutover = { ...disconnected, lastCutoverFinalizedAt: '2026-01-05T07:00:00Z' };
    expect(matchSourceServers([spec], [afterCutover]).get('web-01')?.sourceServerId).toBe('s-old');
  });
});

describe('migrated means the last cutover was finalized', () => {
  const FINALIZED = '2026-01-05T07:00:00Z';
  it.each([
    ['CUTOVER', FINALIZED, true],
    ['DISCONNECTED', FINALIZED, true],
    ['DISCONNECTED', undefined, false],
    // ChangeServerLifeCycleState CUTOVER without FinalizeCutover
    ['CUTOVER', undefined, false],
    ['CUTTING_OVER', undefined, false],
    // a finalized cutover followed by a new replication: MGN's last-cutover record is the old one
    ['READY_FOR_TEST', FINALIZED, false],
  ] as const)('%s with finalized %s: migrated %s', (lifecycleState, lastCutoverFinalizedAt, migrated) => {
    expect(isFinalized(view({ lifecycleState, lastCutoverFinalizedAt }))).toBe(migrated);
  });

  it('a server disconnected unmigrated has reached no lifecycle state, so no phase skips it as done', () => {
    const disconnected = view({ lifecycleState: 'DISCONNECTED' });
    expect(isDisconnectedUnmigrated(disconnected)).toBe(true);
    for (const state of ['READY_FOR_TEST', 'TESTING', 'CUTTING_OVER', 'CUTOVER'] as const)
      expect({ state, reached: reached(disconnected, state) }).toEqual({ state, reached: false });
    const migrated = view({ lifecycleState: 'DISCONNECTED', lastCutoverFinalizedAt: FINALIZED });
    expect(isDisconnectedUnmigrated(migrated)).toBe(false);
    expect(reached(migrated, 'CUTOVER')).toBe(true);
  });

  it('every phase sets a disconnected, unmigrated server aside with the reason instead of skipping it', () => {
    const state = newRunState(
      parseManifest({
        waveId: 'w',
        targetRegion: 'ap-south-1',
        endpoints: {
          mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com',
          s3: 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.ap-south-1.vpce.amazonaws.com',
        },
        servers: [ec2, { ...ec2, name: 'web-02', source: { ...ec2.source, instanceId: 'i-0a1b2c3d4e5f60712' } }],
      }),
      'run-1',
    );
    const views = new Map([
      ['web-01', view({ lifecycleState: 'DISCONNECTED' })],
      ['web-02', view({ lifecycleState: 'DISCONNECTED', lastCutoverFinalizedAt: FINALIZED })],
    ]);
    const at = new Date('2026-01-05T08:00:00Z');
    const left = serversInPhase(state, views, 'test-launch', at, 'TESTING');
    expect(left).toEqual([]);
    expect(state.servers[0]).toMatchObject({ status: 'failed', failure: { phase: 'test-launch', reason: DISCONNECTED_REASON } });
    expect(state.servers[1].status).toBe('active'); // migrated: skipped as done
    expect(DISCONNECTED_REASON).toMatch(/reinstall the agent on the source or archive the source server in MGN, then re-run the wave$/);
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

describe('reading the wave from MGN (one read per poll)', () => {
  const servers: ServerSpec[] = Array.from({ length: 450 }, (_, i) => ({
    name: `app-${i}`,
    os: 'linux',
    source: { type: 'ec2', instanceId: `i-0b${i.toString(16).padStart(15, '0')}`, region: 'ap-southeast-1' },
  }));
  const manifest = parseManifest({
    waveId: 'w1',
    targetRegion: 'ap-south-1',
    endpoints: {
      mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com',
      s3: 'vpce-0f1e2d3c4b5a69788-efgh5678.s3.ap-south-1.vpce.amazonaws.com',
    },
    servers,
  });
  const mgnOf = (known: SourceServerView[]) => {
    const calls: string[] = [];
    const port = {
      listSourceServers: async () => {
        calls.push('list');
        return known.filter((k) => !k.isArchived);
      },
      describeSourceServers: async (ids: readonly string[]) => {
        // as the adapter does: one call per 200 ids
        for (let i = 0; i < ids.length; i += 200) calls.push(`describe ${Math.min(200, ids.length - i)}`);
        return known.filter((k) => ids.includes(k.sourceServerId));
      },
    } as unknown as MgnPort;
    return { port, calls };
  };
  const known = servers.map((s, i) =>
    view({
      sourceServerId: `s-${String(i).padStart(17, '0')}`,
      hints: { awsInstanceId: (s.source as { instanceId: string }).instanceId },
    }),
  );

  it('answers a poll with missing ids from the listing alone, and keeps the ids it matched', async () => {
    const state = newRunState(manifest, 'run-1');
    state.servers[0].sourceServerId = known[0].sourceServerId;
    const { port, calls } = mgnOf(known);
    const views = await readWave(port, manifest, state);
    expect(calls).toEqual(['list']);
    expect(views.size).toBe(450);
    expect(state.servers[449].sourceServerId).toBe(known[449].sourceServerId);
  });

  it('describes by id, 200 per call, once every id is known; a server archived since is described too', async () => {
    const state = newRunState(manifest, 'run-1');
    state.servers.forEach((r, i) => (r.sourceServerId = known[i].sourceServerId));
    const { port, calls } = mgnOf(known);
    expect((await readWave(port, manifest, state)).size).toBe(450);
    expect(calls).toEqual(['describe 200', 'describe 200', 'describe 50']);

    const archived = known.map((k, i) => (i === 7 ? { ...k, isArchived: true } : k));
    state.servers[9].sourceServerId = undefined;
    const again = mgnOf(archived);
    const views = await readWave(again.port, manifest, state);
    expect(again.calls).toEqual(['list', 'describe 1']);
    expect(views.get('app-7')?.isArchived).toBe(true);
  });

  it('reads servers set aside whose target instance is still being retired in the same calls', async () => {
    const state = newRunState(manifest, 'run-1');
    state.servers.forEach((r, i) => (r.sourceServerId = known[i].sourceServerId));
    state.servers[3].status = 'failed';
    state.servers[3].cleanup = {
      purpose: 'test-failed',
      to: 'READY_FOR_TEST',
      lifecycleChanged: false,
      finished: false,
    };
    state.servers[4].status = 'failed';
    const { port, calls } = mgnOf(known);
    const views = await readWave(port, manifest, state);
    expect(calls).toEqual(['describe 200', 'describe 200', 'describe 49']);
    expect(views.has('app-3')).toBe(true);
    expect(views.has('app-4')).toBe(false);
  });
});

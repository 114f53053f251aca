import 'aws-sdk-client-mock-jest';
import { waitReplication } from '../../../functions/lib/flow/wait-replication';
import { nextReplicationWait } from '../../../functions/lib/replication-timing';
import type { WaveContext } from '../../../functions/lib/wave-context';
import { executionArnOf, FakeWorld, waveOf } from '../../asl/fake-world';
import { DescribeSourceServersCommand, mockMgn } from '../mgn-mock';
import { readRecords, sdkServer, sdkTestbed, startedWave } from './sdk-deps';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import * as mgnSdk from '@aws-sdk/client-mgn';

/** History events one poll costs: Task (5), Choice (2), Wait (2). */
const EVENTS_PER_POLL = 9;

async function pollUntilDone(world: FakeWorld): Promise<{ polls: number; doneAtMs: number; ctx: WaveContext }> {
  const deps = world.deps();
  let ctx = await validateWave({ input: world.manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, deps);
  let polls = 0;
  for (;;) {
    ctx = await waitReplication(ctx, deps);
    polls += 1;
    if (ctx.done) return { polls, doneAtMs: world.nowMs, ctx };
    world.advance(ctx.waitSeconds);
  }
}

describe('wait-replication', () => {
  it('a 14-day initial sync takes few polls (far below 25,000 history events) and ends within a few % of the fleet finishing', async () => {
    const manifest = waveOf(5, { replicationTimeoutHours: 720 });
    const world = new FakeWorld(manifest, { diskBytes: 14 * 86400 * 1000, bytesPerSecond: 1000 });
    const start = world.nowMs;
    for (const s of manifest.servers) world.addKnownServer(s.name, 'NOT_READY', start);

    const { polls, doneAtMs, ctx } = await pollUntilDone(world);

    expect(polls * EVENTS_PER_POLL).toBeLessThan(2500);
    const fleetSeconds = 14 * 86400;
    const idle = (doneAtMs - start) / 1000 - fleetSeconds;
    expect(idle).toBeGreaterThanOrEqual(0);
    expect(idle / fleetSeconds).toBeLessThan(0.03);
    expect(ctx.progress).toMatchObject({ readyServers: 5, percent: 100, stalledServers: 0 });
  });

  it('a short wave does not idle long either: a 1-hour sync ends within a few % of its finish', async () => {
    const manifest = waveOf(2);
    const world = new FakeWorld(manifest, { diskBytes: 3600 * 1000, bytesPerSecond: 1000 });
    const start = world.nowMs;
    for (const s of manifest.servers) world.addKnownServer(s.name, 'NOT_READY', start);
    const { doneAtMs } = await pollUntilDone(world);
    expect((doneAtMs - start) / 1000 - 3600).toBeLessThan(0.05 * 3600);
  });

  it('reports per-server state, progress, ETA and STALLED, and sets a server aside at its timeout', async () => {
    const manifest = waveOf(2, { replicationTimeoutHours: 2 });
    const world = new FakeWorld(manifest, { faults: { 'srv-001': 'replication-stalls' }, diskBytes: 10_000_000, bytesPerSecond: 1000 });
    for (const s of manifest.servers) world.addKnownServer(s.name, 'NOT_READY', world.nowMs);
    const deps = world.deps();
    let ctx = await validateWave({ input: manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, deps);
    world.advance(4500);
    ctx = await waitReplication(ctx, deps);
    const mid = (await readRecords({ deps } as never, ctx)).servers;
    expect(mid[0].replication).toMatchObject({ state: 'INITIAL_SYNC', percent: 45, stalled: false, etaSeconds: 5500 });
    expect(mid[1].replication).toMatchObject({ state: 'STALLED', percent: 40, stalled: true });
    expect(ctx.progress).toMatchObject({ readyServers: 0, stalledServers: 1, percent: 42.5 });
    while (!(await readRecords({ deps } as never, ctx)).servers[1].failure) {
      world.advance(ctx.waitSeconds);
      ctx = await waitReplication(ctx, deps);
    }
    const end = (await readRecords({ deps } as never, ctx)).servers;
    // noticed on time: within one short poll of the 2-hour deadline
    const failedAt = Date.parse(end[1].timeline.at(-1)!.at) - Date.parse(end[1].replication!.startedAt);
    expect(failedAt / 1000).toBeGreaterThanOrEqual(7200);
    expect(failedAt / 1000).toBeLessThanOrEqual(7200 + 300);
    expect(end[1]).toMatchObject({ status: 'failed', failure: { phase: 'replication' } });
    expect(end[1].failure?.reason).toBe(
      'replication STALLED (FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER) at 40% after 2h (options.replicationTimeoutHours); lifecycle NOT_READY',
    );
    expect(end[0].status).toBe('active');
  });

  it('asks MGN for at most 200 source server ids per DescribeSourceServers call', async () => {
    const mgn = mockMgn();
    const manifest = waveOf(401);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const servers = manifest.servers.map((s, i) => sdkServer(`s-${String(i).padStart(17, '0')}`, (s.source as { instanceId: string }).instanceId));
    mgn.on(DescribeSourceServersCommand).callsFake((input) => ({
      items: input.filters?.sourceServerIDs ? servers.filter((s) => input.filters.sourceServerIDs.includes(s.sourceServerID)) : servers,
    }));

    // First poll: ids unknown, so the one listing that matches them is the whole read.
    const first = await waitReplication(ctx, bed.deps);
    // the listing includes archived servers: a finalised, archived one is a server already migrated
    expect(mgn.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.filters)).toEqual([{}]);
    expect(first).toMatchObject({ done: true, lastCompletedPhase: 'replication', progress: { readyServers: 401, percent: 100 } });

    // With every id known, a poll describes them 200 at a time: ceil(401 / 200) calls.
    mgn.resetHistory();
    const next = await waitReplication(ctx, bed.deps);
    const calls = mgn.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.filters);
    expect(calls.map((f) => f.sourceServerIDs.length)).toEqual([200, 200, 1]);
    expect(next).toMatchObject({ done: true, lastCompletedPhase: 'replication', progress: { readyServers: 401, percent: 100 } });
  });
});

describe('wait-replication groups the wave in MGN', () => {
  it('associates in calls of ≤ 50 ids; a refusal of the grouping goes to the report and never stops the poll', async () => {
    const mgn = mockMgn();
    const manifest = waveOf(60);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const servers = manifest.servers.map((s, i) => sdkServer(`s-${String(i).padStart(17, '0')}`, (s.source as { instanceId: string }).instanceId));
    mgn.on(DescribeSourceServersCommand).resolves({ items: servers });
    mgn.on(mgnSdk.ListWavesCommand as never).resolves({ items: [] });
    mgn.on(mgnSdk.CreateWaveCommand as never).resolves({ waveID: 'wave-00000000000000001', arn: 'arn:aws:mgn:ap-south-1:111122223333:wave/wave-00000000000000001', name: manifest.waveId, isArchived: false });
    mgn.on(mgnSdk.ListApplicationsCommand as never).resolves({ items: [] });
    mgn.on(mgnSdk.CreateApplicationCommand as never).resolves({ applicationID: 'app-00000000000000001', arn: 'arn:aws:mgn:ap-south-1:111122223333:application/app-00000000000000001', name: manifest.waveId, isArchived: false });
    mgn.on(mgnSdk.AssociateApplicationsCommand as never).resolves({});
    mgn.on(mgnSdk.AssociateSourceServersCommand as never).resolves({});
    const done = await waitReplication(ctx, bed.deps);
    expect(done).toMatchObject({ done: true, lastCompletedPhase: 'replication' });
    expect(mgn.commandCalls(mgnSdk.CreateWaveCommand).map((c) => c.args[0].input)).toEqual([{ name: manifest.waveId, description: `mgn-isolated-orchestrator wave ${manifest.waveId}` }]);
    expect(mgn.commandCalls(mgnSdk.AssociateApplicationsCommand).map((c) => c.args[0].input)).toEqual([{ waveID: 'wave-00000000000000001', applicationIDs: ['app-00000000000000001'] }]);
    expect(mgn.commandCalls(mgnSdk.AssociateSourceServersCommand).map((c) => c.args[0].input.sourceServerIDs.length)).toEqual([50, 10]);

    // MGN denies the grouping (a role without the grant): the poll still ends, the report says why
    const other = waveOf(2);
    const denied = sdkTestbed(other);
    const start = await startedWave(denied, other);
    mgn.reset();
    mgn.on(DescribeSourceServersCommand).resolves({ items: other.servers.map((s, i) => sdkServer(`s-${String(i).padStart(17, '0')}`, (s.source as { instanceId: string }).instanceId)) });
    mgn.on(mgnSdk.ListWavesCommand as never).rejects(Object.assign(new Error('not authorized to perform mgn:ListWaves'), { name: 'AccessDeniedException' }));
    const after = await waitReplication(start, denied.deps);
    expect(after).toMatchObject({ done: true, counts: { failed: 0 } });
    const records = await readRecords(denied as never, after);
    expect((records as unknown as { mgn: { problems: string[] } }).mgn.problems).toEqual([expect.stringContaining('AccessDeniedException: not authorized to perform mgn:ListWaves')]);
  });
});

describe('nextReplicationWait', () => {
  it('waits half the fleet ETA, at least 3% of the time spent, at most two hours', () => {
    expect(nextReplicationWait({ elapsedSeconds: 600, fleetEtaSeconds: 1000, pollIntervalSeconds: 300 })).toBe(500);
    expect(nextReplicationWait({ elapsedSeconds: 100_000, fleetEtaSeconds: 100, pollIntervalSeconds: 300 })).toBe(3000);
    expect(nextReplicationWait({ elapsedSeconds: 10, fleetEtaSeconds: 10 * 86400, pollIntervalSeconds: 300 })).toBe(6 * 3600);
    expect(nextReplicationWait({ elapsedSeconds: 10, fleetEtaSeconds: 30_000, pollIntervalSeconds: 300 })).toBe(15_000);
    expect(nextReplicationWait({ elapsedSeconds: 10, pollIntervalSeconds: 300 })).toBe(300);
    expect(nextReplicationWait({ elapsedSeconds: 10, fleetEtaSeconds: 5000, secondsToNextDeadline: 99.2, pollIntervalSeconds: 300 })).toBe(101);
  });
});

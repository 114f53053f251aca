import 'aws-sdk-client-mock-jest';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { cutoverAlreadyApproved, nothingToFinalize, soakSecondsLeft } from '../../../functions/lib/finalize-gate';
import { writeReport } from '../../../functions/lib/flow/report';
import { reportKey } from '../../../functions/lib/wave-context';
import { revertCutover } from '../../../functions/lib/flow/revert-cutover';
import type { SourceServerView } from '../../../functions/lib/ports';
import { newRunState } from '../../../functions/lib/run-state';
import { waveOf } from '../../asl/fake-world';
import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  FinalizeCutoverCommand,
  TerminateTargetInstancesCommand,
  mockMgn,
} from '../mgn-mock';
import { readRecords, sdkServer, sdkTestbed, startedWave } from './sdk-deps';

const mgn = mockMgn();
const sns = mockClient(SNSClient);
beforeEach(() => {
  mgn.reset();
  sns.reset();
});

const idOf = (i: number) => `s-${String(i).padStart(17, '0')}`;
const ec2Of = (i: number) => `i-0${String(i).padStart(16, 'c')}`;

const view = (lifecycleState: SourceServerView['lifecycleState'], extra: Partial<SourceServerView> = {}): SourceServerView => ({
  sourceServerId: 's-1',
  isArchived: false,
  lifecycleState,
  hints: {},
  totalBytes: 0,
  replicatedBytes: 0,
  backloggedBytes: 0,
  ...extra,
});

describe('finalize gate helpers', () => {
  const manifest = waveOf(2, { soakHours: 2 });
  const state = newRunState(manifest, 'run-1');
  const at = new Date('2026-01-05T12:00:00.000Z');

  it('counts the soak from the latest cutover launch (MGN lastCutover.initiated), never below 0', () => {
    const views = new Map([
      ['srv-000', view('CUTTING_OVER', { lastCutoverInitiatedAt: '2026-01-05T11:00:00.000Z' })],
      ['srv-001', view('CUTTING_OVER', { lastCutoverInitiatedAt: '2026-01-05T11:30:00.000Z' })],
    ]);
    expect(soakSecondsLeft(manifest, state, views, at)).toBe(5400);
    expect(soakSecondsLeft(manifest, state, views, new Date('2026-01-05T14:00:00.000Z'))).toBe(0);
    // no soak asked, or nothing cutting over: no wait
    expect(soakSecondsLeft(waveOf(2), state, views, at)).toBe(0);
    expect(soakSecondsLeft(manifest, state, new Map([['srv-000', view('CUTOVER')]]), at)).toBe(0);
    // a launch MGN does not date counts from now: the whole soak
    expect(soakSecondsLeft(manifest, state, new Map([['srv-000', view('CUTTING_OVER')]]), at)).toBe(7200);
  });

  it('takes the cutover as approved only when every active server is already cutting over or past it', () => {
    const cutting = new Map([
      ['srv-000', view('CUTTING_OVER')],
      ['srv-001', view('CUTTING_OVER')],
    ]);
    expect(cutoverAlreadyApproved(state, cutting)).toBe(true);
    expect(cutoverAlreadyApproved(state, new Map([...cutting, ['srv-001', view('READY_FOR_CUTOVER')]]))).toBe(false);
    expect(cutoverAlreadyApproved(state, new Map([...cutting, ['srv-001', view('TESTING')]]))).toBe(false);
  });

  it('asks no finalize gate when no active server waits to be finalized (a re-run after finalizing)', () => {
    expect(nothingToFinalize(state, new Map([['srv-000', view('CUTOVER')], ['srv-001', view('CUTOVER')]]))).toBe(true);
    expect(nothingToFinalize(state, new Map([['srv-000', view('CUTOVER')], ['srv-001', view('CUTTING_OVER')]]))).toBe(false);
  });
});

describe('report after the finalize gate', () => {
  it('an approval timeout at the finalize gate names the gate in the report and the notification, and lists the servers awaiting finalize', async () => {
    const manifest = waveOf(1);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    sns.on(PublishCommand).resolves({});
    const out = await writeReport({ ...ctx, finalizeRejection: { Error: 'States.Timeout', Cause: 'the task timed out' } }, bed.deps);
    expect(out.outcome).toBe('rejected');
    const report = JSON.parse(bed.objects.get(reportKey('wave-7', 'run-1'))!);
    expect(report.stoppedBy).toEqual({ error: 'States.Timeout', cause: 'the task timed out', gate: 'finalize' });
    expect(report.awaitingFinalize).toEqual({ servers: [], resume: expect.stringContaining('Re-run the wave') });
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain('Stopped by States.Timeout at the finalize gate: the task timed out');
  });
});

describe('revert-cutover (finalize gate answered revert)', () => {
  function mgnKnows(states: string[], finalizedAt?: string) {
    const manifest = waveOf(states.length);
    const servers = manifest.servers.map((s, i) =>
      sdkServer(idOf(i), (s.source as { instanceId: string }).instanceId, {
        lifeCycle: { state: states[i], lastCutover: { initiated: { apiCallDateTime: '2026-01-05T07:00:00Z', jobID: 'mgnjob-0000000000000cut' }, ...(finalizedAt && states[i] === 'CUTOVER' ? { finalized: { apiCallDateTime: finalizedAt } } : {}) } },
        launchedInstance: { ec2InstanceID: ec2Of(i) },
      }),
    );
    mgn.on(DescribeSourceServersCommand).callsFake((input) => ({
      items: input.filters?.sourceServerIDs ? servers.filter((s) => input.filters.sourceServerIDs.includes(s.sourceServerID)) : servers,
    }));
    mgn.on(ChangeServerLifeCycleStateCommand).callsFake((input) => {
      const s = servers.find((x) => x.sourceServerID === input.sourceServerID)!;
      s.lifeCycle = { ...s.lifeCycle, state: input.lifeCycle.state };
      return s;
    });
    return manifest;
  }

  it('moves each cut-over server to READY_FOR_CUTOVER, then terminates the cutover instances in one job, and ends only once MGN says TERMINATED', async () => {
    const manifest = mgnKnows(['CUTTING_OVER', 'CUTTING_OVER']);
    const bed = sdkTestbed(manifest);
    const ctx = { ...(await startedWave(bed, manifest)), revertRequest: { Error: 'RevertRequested', Cause: 'db errors (by carol)' } };
    mgn.on(TerminateTargetInstancesCommand).resolves({ job: { jobID: 'mgnjob-00000000000000t1', status: 'PENDING', participatingServers: [] } });
    mgn.on(DescribeJobsCommand).resolvesOnce({
      items: [{ jobID: 'mgnjob-00000000000000t1', type: 'TERMINATE', status: 'STARTED', participatingServers: [0, 1].map((i) => ({ sourceServerID: idOf(i), launchStatus: 'IN_PROGRESS' })) }],
    }).resolves({
      items: [{ jobID: 'mgnjob-00000000000000t1', type: 'TERMINATE', status: 'COMPLETED', participatingServers: [0, 1].map((i) => ({ sourceServerID: idOf(i), launchStatus: 'TERMINATED' })) }],
    });

    const first = await revertCutover(ctx, bed.deps);
    expect(mgn.commandCalls(ChangeServerLifeCycleStateCommand).map((c) => c.args[0].input)).toEqual(
      [0, 1].map((i) => ({ sourceServerID: idOf(i), lifeCycle: { state: 'READY_FOR_CUTOVER' } })),
    );
    expect(mgn.commandCalls(TerminateTargetInstancesCommand).map((c) => c.args[0].input)).toEqual([{ sourceServerIDs: [idOf(0), idOf(1)] }]);
    expect(first).toMatchObject({ done: false, phase: 'finalize-approval' });
    expect(first.outcome).toBeUndefined();

    const second = await revertCutover(first, bed.deps);
    expect(second).toMatchObject({ done: true, outcome: 'reverted', lastCompletedPhase: 'finalize-approval' });
    // nothing asked twice; never finalized
    expect(mgn.commandCalls(ChangeServerLifeCycleStateCommand)).toHaveLength(2);
    expect(mgn.commandCalls(TerminateTargetInstancesCommand)).toHaveLength(1);
    expect(mgn.commandCalls(FinalizeCutoverCommand)).toHaveLength(0);
    const records = await readRecords(bed, ctx);
    expect(records.servers.map((r) => [r.status, Boolean(r.reverted)])).toEqual([
      ['active', true],
      ['active', true],
    ]);
  });

  it('sets aside a server already finalized (MGN cannot revert it) and reverts the others', async () => {
    const manifest = mgnKnows(['CUTOVER', 'CUTTING_OVER'], '2026-01-05T07:30:00Z');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(TerminateTargetInstancesCommand).resolves({ job: { jobID: 'mgnjob-00000000000000t2', status: 'PENDING', participatingServers: [] } });
    mgn.on(DescribeJobsCommand).resolves({
      items: [{ jobID: 'mgnjob-00000000000000t2', type: 'TERMINATE', status: 'COMPLETED', participatingServers: [{ sourceServerID: idOf(1), launchStatus: 'TERMINATED' }] }],
    });
    const next = await revertCutover(ctx, bed.deps);
    expect(next).toMatchObject({ done: true, outcome: 'reverted' });
    expect(mgn.commandCalls(ChangeServerLifeCycleStateCommand).map((c) => c.args[0].input.sourceServerID)).toEqual([idOf(1)]);
    const records = await readRecords(bed, ctx);
    expect(records.servers[0]).toMatchObject({ status: 'failed', failure: { phase: 'finalize-approval', reason: expect.stringContaining('MGN cannot revert a finalized cutover') } });
    expect(records.servers[1].reverted).toBeDefined();
  });
});

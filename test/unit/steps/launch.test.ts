import 'aws-sdk-client-mock-jest';
import { EC2Client } from '@aws-sdk/client-ec2';
import { mockClient } from 'aws-sdk-client-mock';
import { ServiceQuotaExceededException, ThrottlingException, type DescribeSourceServersCommandInput } from '@aws-sdk/client-mgn';
import { ChangeServerLifeCycleStateCommand, DescribeJobsCommand, DescribeSourceServersCommand, StartCutoverCommand, StartTestCommand, mockMgn } from '../mgn-mock';
import { MAX_LAUNCH_WAIT_SECONDS, launchCutover, launchTest, nextLaunchWait, shortestLaunchJobSeconds } from '../../../functions/lib/flow/launch';
import type { JobView } from '../../../functions/lib/ports';
import { waveOf } from '../../asl/fake-world';
import { launchSettingsWritable, readRecords, sdkServer, sdkTestbed, startedWave } from './sdk-deps';

const mgn = mockMgn();
const ec2 = mockClient(EC2Client);
const resetClients = () => {
  mgn.reset();
  ec2.reset();
  launchSettingsWritable(mgn, ec2);
};

/** MGN answering DescribeSourceServers for `servers`, by id filter or (for matching) the whole account. */
function mgnKnows(servers: ReturnType<typeof sdkServer>[]) {
  mgn.on(DescribeSourceServersCommand).callsFake((input: DescribeSourceServersCommandInput) => {
    const ids = input.filters?.sourceServerIDs;
    return { items: ids ? servers.filter((s) => ids.includes(s.sourceServerID)) : servers };
  });
}

const fleet = (count: number, extra: Record<string, unknown> = {}) =>
  waveOf(count).servers.map((s, i) => sdkServer(`s-${String(i).padStart(17, '0')}`, (s.source as { instanceId: string }).instanceId, extra));

describe('launch-test', () => {
  beforeEach(resetClients);

  it('starts one StartTest job of 200 when nothing else is active, queues the rest, and reads MGN once', async () => {
    const manifest = waveOf(450);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const servers = fleet(450);
    mgnKnows(servers);
    mgn.on(DescribeJobsCommand).resolves({ items: [] });
    mgn.on(StartTestCommand).callsFake((input) => ({ job: { jobID: 'mgnjob-1', status: 'PENDING', participatingServers: input.sourceServerIDs.map((id: string) => ({ sourceServerID: id })) } }));

    const next = await launchTest(ctx, bed.deps);

    expect(mgn).toHaveReceivedCommandTimes(StartTestCommand, 1);
    expect(mgn).toHaveReceivedCommandWith(StartTestCommand, { sourceServerIDs: servers.slice(0, 200).map((s) => s.sourceServerID) });
    const describes = mgn.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input.filters?.sourceServerIDs?.length);
    // ids unknown yet: the one listing that matches them is the poll's whole read of MGN
    expect(describes).toEqual([undefined]);
    expect(next).toMatchObject({ done: false, phase: 'test-launch', waitSeconds: 60, counts: { total: 450, active: 450, failed: 0 } });
    const records = await readRecords(bed, ctx);
    expect(records.servers.filter((r) => r.testLaunch?.jobId === 'mgnjob-1')).toHaveLength(200);
    expect(records.servers[0].launches).toEqual({ test: 1, cutover: 0 });
  });

  it("counts other waves' active jobs account-wide: 150 servers busy elsewhere leave room for 50", async () => {
    const manifest = waveOf(100);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgnKnows(fleet(100));
    const elsewhere = Array.from({ length: 150 }, (_, i) => ({ sourceServerID: `s-other${i}`, launchStatus: 'IN_PROGRESS' }));
    mgn.on(DescribeJobsCommand).resolves({
      items: [
        { jobID: 'mgnjob-other', status: 'STARTED', initiatedBy: 'START_CUTOVER', participatingServers: elsewhere },
        { jobID: 'mgnjob-old', status: 'COMPLETED', initiatedBy: 'START_TEST', participatingServers: elsewhere },
      ],
    });
    mgn.on(StartTestCommand).resolves({ job: { jobID: 'mgnjob-2', status: 'PENDING' } });

    await launchTest(ctx, bed.deps);

    expect(mgn).toHaveReceivedCommandTimes(StartTestCommand, 1);
    expect(mgn.commandCalls(StartTestCommand)[0].args[0].input.sourceServerIDs).toHaveLength(50);
    // active jobs are looked up from a recent date, not by id
    expect(mgn.commandCalls(DescribeJobsCommand)[0].args[0].input.filters?.fromDate).toMatch(/^2025-12-29T/);
  });

  it.each([
    ['ServiceQuotaExceededException', new ServiceQuotaExceededException({ message: 'too many servers in active jobs', $metadata: {} } as never)],
    ['ThrottlingException', new ThrottlingException({ message: 'slow down', $metadata: {} })],
  ])('treats %s as "try later": no server fails, the loop polls again', async (code, error) => {
    const manifest = waveOf(3);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgnKnows(fleet(3));
    mgn.on(DescribeJobsCommand).resolves({ items: [] });
    mgn.on(StartTestCommand).rejects(error);

    const next = await launchTest(ctx, bed.deps);

    expect(next).toMatchObject({ done: false, counts: { failed: 0, active: 3 } });
    const records = await readRecords(bed, ctx);
    expect(records.servers.every((r) => r.status === 'active' && r.testLaunch?.lastRefusal?.startsWith(code))).toBe(true);
    expect(records.servers.every((r) => r.launches.test === 0)).toBe(true);
  });

  it('never launches twice: a server in TESTING whose last test job LAUNCHED is done, even in a new run', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest, 'run-2');
    mgnKnows(fleet(2, { lifeCycle: { state: 'TESTING', lastTest: { initiated: { jobID: 'mgnjob-9' } } }, launchedInstance: { ec2InstanceID: 'i-0aaaaaaaaaaaaaaaa' } }));
    mgn.on(DescribeJobsCommand).callsFake((input) =>
      input.filters?.jobIDs
        ? { items: [{ jobID: 'mgnjob-9', status: 'COMPLETED', initiatedBy: 'START_TEST', participatingServers: fleet(2).map((s) => ({ sourceServerID: s.sourceServerID, launchStatus: 'LAUNCHED', launchedEc2InstanceID: 'i-0aaaaaaaaaaaaaaaa' })) }] }
        : { items: [] },
    );

    const next = await launchTest(ctx, bed.deps);

    expect(mgn).not.toHaveReceivedCommand(StartTestCommand);
    expect(mgn).toHaveReceivedCommandWith(DescribeJobsCommand, { filters: { jobIDs: ['mgnjob-9'] } });
    expect(next).toMatchObject({ done: true, lastCompletedPhase: 'test-launch' });
    expect((await readRecords(bed, ctx)).servers[0].testLaunch?.instanceId).toBe('i-0aaaaaaaaaaaaaaaa');
  });

  it('skips servers already past the phase (READY_FOR_CUTOVER and later)', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgnKnows(fleet(2, { lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    mgn.on(DescribeJobsCommand).resolves({ items: [] });

    const next = await launchTest(ctx, bed.deps);

    expect(mgn).not.toHaveReceivedCommand(StartTestCommand);
    expect(next.done).toBe(true);
    expect((await readRecords(bed, ctx)).servers[0].timeline.at(-1)).toMatchObject({ phase: 'test-launch', status: 'skipped' });
  });
});

describe('launch-cutover', () => {
  beforeEach(resetClients);

  it('waits for a low replication lag before StartCutover, and never starts a server already cutting over', async () => {
    const manifest = waveOf(3);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const [lagging, ready, cutting] = fleet(3);
    mgnKnows([
      { ...lagging, lifeCycle: { state: 'READY_FOR_CUTOVER' }, dataReplicationInfo: { ...lagging.dataReplicationInfo, lagDuration: 'PT20M' } },
      { ...ready, lifeCycle: { state: 'READY_FOR_CUTOVER' } },
      { ...cutting, lifeCycle: { state: 'CUTTING_OVER', lastCutover: { initiated: { jobID: 'mgnjob-c' } } } },
    ]);
    mgn.on(DescribeJobsCommand).resolves({
      items: [{ jobID: 'mgnjob-c', status: 'STARTED', initiatedBy: 'START_CUTOVER', participatingServers: [{ sourceServerID: cutting.sourceServerID, launchStatus: 'IN_PROGRESS' }] }],
    });
    mgn.on(StartCutoverCommand).resolves({ job: { jobID: 'mgnjob-d' } });

    const next = await launchCutover(ctx, bed.deps);

    expect(mgn).toHaveReceivedCommandTimes(StartCutoverCommand, 1);
    expect(mgn).toHaveReceivedCommandWith(StartCutoverCommand, { sourceServerIDs: [ready.sourceServerID] });
    expect(mgn).not.toHaveReceivedCommand(ChangeServerLifeCycleStateCommand);
    expect(next.done).toBe(false);
    const records = await readRecords(bed, ctx);
    expect(records.servers[0].cutoverLaunch?.lastRefusal).toBe('replication lag 1200s is above 300s');
  });
});

describe('launch poll timing', () => {
  const job = (over: Partial<JobView>): JobView => ({ jobId: 'mgnjob-1', type: 'LAUNCH', status: 'COMPLETED', servers: [], ...over });

  it('learns the shortest ended LAUNCH job, test or cutover, and ignores terminations and running jobs', () => {
    expect(
      shortestLaunchJobSeconds([
        job({ creationDateTime: '2026-01-05T08:00:00Z', endDateTime: '2026-01-05T08:06:21Z' }),
        job({ initiatedBy: 'START_CUTOVER', creationDateTime: '2026-01-05T09:00:00Z', endDateTime: '2026-01-05T09:07:00Z' }),
        job({ type: 'TERMINATE', creationDateTime: '2026-01-05T08:00:00Z', endDateTime: '2026-01-05T08:00:41Z' }),
        job({ status: 'STARTED', creationDateTime: '2026-01-05T08:00:00Z' }),
      ]),
    ).toBe(381);
    expect(shortestLaunchJobSeconds([job({ status: 'STARTED', creationDateTime: '2026-01-05T08:00:00Z' })])).toBeUndefined();
  });

  it('sleeps until the earliest active job could end at the pace seen, else polls at the usual interval', () => {
    const base = { nowSeconds: 10_000, pollSeconds: 60, held: 0 };
    // a job just started; jobs have taken 381 s: wake one second after it could end
    expect(nextLaunchWait({ ...base, activeJobStarts: [10_000, 9_900], shortestJobSeconds: 381 })).toBe(282);
    // no job has ended yet: nothing to learn from
    expect(nextLaunchWait({ ...base, activeJobStarts: [10_000] })).toBe(60);
    // the job is already running longer than the shortest: keep polling
    expect(nextLaunchWait({ ...base, activeJobStarts: [9_500], shortestJobSeconds: 381 })).toBe(60);
    // servers held for another reason (lifecycle, lag) are looked at every interval
    expect(nextLaunchWait({ ...base, held: 1, activeJobStarts: [10_000], shortestJobSeconds: 381 })).toBe(60);
    expect(nextLaunchWait({ ...base, activeJobStarts: [10_000], shortestJobSeconds: 86_400 })).toBe(MAX_LAUNCH_WAIT_SECONDS);
  });
});

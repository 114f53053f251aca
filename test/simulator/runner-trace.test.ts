import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FAULT_KINDS, parseScenario } from '../../simulator/scenario';
import { VirtualClock } from '../../simulator/clock';
import { VirtualScheduler } from '../../simulator/runner/scheduler';
import { countApiCalls, launchesByServer, readTrace, summarizeJobs } from '../../simulator/runner/trace';

const job = (op: string, jobID: string, ids: string[]) => ({
  service: 'mgn',
  operation: op,
  request: { sourceServerIDs: ids },
  response: { job: { jobID, participatingServers: ids.map((sourceServerID) => ({ sourceServerID })) } },
});
const completed = (...jobIDs: string[]) => ({ service: 'mgn', operation: 'DescribeJobs', response: { items: jobIDs.map((jobID) => ({ jobID, status: 'COMPLETED' })) } });
const ids = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => `s-${prefix}${String(i).padStart(4, '0')}`);

describe('trace analysis', () => {
  it('measures servers in active jobs: overlapping jobs add up, completed ones stop counting', () => {
    const records = readTrace([
      job('StartTest', 'j1', ids('a', 120)),
      job('StartTest', 'j2', ids('b', 80)), // 200 active
      completed('j1'), // 80 active
      job('StartCutover', 'j3', ids('a', 100)), // 180 active
      { service: 'mgn', operation: 'StartTest', request: { sourceServerIDs: ids('c', 50) }, error: 'ServiceQuotaExceededException' },
      completed('j2', 'j3'),
      job('TerminateTargetInstances', 'j4', ids('a', 10)),
    ]);
    const summary = summarizeJobs(records);
    expect(summary.maxServersInActiveJobs).toBe(200);
    expect(summary.jobs.map((j) => j.jobId)).toEqual(['j1', 'j2', 'j3', 'j4']);
    const launches = launchesByServer(summary.jobs);
    expect(launches.get('s-a0000')).toEqual({ test: 1, cutover: 1 });
    expect(launches.get('s-a0119')).toEqual({ test: 1, cutover: 0 });
    expect(launches.get('s-c0000')).toBeUndefined(); // refused by the emulator: no launch
  });

  it('counts API calls per service:Operation and reads several record shapes', () => {
    const records = readTrace({
      records: [
        { service: 'MGN', operation: 'DescribeSourceServers' },
        { svc: 'ssm', op: 'SendCommand' },
        { service: 'ec2', action: 'DescribeInstanceStatus', outcome: { error: 'InvalidInstanceID.NotFound' } },
        { service: 'mgn', operation: 'DescribeSourceServers' },
        { nothing: true },
      ],
    });
    expect(countApiCalls(records)).toEqual({ 'ec2:DescribeInstanceStatus': 1, 'mgn:DescribeSourceServers': 2, 'ssm:SendCommand': 1 });
    expect(records[2].error).toBe('InvalidInstanceID.NotFound');
  });
});

describe('VirtualScheduler with fleet events', () => {
  it('stops the clock at each fleet event on the way to a wake-up', async () => {
    const clock = new VirtualClock(0);
    const events = [10_000, 20_000, 90_000];
    const seen: number[] = [];
    clock.onAdvance((now) => seen.push(now));
    const scheduler = new VirtualScheduler(clock, { nextEventTime: () => events.find((t) => t > clock.now()) });
    scheduler.register('x');
    await scheduler.sleepFor('x', 60);
    expect(seen).toEqual([10_000, 20_000, 60_000]);
    scheduler.unregister('x');
  });
});

describe('example scenarios', () => {
  const dir = join(__dirname, '..', '..', 'examples', 'scenarios');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('are valid scenarios, with one example per fault kind, throttling at 30 %, a rejection and an interruption', () => {
    const scenarios = files.map((f) => ({ f, s: parseScenario(JSON.parse(readFileSync(join(dir, f), 'utf8'))) }));
    for (const kind of FAULT_KINDS) expect(scenarios.some(({ f, s }) => f === `fault-${kind}.json` && Object.values(s.servers ?? {}).some((v) => v.fault === kind))).toBe(true);
    expect(scenarios.find(({ f }) => f === 'throttle-30.json')?.s.throttle?.rate).toBe(0.3);
    expect(scenarios.find(({ f }) => f === 'reject.json')?.s.approval).toBe('reject');
    expect(scenarios.find(({ f }) => f === 'interruption.json')?.s.interruptions?.length).toBeGreaterThan(0);
    const def = scenarios.find(({ f }) => f === 'default.json')!.s;
    expect(Object.values(def.servers ?? {}).some((v) => v.fault)).toBe(false);
  });
});

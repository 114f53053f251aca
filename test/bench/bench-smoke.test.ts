/**
 * A 10-server run of the benchmark's own machinery (what `npm run bench` runs at 10, 100 and 1,000
 * servers): every field issue 6 lists is there and sane. Not timed: the targets are the benchmark's.
 */
import { benchWave, POLL_STEPS, USD_PER_STATE_TRANSITION, type BenchWaveResult } from '../../bench/measure';
import { evaluateTargets } from '../../bench/targets';

const FIELDS = [
  'servers',
  'historyEvents',
  'stateTransitions',
  'apiCalls',
  'describeSourceServersPerPoll',
  'launchJobs',
  'maxServersInActiveJobs',
  'simulatedSeconds',
  'lowerBoundSeconds',
  'overhead',
  'maxPayloadBytes',
  'estimatedCostUsd',
  'launchTemplateWritesPerServer',
  'wallMs',
];

describe('benchmark smoke run (10 servers)', () => {
  let run: BenchWaveResult;
  beforeAll(async () => {
    run = await benchWave(10);
  }, 120_000);

  it('migrates the whole generated wave', () => {
    expect(run.details.outcome).toBe('completed');
    expect(run.details.migrated).toBe(10);
  });

  it('reports exactly the fields issues 6 and 10 list', () => {
    expect(Object.keys(run.result).sort()).toEqual([...FIELDS].sort());
    expect(run.result.servers).toBe(10);
  });

  it('never finishes before the lower bound, and counts overhead against it', () => {
    const r = run.result;
    expect(r.lowerBoundSeconds).toBeGreaterThan(0);
    expect(r.simulatedSeconds).toBeGreaterThanOrEqual(r.lowerBoundSeconds);
    expect(r.overhead).toBeGreaterThanOrEqual(1);
    expect(r.overhead).toBeCloseTo(r.simulatedSeconds / r.lowerBoundSeconds, 3);
  });

  it('counts history, transitions, calls and jobs from the run itself', () => {
    const r = run.result;
    expect(r.historyEvents).toBeGreaterThan(r.stateTransitions);
    expect(r.historyEvents).toBeLessThan(25_000);
    expect(r.apiCalls['mgn:StartTest']).toBeGreaterThanOrEqual(1);
    expect(r.apiCalls['mgn:FinalizeCutover']).toBe(10);
    expect(r.launchJobs).toBeGreaterThanOrEqual(2);
    expect(r.maxServersInActiveJobs).toBeGreaterThanOrEqual(1);
    expect(r.maxServersInActiveJobs).toBeLessThanOrEqual(10);
    expect(r.describeSourceServersPerPoll).toBe(Math.max(...POLL_STEPS.map((s) => run.details.steps[s].maxDescribeSourceServers)));
    expect(r.describeSourceServersPerPoll).toBeGreaterThanOrEqual(1);
    expect(r.maxPayloadBytes).toBeGreaterThan(0);
    expect(r.maxPayloadBytes).toBeLessThan(262_144);
  });

  it('prices the transitions and the measured Lambda time', () => {
    const r = run.result;
    expect(run.details.steps['wait-replication'].invocations).toBeGreaterThan(0);
    expect(run.details.lambdaGbSeconds).toBeGreaterThan(0);
    expect(r.estimatedCostUsd).toBeGreaterThan(r.stateTransitions * USD_PER_STATE_TRANSITION * 0.999);
  });

  it('judges the targets it can at 10 servers', () => {
    const verdicts = evaluateTargets([run.result], []);
    expect(verdicts.map((v) => v.target)).toEqual([
      'describeSourceServersPerPoll at 10 ≤ ceil(servers/200) = 1',
      'maxServersInActiveJobs at 10 ≤ 200',
      'overhead at 10 ≤ 1.1',
      'launch-template writes per server at 10 ≤ 2 per launch kind (first run)',
      'launch-template writes per server at 10 = 0 on a resumed run',
    ]);
  });

  it('counts EC2 launch-template writes: one version and one default change per server and launch kind, none when resumed', () => {
    expect(run.result.launchTemplateWritesPerServer).toEqual({ test: 2, cutover: 2, testResumed: 0, cutoverResumed: 0 });
    expect(run.details.resumedRun).toMatchObject({ outcome: 'completed', executions: 3 });
  });
});

import { countLaunchTemplateWrites, launchTemplateWritesPerServer, type WriteSample } from '../../bench/launch-template-writes';
import type { SizeResult } from '../../bench/measure';
import { launchTemplateWritesCell } from '../../bench/run';
import { evaluateTargets } from '../../bench/targets';
import type { TraceEntry } from '../../simulator/emulator/trace';

const entry = (service: TraceEntry['service'], operation: string, outcome = 'ok'): Pick<TraceEntry, 'service' | 'operation' | 'outcome'> => ({ service, operation, outcome });

describe('bench: EC2 launch-template writes per server', () => {
  it('counts the CreateLaunchTemplateVersion and ModifyLaunchTemplate requests EC2 answered ok, nothing else', () => {
    const trace = [
      entry('mgn', 'GetLaunchConfiguration'),
      entry('mgn', 'UpdateLaunchConfiguration'),
      entry('ec2', 'DescribeLaunchTemplateVersions'),
      entry('ec2', 'CreateLaunchTemplateVersion'),
      entry('ec2', 'ModifyLaunchTemplate'),
      entry('ec2', 'CreateLaunchTemplateVersion', 'RequestLimitExceeded'),
      entry('ec2', 'CreateLaunchTemplateVersion'),
      entry('ec2', 'ModifyLaunchTemplate'),
    ];
    expect(countLaunchTemplateWrites(trace)).toBe(4);
    expect(countLaunchTemplateWrites([])).toBe(0);
  });

  it('splits them by launch kind and run: the first execution that launched a kind is its first run, later ones resumed', () => {
    // 4 servers; run-1 launched test (2 polls) and was interrupted after test-launch; run-2 resumed
    // test (nothing to write) and launched cutover; run-3 resumed cutover.
    const samples: WriteSample[] = [
      { step: 'preflight', runId: 'run-1', writes: 0 },
      { step: 'launch-test', runId: 'run-1', writes: 6 },
      { step: 'launch-test', runId: 'run-1', writes: 2 },
      { step: 'launch-test', runId: 'run-2', writes: 0 },
      { step: 'launch-cutover', runId: 'run-2', writes: 8 },
      { step: 'launch-cutover', runId: 'run-3', writes: 0 },
    ];
    expect(launchTemplateWritesPerServer(samples, 4)).toEqual({
      test: { firstRun: 2, resumed: 0 },
      cutover: { firstRun: 2, resumed: 0 },
    });
    // one uninterrupted run: no resumed figure; a resume that writes again is counted
    expect(launchTemplateWritesPerServer(samples.filter((s) => s.runId === 'run-1'), 4)).toEqual({ test: { firstRun: 2 }, cutover: { firstRun: 0 } });
    expect(launchTemplateWritesPerServer([...samples, { step: 'launch-test', runId: 'run-3', writes: 3 }], 4).test).toEqual({ firstRun: 2, resumed: 0.75 });
  });

  it('is in the table and judged by --check: at most 2 per launch kind on a first run, 0 on a resumed run', () => {
    const size = (w: SizeResult['launchTemplateWritesPerServer']): SizeResult => ({
      servers: 100,
      historyEvents: 444,
      stateTransitions: 144,
      apiCalls: {},
      describeSourceServersPerPoll: 1,
      launchJobs: 2,
      maxServersInActiveJobs: 100,
      simulatedSeconds: 78_751,
      lowerBoundSeconds: 78_357,
      overhead: 1.005,
      maxPayloadBytes: 23_241,
      estimatedCostUsd: 0.0036,
      launchTemplateWritesPerServer: w,
      wallMs: 2197,
    });
    const verdicts = (w: SizeResult['launchTemplateWritesPerServer']) =>
      evaluateTargets([size(w)], []).filter((v) => v.target.startsWith('launch-template writes')).map((v) => [v.target, v.measured, v.met]);

    expect(verdicts({ test: 2, cutover: 2, testResumed: 0, cutoverResumed: 0 })).toEqual([
      ['launch-template writes per server at 100 ≤ 2 per launch kind (first run)', 'test 2, cutover 2', true],
      ['launch-template writes per server at 100 = 0 on a resumed run', 'test 0, cutover 0', true],
    ]);
    expect(verdicts({ test: 2, cutover: 2.5, testResumed: 0, cutoverResumed: 0.01 }).map(([, , met]) => met)).toEqual([false, false]);
    expect(launchTemplateWritesCell({ test: 2, cutover: 2, testResumed: 0, cutoverResumed: 0 })).toBe('test 2.00 / cutover 2.00, resumed 0.00 / 0.00');
  });
});

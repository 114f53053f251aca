/**
 * The steps' metrics (EMF lines through Powertools Metrics) and trace annotations (Powertools Tracer),
 * and that the Tracer is harmless where no X-Ray daemon or trace context exists (the simulator).
 */
import { getNamespace, Segment } from 'aws-xray-sdk-core';
import { observeStep, resetStepTracer, stepTracer, tracingActive, WaveMetrics } from '../../functions/lib/observability';
import type { WaveContext } from '../../functions/lib/wave-context';

const context = (over: Partial<WaveContext> = {}): WaveContext => ({
  waveId: 'wave-7',
  runId: 'wave-7-r1',
  targetRegion: 'eu-west-1',
  phases: { install: true, test: true, cutover: true, finalize: true, archive: false },
  approvalRequired: false,
  done: false,
  waitSeconds: 60,
  polls: 3,
  phase: 'replication',
  counts: { total: 10, active: 8, failed: 2 },
  progress: { readyServers: 5, percent: 62.5, stalledServers: 1, maxLagSeconds: 840 },
  ...over,
});

/** The EMF records written to stdout while `act` runs. */
async function emfOf(act: () => Promise<unknown> | void): Promise<Record<string, unknown>[]> {
  const lines: string[] = [];
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (lines.push(String(chunk)), true));
  try {
    await act();
  } finally {
    write.mockRestore();
  }
  return lines.flatMap((l) => l.split('\n')).filter((l) => l.startsWith('{"_aws"')).map((l) => JSON.parse(l));
}

const dimensionSets = (r: Record<string, unknown>) =>
  (r._aws as { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] }).CloudWatchMetrics[0].Dimensions;

describe('wave metrics', () => {
  it('writes the counts by phase, stalled servers and the largest lag per wave, and the alarmed ones account-wide', async () => {
    const records = await emfOf(() => {
      const m = new WaveMetrics('wave-7');
      m.recordContext(context());
      m.publish();
    });
    for (const r of records) {
      expect((r._aws as { CloudWatchMetrics: { Namespace: string }[] }).CloudWatchMetrics[0].Namespace).toBe('MgnOrchestrator');
      expect(r.service).toBe('mgn-orchestrator');
    }
    const byPhase = records.find((r) => r.Phase === 'replication')!;
    expect(dimensionSets(byPhase)).toEqual([['service', 'WaveId', 'Phase']]);
    expect(byPhase).toMatchObject({ WaveId: 'wave-7', ActiveServers: 8, FailedServers: 2 });
    const perWave = records.find((r) => r.WaveId === 'wave-7' && r.Phase === undefined)!;
    expect(dimensionSets(perWave)).toEqual([['service', 'WaveId']]);
    expect(perWave).toMatchObject({ StalledServers: 1, MaxReplicationLagSeconds: 840, ReplicationPercent: 62.5 });
    const accountWide = records.find((r) => r.WaveId === undefined && r.LaunchKind === undefined)!;
    expect(dimensionSets(accountWide)).toEqual([['service']]);
    expect(accountWide).toMatchObject({ StalledServers: 1, MaxReplicationLagSeconds: 840 });
    expect(accountWide.ReplicationPercent).toBeUndefined();
  });

  it('adds up launch-job failures per launch kind, and reports servers by result', async () => {
    const records = await emfOf(() => {
      const m = new WaveMetrics('wave-7');
      m.launchJobFailed('test');
      m.launchJobFailed('test');
      m.launchJobFailed('cutover');
      m.serversByResult({ migrated: 7, failed: 2, skipped: 1, reverted: 3 });
      m.publish();
    });
    expect(records.find((r) => r.WaveId === 'wave-7' && r.LaunchKind === 'test')).toMatchObject({ LaunchJobFailures: 2 });
    expect(records.find((r) => r.WaveId === undefined && r.LaunchKind === 'cutover')).toMatchObject({ LaunchJobFailures: 1 });
    expect(records.find((r) => r.Result === 'failed')).toMatchObject({ WaveId: 'wave-7', WaveServers: 2 });
    expect(records.find((r) => r.Result === 'migrated')).toMatchObject({ WaveServers: 7 });
    expect(records.find((r) => r.Result === 'reverted')).toMatchObject({ WaveServers: 3 });
  });

  it('publishes nothing for a step that learnt nothing (no phase, no progress)', async () => {
    const records = await emfOf(() => {
      const m = new WaveMetrics('wave-7');
      m.recordContext(context({ phase: undefined, lastCompletedPhase: undefined, progress: undefined }));
      m.publish();
    });
    expect(records).toEqual([]);
  });
});

describe('observeStep', () => {
  it("publishes the step's metrics even when the step throws", async () => {
    const records = await emfOf(async () => {
      await expect(
        observeStep('launch-test', context(), async (m) => {
          m.launchJobFailed('test');
          throw new Error('MGN said no');
        }, () => undefined),
      ).rejects.toThrow('MGN said no');
    });
    expect(records.find((r) => r.LaunchKind === 'test' && r.WaveId === 'wave-7')).toMatchObject({ LaunchJobFailures: 1 });
  });

  it('is harmless outside Lambda: no Tracer, the result returned as is', async () => {
    resetStepTracer();
    await expect(stepTracer()).resolves.toBeUndefined();
    let out: WaveContext | undefined;
    const records = await emfOf(async () => {
      out = await observeStep('report', context(), async () => context({ phase: 'report' }), (c) => c);
    });
    expect(out?.phase).toBe('report');
    expect(records.find((r) => r.Phase === 'report')).toMatchObject({ ActiveServers: 8 });
  });

  it('in a traced invocation, runs the step in a subsegment annotated with the wave', async () => {
    resetStepTracer();
    const tracer = (await stepTracer({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' }))!;
    const enabled = jest.spyOn(tracer, 'isTracingEnabled').mockReturnValue(true);
    const facade = new Segment('mgn-orchestrator-launch-test');
    let active: unknown;
    // as in Lambda: the facade segment is the context's current segment while the handler runs
    const ns = getNamespace() as unknown as { runPromise<T>(fn: () => Promise<T>): Promise<T> };
    try {
      await emfOf(() =>
        ns.runPromise(async () => {
          tracer.setSegment(facade);
          await observeStep('launch-test', context({ phase: 'test-launch' }), async () => context({ phase: 'test-launch' }), (c) => c);
          active = tracer.getSegment();
        }),
      );
    } finally {
      enabled.mockRestore();
    }
    const sub = facade.subsegments![0] as unknown as { name: string; annotations: Record<string, unknown>; end_time?: number };
    expect(sub.name).toBe('## launch-test');
    expect(sub.annotations).toMatchObject({ WaveId: 'wave-7', RunId: 'wave-7-r1', Phase: 'test-launch' });
    expect(sub.end_time).toBeGreaterThan(0);
    expect(active).toBe(facade);
    resetStepTracer();
  });

  it("follows the Tracer's own rule for where it records", () => {
    const lambda = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' };
    expect(tracingActive(lambda)).toBe(true);
    expect(tracingActive({})).toBe(false);
    expect(tracingActive({ AWS_EXECUTION_ENV: 'AWS_ECS_FARGATE' })).toBe(false);
    expect(tracingActive({ ...lambda, POWERTOOLS_TRACE_ENABLED: 'FALSE' })).toBe(false);
    expect(tracingActive({ ...lambda, AWS_SAM_LOCAL: 'true' })).toBe(false);
    expect(tracingActive({ ...lambda, AWS_APP_ID: 'd1a2b3' })).toBe(false);
  });

  it('loads the Tracer and the X-Ray SDK only where tracing is active', async () => {
    const loaded: string[] = [];
    await jest.isolateModulesAsync(async () => {
      jest.doMock('@aws-lambda-powertools/tracer', () => {
        loaded.push('tracer');
        return { Tracer: class { isTracingEnabled = () => false; } };
      });
      const fresh = await import('../../functions/lib/observability');
      await fresh.observeStep('report', context(), async () => context({ phase: 'report' }), (c) => c);
      expect(loaded).toEqual([]);
      fresh.resetStepTracer();
      await expect(fresh.stepTracer({ AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' })).resolves.toBeDefined();
      expect(loaded).toEqual(['tracer']);
    });
  });
});

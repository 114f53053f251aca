/**
 * What the steps tell CloudWatch and X-Ray about a wave.
 *
 * Metrics: CloudWatch embedded metric format (EMF) through Powertools Metrics: one JSON line per
 * invocation on stdout, which CloudWatch Logs turns into metrics (no PutMetricData call, so no
 * `monitoring` endpoint and no IAM grant). Namespace `MgnOrchestrator`; every metric carries the
 * dimension `service` = `mgn-orchestrator`. Per wave (dimension `WaveId`, plus `Phase`, `Result` or
 * `LaunchKind` where named), and the alarmed ones once more without `WaveId`, for the stack's alarms:
 *
 * | metric | unit | dimensions | from |
 * |---|---|---|---|
 * | ActiveServers, FailedServers | Count | WaveId, Phase | every step: the wave's counts after it |
 * | StalledServers | Count | WaveId; and none | wait-replication: servers MGN reports STALLED or not progressing |
 * | MaxReplicationLagSeconds | Seconds | WaveId; and none | wait-replication: the largest lag of the wave |
 * | ReplicationPercent | Percent | WaveId | wait-replication |
 * | LaunchJobFailures | Count | WaveId, LaunchKind; and LaunchKind | launch-test, launch-cutover: a server's launch job ended FAILED |
 * | WaveServers | Count | WaveId, Result | report: servers migrated, failed, skipped |
 *
 * Tracing: Powertools Tracer. With active tracing, Lambda runs the X-Ray daemon and opens the
 * function's segment, joined to the state machine's trace of the execution (the state machine traces
 * too), so a wave run is one trace; each step adds a subsegment annotated with WaveId, RunId and Phase
 * (searchable: `annotation.WaveId = "..."`), and the SDK's HTTPS calls appear under it. Outside Lambda
 * (the simulator, tests, the CLI: no AWS_EXECUTION_ENV) Powertools disables the Tracer, so it is not
 * even loaded there: the Tracer and the X-Ray SDK under it (~25 ms of module load, and async hooks on
 * every promise) are imported only where they record, and in Lambda that import starts while the
 * module loads (the init phase), as a static import would.
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import type { LaunchKind } from './launch-settings';
import { METRIC_NAMES, METRICS_NAMESPACE, METRICS_SERVICE } from './metric-names';
import type { PhaseName } from './phases';
import type { WaveContext } from './wave-context';

type Unit = (typeof MetricUnit)[keyof typeof MetricUnit];

export { METRIC_NAMES, METRICS_NAMESPACE, METRICS_SERVICE };

/** What a step's core reports beyond its output context (FlowDeps.metrics). */
export interface WaveMetricsPort {
  /** one server's launch job ended FAILED (or TERMINATED) in a launch phase */
  launchJobFailed(kind: LaunchKind): void;
  /** the wave's servers by final result (the report step) */
  serversByResult(results: Readonly<Record<'migrated' | 'failed' | 'skipped' | 'reverted', number>>): void;
}

let metrics: Metrics | undefined;
let tracer: Promise<Tracer | undefined> | undefined;

const metricsOf = (): Metrics => (metrics ??= new Metrics({ namespace: METRICS_NAMESPACE, serviceName: METRICS_SERVICE }));

/**
 * Where Powertools' Tracer records: inside Lambda (AWS_EXECUTION_ENV names a Lambda runtime), not under
 * SAM local or Amplify, and unless POWERTOOLS_TRACE_ENABLED is "false" (the Tracer's own rules).
 */
export function tracingActive(env: NodeJS.ProcessEnv = process.env): boolean {
  return (
    (env.AWS_EXECUTION_ENV ?? '').startsWith('AWS_Lambda_') &&
    !env.AWS_SAM_LOCAL &&
    !env.AWS_APP_ID &&
    (env.POWERTOOLS_TRACE_ENABLED ?? '').toLowerCase() !== 'false'
  );
}

/** The step's Tracer where tracing is active (loaded once, on first use); undefined elsewhere. */
export const stepTracer = (env: NodeJS.ProcessEnv = process.env): Promise<Tracer | undefined> =>
  (tracer ??= tracingActive(env)
    ? import('@aws-lambda-powertools/tracer').then(({ Tracer }) => new Tracer({ serviceName: METRICS_SERVICE, captureHTTPsRequests: true }))
    : Promise.resolve(undefined));

/** For tests: forget the Tracer so the next stepTracer() decides again. */
export const resetStepTracer = (): void => {
  tracer = undefined;
};

// In Lambda, load the Tracer during the init phase (it patches https before the first SDK call);
// a failure surfaces in the first step that awaits it.
if (tracingActive()) stepTracer().catch(() => undefined);

/** Metrics of one wave in one invocation, flushed by `publish()` as EMF lines. */
export class WaveMetrics implements WaveMetricsPort {
  /** metric emissions: dimension set (empty: service only) and the metric */
  private readonly pending: { dimensions: Record<string, string>; name: string; unit: Unit; value: number }[] = [];

  constructor(private readonly waveId: string) {}

  private add(name: string, unit: Unit, value: number, dimensions: Record<string, string> = {}, alsoAccountWide = false): void {
    this.pending.push({ dimensions: { WaveId: this.waveId, ...dimensions }, name, unit, value });
    if (alsoAccountWide) this.pending.push({ dimensions: { ...dimensions }, name, unit, value });
  }

  /** The wave's counts and replication progress as the step's output context has them. */
  recordContext(ctx: WaveContext): void {
    const phase: PhaseName | undefined = ctx.phase ?? ctx.lastCompletedPhase;
    if (phase) {
      this.add(METRIC_NAMES.activeServers, MetricUnit.Count, ctx.counts.active, { Phase: phase });
      this.add(METRIC_NAMES.failedServers, MetricUnit.Count, ctx.counts.failed, { Phase: phase });
    }
    const p = ctx.progress;
    if (p && phase === 'replication') {
      this.add(METRIC_NAMES.stalledServers, MetricUnit.Count, p.stalledServers, {}, true);
      this.add(METRIC_NAMES.replicationPercent, MetricUnit.Percent, p.percent);
      if (p.maxLagSeconds !== undefined) this.add(METRIC_NAMES.maxReplicationLag, MetricUnit.Seconds, p.maxLagSeconds, {}, true);
    }
  }

  launchJobFailed(kind: LaunchKind): void {
    this.add(METRIC_NAMES.launchJobFailures, MetricUnit.Count, 1, { LaunchKind: kind }, true);
  }

  serversByResult(results: Readonly<Record<'migrated' | 'failed' | 'skipped' | 'reverted', number>>): void {
    for (const [result, n] of Object.entries(results)) this.add(METRIC_NAMES.waveServers, MetricUnit.Count, n, { Result: result });
  }

  /** Writes the EMF lines: one per dimension set, values of one metric name in one line added up. */
  publish(): void {
    const bySet = new Map<string, { dimensions: Record<string, string>; values: Map<string, { unit: Unit; value: number }> }>();
    for (const m of this.pending.splice(0)) {
      const key = JSON.stringify(Object.entries(m.dimensions).sort());
      const set = bySet.get(key) ?? { dimensions: m.dimensions, values: new Map() };
      const prior = set.values.get(m.name);
      set.values.set(m.name, { unit: m.unit, value: (prior?.value ?? 0) + m.value });
      bySet.set(key, set);
    }
    const out = metricsOf();
    for (const { dimensions, values } of bySet.values()) {
      if (Object.keys(dimensions).length > 0) out.addDimensions(dimensions);
      for (const [name, { unit, value }] of values) out.addMetric(name, unit, value);
      out.publishStoredMetrics();
    }
  }
}

/**
 * Runs one step invocation in a subsegment annotated with the wave (when X-Ray traces the
 * invocation), then publishes the wave's metrics, whether the step succeeded or threw.
 */
export async function observeStep<T>(
  step: string,
  wave: { waveId: string; runId: string; phase?: string },
  run: (metrics: WaveMetrics) => Promise<T>,
  contextOf: (result: T) => WaveContext | undefined,
): Promise<T> {
  const waveMetrics = new WaveMetrics(wave.waveId);
  const t = await stepTracer();
  const segment = t?.isTracingEnabled() ? t.getSegment() : undefined;
  const sub = segment?.addNewSubsegment(`## ${step}`);
  if (t && sub) {
    t.setSegment(sub);
    t.annotateColdStart();
    t.putAnnotation('WaveId', wave.waveId);
    t.putAnnotation('RunId', wave.runId);
    if (wave.phase) t.putAnnotation('Phase', wave.phase);
  }
  try {
    const result = await run(waveMetrics);
    const ctx = contextOf(result);
    if (ctx) waveMetrics.recordContext(ctx);
    return result;
  } catch (error) {
    if (t && sub) t.addErrorAsMetadata(error as Error);
    throw error;
  } finally {
    sub?.close();
    if (t && segment) t.setSegment(segment);
    waveMetrics.publish();
  }
}

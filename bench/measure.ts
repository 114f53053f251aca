/**
 * One benchmark wave: the real state machine and the real handlers against the real emulator
 * (simulator/runner/session.ts `simulate`), instrumented from the outside:
 *
 * - each handler is wrapped (injected by step name) to time its invocation on the wall clock and to
 *   note which emulator requests it made (the trace grows only while a handler runs: the virtual
 *   clock, and with it the fleet, stands still during a handler);
 * - the emulator's fleet is sampled after every invocation for the servers in active MGN jobs
 *   (jobs only start inside a handler and only end while the clock moves, so the sample after each
 *   invocation sees every maximum).
 *
 * Nothing here changes what the flow does; the numbers come from the run's own counters and trace.
 */
import { performance } from 'node:perf_hooks';
import { join } from 'node:path';
import { STEPS } from '../functions/lib/steps';
import type { Emulator } from '../simulator/emulator';
import { PROJECT_ROOT, type HandlerMap, type TaskHandler } from '../simulator/runner/handlers';
import { simulate, startRealEmulator, type EmulatorFactory } from '../simulator/runner/session';
import { countLaunchTemplateWrites, launchTemplateWritesPerServer, type WriteSample, type WritesPerServer } from './launch-template-writes';
import { waveLowerBound, type LowerBound } from './lower-bound';
import { benchWorkload, type BenchWorkload } from './workload';

/** Step Functions Standard: USD per state transition. */
export const USD_PER_STATE_TRANSITION = 0.025 / 1000;
/** Lambda on arm64 (the stack's architecture): USD per GB-second. */
export const USD_PER_LAMBDA_GB_SECOND = 0.0000133334;
/** The stack's function memory (infra/constructs/orchestrator-functions.ts, memorySize default). */
export const LAMBDA_MEMORY_MB = 256;

/** Poll-loop steps: a Task that a Wait state sends back to itself (statemachine/wave.asl.json). */
export const POLL_STEPS = [
  'install-agents',
  'wait-replication',
  'launch-test',
  'verify-test',
  'discard-test',
  'prepare-cutover',
  'launch-cutover',
  'verify-cutover',
  'revert-cutover',
  'finalize-cutover',
] as const;

/** Per size, the fields issue 6 lists, and issue 10's launch-template writes. */
export interface SizeResult {
  readonly servers: number;
  readonly historyEvents: number;
  readonly stateTransitions: number;
  readonly apiCalls: Readonly<Record<string, number>>;
  readonly describeSourceServersPerPoll: number;
  readonly launchJobs: number;
  readonly maxServersInActiveJobs: number;
  readonly simulatedSeconds: number;
  readonly lowerBoundSeconds: number;
  readonly overhead: number;
  readonly maxPayloadBytes: number;
  readonly estimatedCostUsd: number;
  /**
   * EC2 launch-template writes (CreateLaunchTemplateVersion + ModifyLaunchTemplate) per server and
   * launch kind: on the first run, and on a run resumed after each launch phase
   */
  readonly launchTemplateWritesPerServer: { readonly test: number; readonly cutover: number; readonly testResumed: number; readonly cutoverResumed: number };
  readonly wallMs: number;
}

export interface StepUsage {
  invocations: number;
  wallMs: number;
  /** Lambda bills each invocation's duration rounded up to the millisecond */
  billedMs: number;
  /** most DescribeSourceServers calls in one invocation */
  maxDescribeSourceServers: number;
}

/** What the benchmark saw beyond the fields, to explain them. */
export interface SizeDetails {
  readonly outcome: string;
  readonly migrated: number;
  readonly executionStatus: string;
  readonly steps: Readonly<Record<string, StepUsage>>;
  readonly lambdaGbSeconds: number;
  readonly costUsd: { readonly stateTransitions: number; readonly lambda: number };
  readonly lowerBound: LowerBound;
  readonly historyByType?: Readonly<Record<string, number>>;
  /** the same wave interrupted after each launch phase (RESUME_AFTER) */
  readonly resumedRun?: { readonly outcome: string; readonly executions: number; readonly launchTemplateWrites: Record<'test' | 'cutover', WritesPerServer> };
}

export interface BenchWaveResult {
  readonly result: SizeResult;
  readonly details: SizeDetails;
}

const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** One handler invocation as the benchmark saw it (for `--polls` and debugging). */
export interface InvocationSample {
  readonly step: string;
  /** virtual seconds since the wave started */
  readonly atSeconds: number;
  readonly wallMs: number;
  readonly describeSourceServers: number;
  readonly output: unknown;
}

/** What one instrumented simulation of a benchmark wave saw. */
interface InstrumentedRun {
  readonly session: Awaited<ReturnType<typeof simulate>>;
  readonly usage: Readonly<Record<string, StepUsage>>;
  readonly writes: readonly WriteSample[];
  readonly wallMs: number;
}

/**
 * Simulates one benchmark wave with every handler wrapped (timing, emulator requests per invocation,
 * launch-template writes per step and execution) and the fleet sampled after each invocation.
 */
async function instrumentedRun(workload: BenchWorkload, seed: number, onInvocation?: (sample: InvocationSample) => void): Promise<InstrumentedRun> {
  let emulator: Emulator | undefined;
  let maxServersInActiveJobs = 0;
  let startMs: number | undefined;
  const factory: EmulatorFactory = async (options) => {
    const started = await startRealEmulator(options);
    emulator = started as unknown as Emulator;
    return Object.assign(started, { maxServersInActiveJobs: () => maxServersInActiveJobs });
  };

  const usage: Record<string, StepUsage> = {};
  const writes: WriteSample[] = [];
  const handlers: Record<string, TaskHandler> = {};
  for (const step of STEPS) {
    const entry: StepUsage = (usage[step.name] = { invocations: 0, wallMs: 0, billedMs: 0, maxDescribeSourceServers: 0 });
    let real: TaskHandler | undefined;
    handlers[step.name] = async (event, context) => {
      real ??= (require(join(PROJECT_ROOT, 'functions', step.name, 'handler.ts')) as { handler: TaskHandler }).handler;
      const trace = emulator!.trace.entries;
      const firstRequest = trace.length;
      const started = performance.now();
      let output: unknown;
      try {
        output = await real(event, context);
        return output;
      } finally {
        const ms = performance.now() - started;
        entry.invocations += 1;
        entry.wallMs += ms;
        entry.billedMs += Math.max(1, Math.ceil(ms));
        let describes = 0;
        for (let i = firstRequest; i < trace.length; i++) if (trace[i].service === 'mgn' && trace[i].operation === 'DescribeSourceServers') describes++;
        entry.maxDescribeSourceServers = Math.max(entry.maxDescribeSourceServers, describes);
        const runId = (event as { runId?: unknown } | undefined)?.runId;
        if (typeof runId === 'string') writes.push({ step: step.name, runId, writes: countLaunchTemplateWrites(trace.slice(firstRequest)) });
        maxServersInActiveJobs = Math.max(maxServersInActiveJobs, emulator!.fleet.serversInActiveJobs());
        startMs ??= emulator!.clock.now();
        onInvocation?.({ step: step.name, atSeconds: (emulator!.clock.now() - startMs) / 1000, wallMs: ms, describeSourceServers: describes, output });
      }
    };
  }

  // The whole session: emulator start, handler loading, the run and the report reads.
  const wallStart = performance.now();
  const session = await simulate({ manifests: [workload.manifest], scenario: workload.scenario, seed, handlers: handlers as HandlerMap, emulator: factory });
  return { session, usage, writes, wallMs: Math.round(performance.now() - wallStart) };
}

/** The interruptions of the resumed run: a new execution right after each launch phase. */
export const RESUME_AFTER = ['test-launch', 'cutover-launch'] as const;

/** Runs a `servers`-server benchmark wave and measures it; then the same wave interrupted after each launch phase, for the resumed-run writes. */
export async function benchWave(servers: number, seed = 2024, onInvocation?: (sample: InvocationSample) => void): Promise<BenchWaveResult> {
  const workload = benchWorkload(servers, seed);
  const { manifest, profiles } = workload;
  const { session, usage, writes, wallMs } = await instrumentedRun(workload, seed, onInvocation);
  const resumedWorkload = { ...workload, scenario: { ...workload.scenario, interruptions: RESUME_AFTER.map((afterPhase) => ({ afterPhase })) } };
  const resumed = await instrumentedRun(resumedWorkload, seed);
  const firstRun = launchTemplateWritesPerServer(writes, servers);
  const resumedRun = launchTemplateWritesPerServer(resumed.writes, servers);

  const wave = session.waves[0];
  const stats = wave.report.stats;
  const phases = manifest.options.phases;
  const lowerBound = waveLowerBound(profiles, { install: phases.install, test: phases.test, cutover: phases.cutover });
  const billedMs = Object.values(usage).reduce((n, u) => n + u.billedMs, 0);
  const lambdaGbSeconds = (billedMs / 1000) * (LAMBDA_MEMORY_MB / 1024);
  const costUsd = {
    stateTransitions: stats.stateTransitions * USD_PER_STATE_TRANSITION,
    lambda: lambdaGbSeconds * USD_PER_LAMBDA_GB_SECOND,
  };
  const describeSourceServersPerPoll = Math.max(...POLL_STEPS.map((s) => usage[s].maxDescribeSourceServers));
  return {
    result: {
      servers,
      historyEvents: stats.historyEvents,
      stateTransitions: stats.stateTransitions,
      apiCalls: stats.apiCalls,
      describeSourceServersPerPoll,
      launchJobs: stats.launchJobs,
      maxServersInActiveJobs: stats.maxServersInActiveJobs,
      simulatedSeconds: stats.simulatedSeconds,
      lowerBoundSeconds: round(lowerBound.lowerBoundSeconds, 3),
      overhead: round(stats.simulatedSeconds / lowerBound.lowerBoundSeconds, 4),
      maxPayloadBytes: stats.maxPayloadBytes,
      estimatedCostUsd: round(costUsd.stateTransitions + costUsd.lambda, 6),
      launchTemplateWritesPerServer: {
        test: firstRun.test.firstRun,
        cutover: firstRun.cutover.firstRun,
        testResumed: resumedRun.test.resumed ?? 0,
        cutoverResumed: resumedRun.cutover.resumed ?? 0,
      },
      wallMs,
    },
    details: {
      outcome: wave.report.outcome,
      migrated: wave.report.servers.filter((s) => s.result === 'migrated').length,
      executionStatus: wave.report.executions.map((e) => e.status).join(','),
      steps: usage,
      lambdaGbSeconds: round(lambdaGbSeconds, 4),
      costUsd: { stateTransitions: round(costUsd.stateTransitions, 6), lambda: round(costUsd.lambda, 6) },
      lowerBound,
      resumedRun: {
        outcome: resumed.session.waves[0].report.outcome,
        executions: resumed.session.waves[0].report.executions.length,
        launchTemplateWrites: resumedRun,
      },
    },
  };
}

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
import { waveLowerBound, type LowerBound } from './lower-bound';
import { benchWorkload } from './workload';

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
  'finalize-cutover',
] as const;

/** Per size, exactly the fields issue 6 lists. */
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

/** Runs a `servers`-server benchmark wave and measures it. */
export async function benchWave(servers: number, seed = 2024, onInvocation?: (sample: InvocationSample) => void): Promise<BenchWaveResult> {
  const { manifest, scenario, profiles } = benchWorkload(servers, seed);
  let emulator: Emulator | undefined;
  let maxServersInActiveJobs = 0;
  let startMs: number | undefined;
  const factory: EmulatorFactory = async (options) => {
    const started = await startRealEmulator(options);
    emulator = started as unknown as Emulator;
    return Object.assign(started, { maxServersInActiveJobs: () => maxServersInActiveJobs });
  };

  const usage: Record<string, StepUsage> = {};
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
        maxServersInActiveJobs = Math.max(maxServersInActiveJobs, emulator!.fleet.serversInActiveJobs());
        startMs ??= emulator!.clock.now();
        onInvocation?.({ step: step.name, atSeconds: (emulator!.clock.now() - startMs) / 1000, wallMs: ms, describeSourceServers: describes, output });
      }
    };
  }

  // The whole session: emulator start, handler loading, the run and the report reads.
  const wallStart = performance.now();
  const session = await simulate({ manifests: [manifest], scenario, seed, handlers: handlers as HandlerMap, emulator: factory });
  const wallMs = Math.round(performance.now() - wallStart);
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
    },
  };
}

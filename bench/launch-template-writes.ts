/**
 * EC2 launch-template writes per server, per launch kind, from the emulator's trace: the
 * CreateLaunchTemplateVersion and ModifyLaunchTemplate requests each launch step made (answered ok),
 * divided by the wave's servers. A first run writes at most one version and one default change per
 * server and launch kind (≤ 2); a resumed run finds the settings in place and writes nothing (0).
 *
 * "First run" of a kind is the first execution in which that kind's launch step ran; every later
 * execution of the same wave (a resume after an interruption) counts as resumed.
 */
import type { TraceEntry } from '../simulator/emulator/trace';

export const LAUNCH_TEMPLATE_WRITE_OPERATIONS: ReadonlySet<string> = new Set(['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate']);

/** The launch step of each launch kind (functions/lib/steps.ts). */
export const LAUNCH_STEPS = { test: 'launch-test', cutover: 'launch-cutover' } as const;
export type LaunchKindName = keyof typeof LAUNCH_STEPS;

/** One handler invocation: which step, in which execution (the wave context's runId), how many writes. */
export interface WriteSample {
  readonly step: string;
  readonly runId: string;
  readonly writes: number;
}

/** Launch-template writes among trace entries (those EC2 answered ok). */
export const countLaunchTemplateWrites = (entries: readonly Pick<TraceEntry, 'service' | 'operation' | 'outcome'>[]): number =>
  entries.filter((e) => e.service === 'ec2' && LAUNCH_TEMPLATE_WRITE_OPERATIONS.has(e.operation) && e.outcome === 'ok').length;

export interface WritesPerServer {
  /** writes per server in the first execution that launched this kind */
  readonly firstRun: number;
  /** writes per server in every later execution (a resume); undefined when there was none */
  readonly resumed?: number;
}

const round = (v: number) => Math.round(v * 1000) / 1000;

/** Launch-template writes per server for each launch kind, first run and resumed runs apart. */
export function launchTemplateWritesPerServer(samples: readonly WriteSample[], servers: number): Record<LaunchKindName, WritesPerServer> {
  const out = {} as Record<LaunchKindName, WritesPerServer>;
  for (const kind of Object.keys(LAUNCH_STEPS) as LaunchKindName[]) {
    const ofKind = samples.filter((s) => s.step === LAUNCH_STEPS[kind]);
    const runs = [...new Set(ofKind.map((s) => s.runId))];
    const writesIn = (runIds: readonly string[]) => ofKind.filter((s) => runIds.includes(s.runId)).reduce((n, s) => n + s.writes, 0);
    out[kind] = {
      firstRun: round(writesIn(runs.slice(0, 1)) / servers),
      ...(runs.length > 1 ? { resumed: round(writesIn(runs.slice(1)) / servers) } : {}),
    };
  }
  return out;
}

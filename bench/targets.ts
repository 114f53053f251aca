/**
 * The targets of issue 6 (and issue 10's launch-template writes), judged on measured numbers (never
 * adjusted to fit).
 */
import type { BundleResult } from './bundles';
import type { SizeResult } from './measure';

export const TARGETS = {
  historyEventsAt1000: 5000,
  stateTransitionsAt1000: 5000,
  growthFrom10To1000: 1.5,
  serversPerDescribe: 200,
  maxServersInActiveJobs: 200,
  maxPayloadBytesAt1000: 200_000,
  overhead: 1.1,
  wallMsAt1000: 60_000,
  coldLoadMs: 150,
  /** EC2 launch-template writes per server and launch kind on a first run: one new version, one default change */
  launchTemplateWritesPerKind: 2,
  /** ... and on a resumed run: the settings are already in place */
  launchTemplateWritesResumed: 0,
} as const;

export interface TargetVerdict {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean;
}

const n = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 3 });

/** Every target whose sizes were measured (a run without 10 or 1,000 servers judges what it can). */
export function evaluateTargets(sizes: readonly SizeResult[], bundles: readonly BundleResult[]): TargetVerdict[] {
  const out: TargetVerdict[] = [];
  const at = (servers: number) => sizes.find((s) => s.servers === servers);
  const small = at(10);
  const large = at(1000);
  for (const field of ['historyEvents', 'stateTransitions'] as const) {
    if (!large) continue;
    const limit = field === 'historyEvents' ? TARGETS.historyEventsAt1000 : TARGETS.stateTransitionsAt1000;
    out.push({ target: `${field} at 1,000 ≤ ${n(limit)}`, measured: n(large[field]), met: large[field] <= limit });
    if (small)
      out.push({
        target: `${field} at 1,000 ≤ ${TARGETS.growthFrom10To1000} × at 10`,
        measured: `${n(large[field])} ≤ ${n(TARGETS.growthFrom10To1000 * small[field])} (× ${(large[field] / small[field]).toFixed(2)})`,
        met: large[field] <= TARGETS.growthFrom10To1000 * small[field],
      });
  }
  for (const s of sizes) {
    const limit = Math.ceil(s.servers / TARGETS.serversPerDescribe);
    out.push({
      target: `describeSourceServersPerPoll at ${n(s.servers)} ≤ ceil(servers/200) = ${limit}`,
      measured: n(s.describeSourceServersPerPoll),
      met: s.describeSourceServersPerPoll <= limit,
    });
  }
  for (const s of sizes)
    out.push({
      target: `maxServersInActiveJobs at ${n(s.servers)} ≤ ${TARGETS.maxServersInActiveJobs}`,
      measured: n(s.maxServersInActiveJobs),
      met: s.maxServersInActiveJobs <= TARGETS.maxServersInActiveJobs,
    });
  if (large)
    out.push({
      target: `maxPayloadBytes at 1,000 ≤ ${n(TARGETS.maxPayloadBytesAt1000)}`,
      measured: n(large.maxPayloadBytes),
      met: large.maxPayloadBytes <= TARGETS.maxPayloadBytesAt1000,
    });
  for (const s of sizes)
    out.push({ target: `overhead at ${n(s.servers)} ≤ ${TARGETS.overhead}`, measured: s.overhead.toFixed(3), met: s.overhead <= TARGETS.overhead });
  if (large)
    out.push({ target: `1,000-server simulation < ${n(TARGETS.wallMsAt1000 / 1000)} s wall`, measured: `${(large.wallMs / 1000).toFixed(1)} s`, met: large.wallMs < TARGETS.wallMsAt1000 });
  for (const s of sizes) {
    const w = s.launchTemplateWritesPerServer;
    out.push({
      target: `launch-template writes per server at ${n(s.servers)} ≤ ${TARGETS.launchTemplateWritesPerKind} per launch kind (first run)`,
      measured: `test ${n(w.test)}, cutover ${n(w.cutover)}`,
      met: w.test <= TARGETS.launchTemplateWritesPerKind && w.cutover <= TARGETS.launchTemplateWritesPerKind,
    });
    out.push({
      target: `launch-template writes per server at ${n(s.servers)} = ${TARGETS.launchTemplateWritesResumed} on a resumed run`,
      measured: `test ${n(w.testResumed)}, cutover ${n(w.cutoverResumed)}`,
      met: w.testResumed === TARGETS.launchTemplateWritesResumed && w.cutoverResumed === TARGETS.launchTemplateWritesResumed,
    });
  }
  for (const b of bundles) {
    out.push({ target: `${b.name} cold load ≤ ${TARGETS.coldLoadMs} ms`, measured: `${b.coldLoadMs.toFixed(1)} ms`, met: b.coldLoadMs <= TARGETS.coldLoadMs });
    // in Lambda's environment with active tracing: the X-Ray SDK loads too. (The "as deployed" column,
    // with source maps decoded as well, is reported but not held to it: --enable-source-maps is the
    // stack's choice for readable stack traces and costs a further ~30-50 ms here.)
    out.push({
      target: `${b.name} cold load in Lambda, traced ≤ ${TARGETS.coldLoadMs} ms`,
      measured: `${b.coldLoadTracedMs.toFixed(1)} ms`,
      met: b.coldLoadTracedMs <= TARGETS.coldLoadMs,
    });
  }
  return out;
}

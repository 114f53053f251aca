/**
 * The compact state that travels between the state machine's states (CONTRACTS.md). Ids, flags and
 * counters only: per-server detail lives in S3 (run-state.ts), so a 1,000-server wave stays a few
 * hundred bytes here, far from Step Functions' 256 KiB payload limit.
 */
// zod/mini (tree-shakable) rather than classic zod: every step parses its input with this schema, and
// classic zod would add ~450 KB to each Lambda bundle's cold start for a dozen fields.
import * as z from 'zod/mini';
import { InvalidContextError } from './errors';
import { PHASES, type PhaseName } from './phases';
import { formatIssues } from './validation';

/** reverted: the finalize gate answered revert, every cutover rolled back to READY_FOR_CUTOVER (issue 13). */
export const OUTCOMES = ['completed', 'completed-with-failures', 'rejected', 'reverted', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const count = () => z.int().check(z.minimum(0));

const counts = z.object({
  total: count(),
  /** still going through the flow */
  active: count(),
  /** set aside with a phase and a reason */
  failed: count(),
});

/** Replication progress over the wave, for dashboards and the execution history. */
const progress = z.object({
  readyServers: count(),
  percent: z.number().check(z.minimum(0), z.maximum(100)),
  stalledServers: count(),
  etaSeconds: z.optional(z.number().check(z.minimum(0))),
  maxLagSeconds: z.optional(z.number().check(z.minimum(0))),
});

const errorInfo = z.looseObject({ Error: z.optional(z.string()), Cause: z.optional(z.string()) });
const nonEmpty = () => z.string().check(z.minLength(1));

export const waveContextSchema = z.looseObject({
  waveId: nonEmpty(),
  runId: nonEmpty(),
  targetRegion: nonEmpty(),
  /** options.phases, copied here so Choice states can read them */
  phases: z.object({
    install: z.boolean(),
    test: z.boolean(),
    cutover: z.boolean(),
    finalize: z.boolean(),
    archive: z.boolean(),
  }),
  /** true when options.approval is "required" */
  approvalRequired: z.boolean(),
  /** the phase the current poll loop works on */
  phase: z.optional(z.enum(PHASES)),
  lastCompletedPhase: z.optional(z.enum(PHASES)),
  /** poll loops: true when the step has nothing left to wait for */
  done: z.boolean(),
  /** poll loops: the next Wait's duration (integer seconds) */
  waitSeconds: count(),
  /** how many times the current phase's step ran (history budget, diagnostics) */
  polls: count(),
  counts,
  progress: z.optional(progress),
  outcome: z.optional(z.enum(OUTCOMES)),
  /** the approval task's answer ({approved, by}) */
  approval: z.optional(z.looseObject({ approved: z.optional(z.boolean()), by: z.optional(z.string()) })),
  /** set by the approval task's Catch (ApprovalRejected, States.Timeout) */
  rejection: z.optional(errorInfo),
  /** set by the Catch-all: the error that stopped the wave */
  error: z.optional(errorInfo),
  reportKey: z.optional(z.string()),
  // --- finalize gate (issue 13) ---
  /** true when options.finalizeApproval is "required": the wave asks a second approval before finalizing */
  finalizeApprovalRequired: z.optional(z.boolean()),
  /** set by verify-cutover: the soak still to wait before the finalize gate (integer seconds) */
  soakSeconds: z.optional(count()),
  /**
   * set by verify-test: every active server is already cutting over or past it, so the cutover was
   * approved by an earlier run and this run resumes at the finalize gate
   */
  cutoverApproved: z.optional(z.boolean()),
  /** the finalize gate's answer ({approved, by}) */
  finalizeApproval: z.optional(z.looseObject({ approved: z.optional(z.boolean()), by: z.optional(z.string()) })),
  /** set by the finalize gate's Catch (ApprovalRejected, States.Timeout): the wave stays cut over, not finalized */
  finalizeRejection: z.optional(errorInfo),
  /** set by the finalize gate's Catch (RevertRequested): the cutover is rolled back */
  revertRequest: z.optional(errorInfo),
  /** set by the cutover gate's Catch when it was answered with revert (nothing to revert there): asked again */
  refusedAnswer: z.optional(errorInfo),
});

export type WaveContext = z.output<typeof waveContextSchema>;
export type WaveCounts = z.output<typeof counts>;
export type ReplicationProgress = z.output<typeof progress>;

export function parseWaveContext(input: unknown): WaveContext {
  const result = waveContextSchema.safeParse(input);
  if (!result.success)
    throw new InvalidContextError(`step input is not a wave context: ${formatIssues(result.error.issues).join('; ')}`);
  return result.data;
}

export const manifestKey = (waveId: string) => `waves/${waveId}/manifest.json`;
export const serversKey = (waveId: string, runId: string) => `waves/${waveId}/runs/${runId}/servers.json`;
export const reportKey = (waveId: string, runId: string) => `waves/${waveId}/runs/${runId}/report.json`;

/** A poll loop's next context: same phase, one more poll. */
export function pollAgain(ctx: WaveContext, phase: PhaseName, waitSeconds: number, counts: WaveCounts): WaveContext {
  return { ...ctx, phase, done: false, waitSeconds: Math.max(1, Math.round(waitSeconds)), polls: ctx.phase === phase ? ctx.polls + 1 : 1, counts };
}

/** A phase's end: the loop exits, the next phase starts at poll 0. */
export function phaseDone(ctx: WaveContext, phase: PhaseName, counts: WaveCounts): WaveContext {
  return { ...ctx, phase, done: true, waitSeconds: 0, polls: 0, lastCompletedPhase: phase, counts };
}

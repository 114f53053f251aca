/**
 * The compact state that travels between the state machine's states (CONTRACTS.md). Ids, flags and
 * counters only: per-server detail lives in S3 (run-state.ts), so a 1,000-server wave stays a few
 * hundred bytes here, far from Step Functions' 256 KiB payload limit.
 */
import { z } from 'zod';
import { InvalidContextError } from './errors';
import { PHASES, type PhaseName } from './phases';
import { formatIssues } from './validation';

export const OUTCOMES = ['completed', 'completed-with-failures', 'rejected', 'failed'] as const;
export type Outcome = (typeof OUTCOMES)[number];

const counts = z.object({
  total: z.number().int().min(0),
  /** still going through the flow */
  active: z.number().int().min(0),
  /** set aside with a phase and a reason */
  failed: z.number().int().min(0),
});

/** Replication progress over the wave, for dashboards and the execution history. */
const progress = z.object({
  readyServers: z.number().int().min(0),
  percent: z.number().min(0).max(100),
  stalledServers: z.number().int().min(0),
  etaSeconds: z.number().min(0).optional(),
  maxLagSeconds: z.number().min(0).optional(),
});

const errorInfo = z.looseObject({ Error: z.string().optional(), Cause: z.string().optional() });

export const waveContextSchema = z.looseObject({
  waveId: z.string().min(1),
  runId: z.string().min(1),
  targetRegion: z.string().min(1),
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
  phase: z.enum(PHASES).optional(),
  lastCompletedPhase: z.enum(PHASES).optional(),
  /** poll loops: true when the step has nothing left to wait for */
  done: z.boolean(),
  /** poll loops: the next Wait's duration (integer seconds) */
  waitSeconds: z.number().int().min(0),
  /** how many times the current phase's step ran (history budget, diagnostics) */
  polls: z.number().int().min(0),
  counts,
  progress: progress.optional(),
  outcome: z.enum(OUTCOMES).optional(),
  /** the approval task's answer ({approved, by}) */
  approval: z.looseObject({ approved: z.boolean().optional(), by: z.string().optional() }).optional(),
  /** set by the approval task's Catch (ApprovalRejected, States.Timeout) */
  rejection: errorInfo.optional(),
  /** set by the Catch-all: the error that stopped the wave */
  error: errorInfo.optional(),
  reportKey: z.string().optional(),
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

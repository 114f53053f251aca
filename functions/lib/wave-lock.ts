/**
 * One run per wave at a time. Two executions of the same wave (a double EventBridge event, a
 * console start during an API start) must never both act, so the first step takes a lock object in
 * the wave bucket, `waves/<waveId>/lock.json`, with an S3 conditional write (PutObject
 * If-None-Match: *, S3 user guide "How to prevent object overwrites with conditional writes"): of
 * two runs, exactly one creates it and the other gets 412 PreconditionFailed and stops at once.
 *
 * The lock names its holder: the execution (name and ARN), when it started, and when it expires.
 * The run releases it at its end with a conditional delete (DeleteObject If-Match: <ETag>, user
 * guide "How to perform conditional deletes"), so only the holder deletes it, and never a lock
 * another run took in between.
 *
 * A run that never reaches its end (stopped, timed out, a Lambda that died) leaves its lock behind.
 * The next run asks Step Functions (DescribeExecution) about the holder: a holder that is no longer
 * RUNNING, or that Step Functions does not know, has let go, and the run takes the lock over with a
 * conditional overwrite (PutObject If-Match: <ETag> of the lock it read), which fails if a third run
 * was faster. The holder's status is the authority, not a timer: a wave legitimately runs for days
 * (replicationTimeoutHours up to 720, an approval wait up to 7 days), so any expiry short enough to
 * matter would hand a live run's wave to a second run. The lock still carries an expiry, the
 * execution's start plus one year, the longest a Standard workflow can run (Step Functions quotas,
 * "Maximum execution time"): after it the holder cannot be running, whatever DescribeExecution says.
 *
 * Caveat: an execution that failed and is later redriven resumes without taking the lock again;
 * start a new execution instead of redriving one.
 */
import { reasonOf, TryLaterError } from './errors';
import type { FlowDeps } from './ports';

export const lockKey = (waveId: string) => `waves/${waveId}/lock.json`;

/** The longest a Standard workflow execution runs (Step Functions service quotas). */
export const MAX_EXECUTION_MS = 365 * 24 * 3600 * 1000;

export interface WaveLock {
  readonly waveId: string;
  /** the holder's execution name (the run id) */
  readonly runId: string;
  readonly executionArn: string;
  /** when the holder's execution started */
  readonly startedAt: string;
  readonly acquiredAt: string;
  /** startedAt + the one-year execution limit: the holder is certainly gone after it */
  readonly expiresAt: string;
}

export interface LockHolder {
  readonly waveId: string;
  readonly runId: string;
  readonly executionArn: string;
  readonly startedAt: Date;
}

/** Another execution of the same wave holds its lock and is running: this one stops without touching anything. */
export class WaveAlreadyRunningError extends Error {
  override readonly name = 'WaveAlreadyRunningError';
}

type LockDeps = Pick<FlowDeps, 'store' | 'executions' | 'now' | 'log'>;

const isString = (v: unknown): v is string => typeof v === 'string' && v !== '';

function asWaveLock(value: unknown): WaveLock | undefined {
  const v = value as Partial<Record<keyof WaveLock, unknown>> | undefined;
  if (!v || typeof v !== 'object') return undefined;
  const fields = [v.waveId, v.runId, v.executionArn, v.startedAt, v.acquiredAt, v.expiresAt];
  return fields.every(isString) ? (v as WaveLock) : undefined;
}

/** Why the lock's holder can no longer be acting (so the lock may be taken over), or undefined while it runs. */
async function holderGone(held: WaveLock, deps: LockDeps): Promise<string | undefined> {
  const expires = Date.parse(held.expiresAt);
  if (Number.isFinite(expires) && deps.now().getTime() >= expires) return `it expired at ${held.expiresAt}`;
  const status = await deps.executions.executionStatus(held.executionArn);
  if (status === 'RUNNING') return undefined;
  return status === undefined ? `Step Functions has no execution ${held.executionArn}` : `its execution ${held.runId} is ${status}`;
}

/**
 * Takes the wave's lock for `holder`, or throws WaveAlreadyRunningError naming the run that holds
 * it. Taking it again as the same execution (a retried invocation) is fine. Resolves the lock it
 * took over, when its holder had gone without releasing it.
 */
export async function acquireWaveLock(holder: LockHolder, deps: LockDeps): Promise<{ takenOver?: WaveLock }> {
  const key = lockKey(holder.waveId);
  const now = deps.now();
  const lock: WaveLock = {
    waveId: holder.waveId,
    runId: holder.runId,
    executionArn: holder.executionArn,
    startedAt: holder.startedAt.toISOString(),
    acquiredAt: now.toISOString(),
    expiresAt: new Date(holder.startedAt.getTime() + MAX_EXECUTION_MS).toISOString(),
  };
  // A lock can change hands between our read and our write: look again, a few times.
  for (let attempt = 0; attempt < 3; attempt++) {
    if ((await deps.store.createJson(key, lock)) !== undefined) return {};
    const current = await deps.store.getVersionedJson<unknown>(key);
    if (!current) continue; // released since our write was refused
    const held = asWaveLock(current.value);
    if (held?.executionArn === holder.executionArn) return {};
    const gone = held ? await holderGone(held, deps) : 'it is not a lock this orchestrator wrote';
    if (!gone)
      throw new WaveAlreadyRunningError(
        `wave ${holder.waveId} is already being run by execution ${held!.runId} (started ${held!.startedAt}, still RUNNING): ` +
          `this execution (${holder.runId}) stops without touching anything. Let that run finish, or stop it ` +
          `(aws stepfunctions stop-execution --execution-arn ${held!.executionArn}) and start the wave again.`,
      );
    if ((await deps.store.replaceJson(key, lock, current.etag)) !== undefined) {
      deps.log.warn('took over the wave lock its holder left behind', { previousHolder: held?.executionArn ?? null, why: gone });
      return held ? { takenOver: held } : {};
    }
  }
  throw new TryLaterError(`the lock ${key} changed hands while this run tried to take it`, 'LockContended');
}

/**
 * Releases the wave's lock if `runId` holds it: a conditional delete of the version it read, so a
 * lock another run took over in between is left alone. Never throws: a lock that could not be
 * released is taken over by the next run once this execution has ended.
 */
export async function releaseWaveLock(waveId: string, runId: string, deps: LockDeps): Promise<boolean> {
  const key = lockKey(waveId);
  try {
    const current = await deps.store.getVersionedJson<unknown>(key);
    if (!current) return false;
    const held = asWaveLock(current.value);
    if (held?.runId !== runId) {
      deps.log.warn('the wave lock is not held by this run: left in place', { holder: held?.executionArn ?? null });
      return false;
    }
    const released = await deps.store.deleteJsonVersion(key, current.etag);
    if (released) deps.log.info('wave lock released', { key });
    return released;
  } catch (error) {
    deps.log.error('could not release the wave lock; the next run takes it over once this execution has ended', { key, reason: reasonOf(error) });
    return false;
  }
}

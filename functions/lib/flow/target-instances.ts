/**
 * Retiring launched target instances: after a rejection, before cutover, and when a server's test or
 * cutover fails. MGN refuses TerminateTargetInstances in TESTING, CUTTING_OVER and CUTOVER, so the
 * lifecycle moves first (READY_FOR_TEST or READY_FOR_CUTOVER), then the instances are terminated in
 * jobs of at most 200 servers. The source server is never touched.
 */
import { chunk } from '../batching';
import { TryLaterError } from '../errors';
import type { FlowDeps, SourceServerView } from '../ports';
import type { CleanupProgress, ServerRecord } from '../run-state';

export const MAX_SERVERS_PER_JOB = 200;
/**
 * How long a cleanup keeps retrying MGN's "not now" answers. A Conflict that lasts this long is not
 * transient (the server is in a state the move is not allowed from): the loop must end and say so.
 */
export const CLEANUP_GIVE_UP_SECONDS = 3600;

/** Notes a refusal; gives the cleanup up (finished, with the reason) once refusals have lasted too long. */
function refused(cleanup: CleanupProgress, what: string, error: TryLaterError, at: Date): void {
  cleanup.refusedSince ??= at.toISOString();
  if ((at.getTime() - Date.parse(cleanup.refusedSince)) / 1000 >= CLEANUP_GIVE_UP_SECONDS) {
    cleanup.gaveUp = `${what} refused for over ${CLEANUP_GIVE_UP_SECONDS / 60} minutes: ${error.code}: ${error.message}`;
    cleanup.finished = true;
  }
}

/** States we move out of before terminating (MGN refuses TerminateTargetInstances in TESTING and CUTTING_OVER). */
const CHANGEABLE = new Set(['TESTING', 'CUTTING_OVER', 'READY_FOR_TEST', 'READY_FOR_CUTOVER']);

/** Asks for a server's target instance to be retired, once per purpose (a repeated poll never asks twice). */
export function requestCleanup(
  record: ServerRecord,
  purpose: CleanupProgress['purpose'],
  to: CleanupProgress['to'],
): void {
  if (record.cleanup?.purpose === purpose) return;
  record.cleanup = { purpose, to, lifecycleChanged: false, finished: false };
}

export const cleanupPending = (records: readonly ServerRecord[]): ServerRecord[] =>
  records.filter((r) => r.cleanup && !r.cleanup.finished);

/**
 * Works through pending cleanups: lifecycle change where needed, then TerminateTargetInstances for the
 * servers that have a launched instance. "Not now" answers leave the cleanup pending for the next poll.
 * Returns how many are still pending.
 */
export async function retireTargetInstances(
  deps: FlowDeps,
  records: readonly ServerRecord[],
  views: ReadonlyMap<string, SourceServerView>,
): Promise<number> {
  const pending = cleanupPending(records);
  const at = deps.now();
  const toTerminate: ServerRecord[] = [];
  for (const record of pending) {
    const cleanup = record.cleanup!;
    const view = views.get(record.name);
    // Gone from MGN, or finalised (the cutover instance is the server now): nothing to retire.
    if (
      !view ||
      !record.sourceServerId ||
      view.lifecycleState === 'CUTOVER' ||
      view.lifecycleState === 'DISCONNECTED'
    ) {
      cleanup.finished = true;
      continue;
    }
    if (!cleanup.lifecycleChanged) {
      if (view.lifecycleState !== cleanup.to && CHANGEABLE.has(view.lifecycleState ?? '')) {
        try {
          await deps.mgn.changeLifecycleState(record.sourceServerId, cleanup.to);
        } catch (error) {
          if (error instanceof TryLaterError) {
            deps.log.warn('lifecycle change refused for now', { server: record.name, code: error.code });
            refused(cleanup, `ChangeServerLifeCycleState to ${cleanup.to}`, error, at);
            continue;
          }
          throw error;
        }
      }
      cleanup.lifecycleChanged = true;
    }
    if (view.launchedInstanceId && !cleanup.terminateJobId) toTerminate.push(record);
    else cleanup.finished = true;
  }
  for (const batch of chunk(toTerminate, MAX_SERVERS_PER_JOB)) {
    try {
      const job = await deps.mgn.terminateTargetInstances(batch.map((r) => r.sourceServerId!));
      for (const r of batch) {
        r.cleanup!.terminateJobId = job.jobId;
        r.cleanup!.finished = true;
      }
    } catch (error) {
      if (error instanceof TryLaterError) {
        deps.log.warn('TerminateTargetInstances refused for now', {
          servers: batch.length,
          code: error.code,
        });
        for (const r of batch) refused(r.cleanup!, 'TerminateTargetInstances', error, at);
        break;
      }
      throw error;
    }
  }
  return cleanupPending(records).length;
}

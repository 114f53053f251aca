import { TryLaterError } from '../errors';
import type { FlowDeps } from '../ports';
import { activeServers, countsOf, failServer, loadManifest, loadRunState, mark, saveRunState, type ServerRecord } from '../run-state';
import { isFinalized, readWave } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';
import { requestCleanup, retireTargetInstances } from './target-instances';

export const REVERT_POLL_SECONDS = 30;

/**
 * The finalize gate answered revert: MGN's "Revert to ready for cutover" for every server the wave
 * cut over (MGN user guide, "Reverting a cutover"): ChangeServerLifeCycleState to READY_FOR_CUTOVER
 * (allowed from CUTTING_OVER while replication runs; never after FinalizeCutover), then
 * TerminateTargetInstances (refused in CUTTING_OVER) for the cutover instances, and the poll waits
 * until MGN's terminate job says each instance is TERMINATED. Replication keeps running and the
 * sources are never touched: the wave can cut over again later. Ends with outcome "reverted".
 */
export async function revertCutover(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const views = await readWave(deps.mgn, manifest, state);
  for (const r of activeServers(state)) {
    if (r.reverted || r.cleanup?.purpose === 'revert') continue;
    const view = views.get(r.name);
    if (!view) failServer(r, 'finalize-approval', 'MGN no longer knows this source server: nothing to revert', at);
    else if (isFinalized(view))
      failServer(r, 'finalize-approval', 'its cutover is finalized already (replication stopped): MGN cannot revert a finalized cutover', at);
    else if (view.lifecycleState === 'CUTTING_OVER') {
      requestCleanup(r, 'revert', 'READY_FOR_CUTOVER');
      mark(r, 'finalize-approval', 'started', at);
    } else
      failServer(r, 'finalize-approval', `lifecycle ${view.lifecycleState ?? 'unknown'}: no cutover to revert`, at);
  }
  const cleanupLeft = await retireTargetInstances(deps, state.servers, views);

  // The rollback is done for a server once its cutover instance is TERMINATED in MGN's job (or it had none).
  const terminating = activeServers(state).filter((r) => !r.reverted && r.cleanup?.purpose === 'revert' && r.cleanup.finished);
  const jobIds = [...new Set(terminating.map((r) => r.cleanup!.terminateJobId).filter((id): id is string => Boolean(id)))];
  let jobs = new Map<string, Awaited<ReturnType<FlowDeps['mgn']['describeJobs']>>[number]>();
  if (jobIds.length > 0) {
    try {
      jobs = new Map((await deps.mgn.describeJobs(jobIds)).map((j) => [j.jobId, j]));
    } catch (error) {
      if (!(error instanceof TryLaterError)) throw error;
      deps.log.warn('DescribeJobs refused for now', { code: error.code });
    }
  }
  let waiting = 0;
  const done = (r: ServerRecord) => {
    r.reverted = at.toISOString();
    mark(r, 'finalize-approval', 'done', at);
  };
  for (const r of terminating) {
    const cleanup = r.cleanup!;
    if (cleanup.gaveUp) {
      failServer(r, 'finalize-approval', `revert: ${cleanup.gaveUp}`, at);
      continue;
    }
    if (!cleanup.terminateJobId) {
      done(r);
      continue;
    }
    const job = jobs.get(cleanup.terminateJobId);
    if (!job || job.status !== 'COMPLETED') {
      waiting += 1;
      continue;
    }
    const mine = job.servers.find((s) => s.sourceServerId === r.sourceServerId);
    if (mine?.launchStatus === 'TERMINATED') done(r);
    else
      failServer(
        r,
        'finalize-approval',
        `revert: lifecycle back to READY_FOR_CUTOVER, but MGN's terminate job ${job.jobId} ended with the cutover instance ${mine?.launchStatus ?? 'not listed'}; terminate it with TerminateTargetInstances`,
        at,
      );
  }
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('revert poll', { cleanupLeft, waiting, cause: ctx.revertRequest?.Cause, ...counts });
  return cleanupLeft === 0 && waiting === 0
    ? { ...phaseDone(ctx, 'finalize-approval', counts), outcome: 'reverted' }
    : pollAgain(ctx, 'finalize-approval', REVERT_POLL_SECONDS, counts);
}

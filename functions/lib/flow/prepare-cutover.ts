import type { FlowDeps } from '../ports';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
} from '../run-state';
import { reached, readWave, serversInPhase } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';
import { requestCleanup, retireTargetInstances } from './target-instances';

export const PREPARE_POLL_SECONDS = 30;

/**
 * Marks every server READY_FOR_CUTOVER and terminates its test instance (in that order: MGN refuses
 * TerminateTargetInstances in TESTING). Servers already cutting over or cut over are skipped.
 */
export async function prepareCutover(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const views = await readWave(deps.mgn, manifest, state);
  for (const { record: r, view } of serversInPhase(state, views, 'cutover-prep', at, 'CUTTING_OVER')) {
    if (!reached(view, 'READY_FOR_TEST')) {
      failServer(
        r,
        'cutover-prep',
        `lifecycle ${view.lifecycleState ?? 'unknown'} is not launchable (replication not ready)`,
        at,
      );
      continue;
    }
    requestCleanup(r, 'prepare-cutover', 'READY_FOR_CUTOVER');
    mark(r, 'cutover-prep', 'started', at);
  }
  const left = await retireTargetInstances(deps, state.servers, views);
  for (const r of activeServers(state)) {
    if (r.cleanup?.purpose !== 'prepare-cutover' || !r.cleanup.finished) continue;
    if (r.cleanup.gaveUp) failServer(r, 'cutover-prep', r.cleanup.gaveUp, at);
    else mark(r, 'cutover-prep', 'done', at);
  }
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('cutover preparation poll', { cleanupLeft: left, ...counts });
  return left === 0
    ? phaseDone(ctx, 'cutover-prep', counts)
    : pollAgain(ctx, 'cutover-prep', PREPARE_POLL_SECONDS, counts);
}

import type { FlowDeps } from '../ports';
import { activeServers, countsOf, loadManifest, loadRunState, mark, saveRunState } from '../run-state';
import { reached, readWave } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';
import { requestCleanup, retireTargetInstances } from './target-instances';

export const DISCARD_POLL_SECONDS = 30;

/**
 * The rejection path (approval rejected or timed out): every server in TESTING goes back to
 * READY_FOR_TEST (MGN refuses TerminateTargetInstances in TESTING) and its test instance is
 * terminated. No cutover happens; the wave ends with outcome "rejected".
 */
export async function discardTest(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const views = await readWave(deps.mgn, manifest, state);
  for (const r of activeServers(state)) {
    const view = views.get(r.name);
    mark(r, 'approval', 'skipped', at);
    if (view && reached(view, 'TESTING') && !reached(view, 'READY_FOR_CUTOVER'))
      requestCleanup(r, 'discard', 'READY_FOR_TEST');
    else if (view?.lifecycleState === 'READY_FOR_TEST' && r.testLaunch?.instanceId)
      requestCleanup(r, 'discard', 'READY_FOR_TEST');
  }
  const left = await retireTargetInstances(deps, state.servers, views);
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('test instances discarded after rejection', {
    cleanupLeft: left,
    reason: ctx.rejection?.Error ?? 'not approved',
  });
  return left === 0
    ? { ...phaseDone(ctx, 'approval', counts), outcome: 'rejected' }
    : pollAgain(ctx, 'approval', DISCARD_POLL_SECONDS, counts);
}

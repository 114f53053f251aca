import { forEachConcurrently } from '../batching';
import { TryLaterError, reasonOf } from '../errors';
import type { FlowDeps } from '../ports';
import { countsOf, failServer, loadManifest, loadRunState, mark, saveRunState } from '../run-state';
import { archiveWaveInMgn, noteGroupingProblem } from '../mgn-grouping';
import { isFinalized, readWave, serversInPhase } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';

/**
 * FinalizeCutover and MarkAsArchived are one call per server. A poll makes up to MAX_CALLS_PER_POLL of
 * them, CALL_CONCURRENCY at a time, so a whole 1,000-server wave is finalised in one poll and archived
 * in the next (the benchmark saw 20 polls with 100 sequential calls each), and a poll stays well
 * inside the Lambda timeout (1,000 calls of ~50 ms, 10 at a time: ~5 s).
 */
export const MAX_CALLS_PER_POLL = 1000;
export const CALL_CONCURRENCY = 10;
export const FINALIZE_POLL_SECONDS = 10;

/**
 * FinalizeCutover for every verified cutover (CUTTING_OVER), then MarkAsArchived when
 * options.phases.archive (MGN allows it only in CUTOVER or DISCONNECTED, so on a later poll).
 * Servers already finalised or archived are skipped.
 */
export async function finalizeCutover(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const views = await readWave(deps.mgn, manifest, state);
  let calls = 0;
  let left = 0;
  let refused: string | undefined;
  const toCall: { record: (typeof state.servers)[number]; sourceServerId: string; finalized: boolean }[] = [];
  for (const { record: r, view } of serversInPhase(state, views, 'finalize', at)) {
    const finalized = isFinalized(view);
    const needsArchive = ctx.phases.archive && !view.isArchived;
    if (finalized && !needsArchive) {
      mark(r, 'finalize', 'done', at);
      continue;
    }
    if (!finalized && view.lifecycleState !== 'CUTTING_OVER') {
      failServer(
        r,
        'finalize',
        `lifecycle ${view.lifecycleState ?? 'unknown'}: no launched cutover to finalise`,
        at,
      );
      continue;
    }
    left += 1;
    if (toCall.length < MAX_CALLS_PER_POLL)
      toCall.push({ record: r, sourceServerId: view.sourceServerId, finalized });
  }
  // source server id -> archived, as this poll knows it (the read above, then its MarkAsArchived calls)
  const known = new Map([...views.values()].map((v) => [v.sourceServerId, v.isArchived]));
  await forEachConcurrently(toCall, CALL_CONCURRENCY, async ({ record: r, sourceServerId, finalized }) => {
    if (refused) return;
    calls += 1;
    try {
      if (!finalized) {
        await deps.mgn.finalizeCutover(sourceServerId);
        mark(r, 'finalize', 'started', at);
      } else {
        await deps.mgn.markAsArchived(sourceServerId);
        known.set(sourceServerId, true);
        mark(r, 'finalize', 'done', at);
        left -= 1;
      }
    } catch (error) {
      if (error instanceof TryLaterError) refused ??= error.code;
      else {
        failServer(r, 'finalize', `MGN refused: ${reasonOf(error)}`, at);
        left -= 1;
      }
    }
  });
  // the MGN applications and wave are archived with their servers, once every server is
  let archiveLeft: string | undefined;
  if (left === 0 && ctx.phases.archive)
    try {
      await archiveWaveInMgn(deps.mgn, manifest, state, known);
    } catch (error) {
      // throttled or a 5xx: archive on the next poll; anything else goes to the report, never fails the wave
      if (error instanceof TryLaterError) archiveLeft = error.code;
      else noteGroupingProblem(state, `MGN grouping not archived: ${reasonOf(error)}`);
    }
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('finalize poll', { calls, left, refused, ...(archiveLeft ? { archiveLeft } : {}), ...counts });
  return left === 0 && !archiveLeft
    ? phaseDone(ctx, 'finalize', counts)
    : pollAgain(ctx, 'finalize', FINALIZE_POLL_SECONDS, counts);
}

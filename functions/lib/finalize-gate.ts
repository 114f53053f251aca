/**
 * The finalize gate (issue 13): finalizing a cutover is irreversible (MGN stops replication and the
 * way back to the source closes), so after cutover verification the wave waits a soak period of
 * production traffic on the cutover instances, then asks a second approval: approve (finalize),
 * reject (stay cut over, not finalized; a re-run resumes here) or revert (roll back to the source).
 */
import type { WaveManifest } from './manifest';
import type { SourceServerView } from './ports';
import { activeServers, type RunState } from './run-state';
import { reached } from './source-servers';

/** The gates a wave asks approval at; the approval request names its gate. */
export const GATES = ['cutover', 'finalize'] as const;
export type Gate = (typeof GATES)[number];

/**
 * The error a `revert` answer sends (SendTaskFailure): at the finalize gate the cutover is rolled
 * back; at the cutover gate nothing is cut over yet, so the wave refuses it and asks again.
 */
export const REVERT_ERROR = 'RevertRequested';

/**
 * A re-run finds every active server already cutting over (or past it): its cutover was approved by
 * an earlier run, so this run does not ask again and resumes at the finalize gate.
 */
export function cutoverAlreadyApproved(state: RunState, views: ReadonlyMap<string, SourceServerView>): boolean {
  const active = activeServers(state);
  return active.length > 0 && active.every((r) => reached(views.get(r.name), 'CUTTING_OVER'));
}

/** No active server is cut over and waiting to be finalized: the finalize gate has nothing to decide. */
export const nothingToFinalize = (state: RunState, views: ReadonlyMap<string, SourceServerView>): boolean =>
  !activeServers(state).some((r) => views.get(r.name)?.lifecycleState === 'CUTTING_OVER');

/**
 * The soak still to wait, in whole seconds: options.soakHours counted from the latest cutover launch
 * of the wave's servers (MGN lifeCycle.lastCutover.initiated), so a re-run after the soak does not
 * wait again. Servers already finalized, or with no cutover launched, do not count.
 */
export function soakSecondsLeft(
  manifest: WaveManifest,
  state: RunState,
  views: ReadonlyMap<string, SourceServerView>,
  at: Date,
): number {
  const soak = manifest.options.soakHours * 3600;
  if (soak <= 0) return 0;
  let latest: number | undefined;
  for (const r of activeServers(state)) {
    const view = views.get(r.name);
    if (view?.lifecycleState !== 'CUTTING_OVER') continue;
    const launched = view.lastCutoverInitiatedAt ? Date.parse(view.lastCutoverInitiatedAt) : NaN;
    // a launch MGN does not date counts from now: the soak is never cut short by a missing field
    const from = Number.isNaN(launched) ? at.getTime() : launched;
    latest = latest === undefined ? from : Math.max(latest, from);
  }
  if (latest === undefined) return 0;
  return Math.max(0, Math.ceil(soak - (at.getTime() - latest) / 1000));
}

/**
 * How long to wait before the next replication poll. Each poll costs about ten history events
 * (Task, Choice, Wait), and a Standard execution dies at 25,000; so waits grow with the phase's age
 * and follow MGN's own ETA: half the remaining time when an ETA is known (geometric approach to the
 * finish), never less than a small share of the time already spent. The share bounds the idle time
 * after the fleet finishes to a few percent of the phase's duration.
 */
export const MIN_WAIT_SECONDS = 30;
/**
 * The longest gap between polls. Six hours: the halving ETA waits reach it only while more than
 * twelve hours of replication remain, per-server deadlines still cut a wait short, and a 2-hour cap
 * made a 37-hour replication cost 18 polls (the benchmark's 1,000-server wave) where its ETA needs 8.
 */
export const MAX_WAIT_SECONDS = 6 * 3600;
/** the idle time past the fleet's finish stays under this share of the time the phase has run */
export const IDLE_SHARE = 0.03;

export interface ReplicationTimingInput {
  /** seconds since the replication phase started */
  readonly elapsedSeconds: number;
  /** the latest ETA (seconds from now) among servers still replicating, when MGN or the observed rate gives one */
  readonly fleetEtaSeconds?: number;
  /** seconds from now until the earliest per-server replication deadline */
  readonly secondsToNextDeadline?: number;
  /** options.pollIntervalSeconds: the wait when nothing tells us better */
  readonly pollIntervalSeconds: number;
}

const clamp = (v: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, v));

export function nextReplicationWait(input: ReplicationTimingInput): number {
  const floor = clamp(Math.round(IDLE_SHARE * input.elapsedSeconds), MIN_WAIT_SECONDS, MAX_WAIT_SECONDS);
  let wait =
    input.fleetEtaSeconds !== undefined
      ? clamp(Math.round(input.fleetEtaSeconds / 2), floor, MAX_WAIT_SECONDS)
      : clamp(input.pollIntervalSeconds, floor, MAX_WAIT_SECONDS);
  // Look again just after the first server's deadline so a timeout is reported on time.
  if (input.secondsToNextDeadline !== undefined) wait = Math.min(wait, Math.max(MIN_WAIT_SECONDS, Math.ceil(input.secondsToNextDeadline) + 1));
  return wait;
}

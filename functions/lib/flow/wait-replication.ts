import { reasonOf, TryLaterError } from '../errors';
import type { FlowDeps, SourceServerView } from '../ports';
import { nextReplicationWait } from '../replication-timing';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
  type ServerRecord,
} from '../run-state';
import { groupWaveInMgn, noteGroupingProblem } from '../mgn-grouping';
import { reached, readWave, setAsideDisconnected } from '../source-servers';
import { phaseDone, pollAgain, type ReplicationProgress, type WaveContext } from '../wave-context';

/** No replicated byte for this long while not ready: flagged STALLED even if MGN has not said so. */
export const NO_PROGRESS_STALL_SECONDS = 3600;

/** Replicated and launchable: READY_FOR_TEST or later with CONTINUOUS replication (or already cut over). */
export const isReplicated = (view: SourceServerView | undefined): boolean =>
  reached(view, 'CUTTING_OVER') ||
  (reached(view, 'READY_FOR_TEST') && view?.replicationState === 'CONTINUOUS');

const percentOf = (view: SourceServerView): number =>
  view.totalBytes > 0 ? Math.min(100, Math.floor((view.replicatedBytes / view.totalBytes) * 1000) / 10) : 0;

/** Seconds until this server's initial sync ends: MGN's ETA, else the rate observed since the last poll. */
function etaSeconds(view: SourceServerView, record: ServerRecord, at: Date): number | undefined {
  if (view.etaDateTime) {
    const eta = Date.parse(view.etaDateTime);
    if (!Number.isNaN(eta)) return Math.max(0, (eta - at.getTime()) / 1000);
  }
  const watch = record.replication;
  if (!watch || view.totalBytes <= 0) return undefined;
  const seconds = (at.getTime() - Date.parse(watch.lastProgressAt)) / 1000;
  const gained = view.replicatedBytes - watch.lastReplicatedBytes;
  if (seconds <= 0 || gained <= 0) return undefined;
  return ((view.totalBytes - view.replicatedBytes) / gained) * seconds;
}

function describeFailure(view: SourceServerView | undefined, record: ServerRecord, hours: number): string {
  if (!view)
    return `the server never appeared in MGN within ${hours}h of the replication phase (agent not registered)`;
  const watch = record.replication;
  const state = view.replicationState ?? 'unknown state';
  const why = watch?.stalled
    ? `replication STALLED${view.replicationError ? ` (${view.replicationError})` : ''}`
    : `replication still ${state}`;
  return `${why} at ${watch?.percent ?? 0}% after ${hours}h (options.replicationTimeoutHours); lifecycle ${view.lifecycleState ?? 'unknown'}`;
}

/**
 * One poll of the whole wave's replication: per-server state, progress %, lag and ETA (kept in S3),
 * STALLED detection, and a per-server timeout (options.replicationTimeoutHours) that sets a server
 * aside. The next wait follows MGN's ETA (replication-timing.ts).
 */
export async function waitReplication(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const phaseStartedAt = Date.parse((state.phaseStartedAt.replication ??= at.toISOString()));
  const timeoutSeconds = manifest.options.replicationTimeoutHours * 3600;
  const views = await readWave(deps.mgn, manifest, state);
  // disconnected meanwhile: it will never replicate again, so waiting for the timeout helps no one
  setAsideDisconnected(state, views, 'replication', at);
  // the MGN console groups the servers as the wave does, as soon as MGN knows them
  try {
    await groupWaveInMgn(deps.mgn, manifest, state, views);
  } catch (error) {
    // throttled or a 5xx: the next poll groups what is left; anything else goes to the report, never fails the wave
    if (error instanceof TryLaterError) deps.log.warn('MGN grouping deferred', { reason: error.message });
    else noteGroupingProblem(state, `MGN grouping stopped: ${reasonOf(error)}`);
  }

  let ready = 0;
  let stalled = 0;
  let percentSum = 0;
  let fleetEta: number | undefined;
  let etaUnknown = false;
  let maxLag: number | undefined;
  let nextDeadline: number | undefined;

  for (const record of activeServers(state)) {
    const view = views.get(record.name);
    const watch = (record.replication ??= {
      startedAt: at.toISOString(),
      percent: 0,
      lastProgressAt: at.toISOString(),
      lastReplicatedBytes: 0,
      stalled: false,
    });
    mark(record, 'replication', 'started', at);
    if (isReplicated(view)) {
      watch.percent = 100;
      watch.state = view!.replicationState;
      watch.stalled = false;
      watch.etaSeconds = 0;
      watch.lagSeconds = view!.lagSeconds;
      mark(record, 'replication', 'done', at);
      ready += 1;
      percentSum += 100;
      if (view!.lagSeconds !== undefined) maxLag = Math.max(maxLag ?? 0, view!.lagSeconds);
      continue;
    }
    if (view) {
      const eta = etaSeconds(view, record, at);
      if (view.replicatedBytes > watch.lastReplicatedBytes) {
        watch.lastReplicatedBytes = view.replicatedBytes;
        watch.lastProgressAt = at.toISOString();
      }
      watch.state = view.replicationState;
      watch.percent = percentOf(view);
      watch.lagSeconds = view.lagSeconds;
      watch.etaSeconds = eta === undefined ? undefined : Math.round(eta);
      watch.stalled =
        view.replicationState === 'STALLED' ||
        (at.getTime() - Date.parse(watch.lastProgressAt)) / 1000 > NO_PROGRESS_STALL_SECONDS;
      if (eta === undefined) etaUnknown = true;
      else fleetEta = Math.max(fleetEta ?? 0, eta);
    } else etaUnknown = true;

    const age = (at.getTime() - Date.parse(watch.startedAt)) / 1000;
    if (age >= timeoutSeconds) {
      failServer(
        record,
        'replication',
        describeFailure(view, record, manifest.options.replicationTimeoutHours),
        at,
      );
      continue;
    }
    nextDeadline = Math.min(nextDeadline ?? Infinity, timeoutSeconds - age);
    if (watch.stalled) stalled += 1;
    percentSum += watch.percent;
  }

  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  const remaining = counts.active - ready;
  const progress: ReplicationProgress = {
    readyServers: ready,
    percent: counts.active > 0 ? Math.round((percentSum / counts.active) * 10) / 10 : 100,
    stalledServers: stalled,
    ...(fleetEta !== undefined && !etaUnknown ? { etaSeconds: Math.round(fleetEta) } : {}),
    ...(maxLag !== undefined ? { maxLagSeconds: maxLag } : {}),
  };
  deps.log.info('replication poll', { ...progress, ...counts });
  if (remaining === 0) return { ...phaseDone(ctx, 'replication', counts), progress };
  const waitSeconds = nextReplicationWait({
    elapsedSeconds: (at.getTime() - phaseStartedAt) / 1000,
    fleetEtaSeconds: etaUnknown ? undefined : fleetEta,
    secondsToNextDeadline: nextDeadline,
    pollIntervalSeconds: manifest.options.pollIntervalSeconds,
  });
  return { ...pollAgain(ctx, 'replication', waitSeconds, counts), progress };
}

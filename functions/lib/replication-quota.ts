/**
 * MGN's quota on source servers in active replication: 150 per account and region unless increased
 * (Service Quotas service code `mgn`, quota code `L-9A599620`, adjustable; "AWS Application Migration
 * Service endpoints and quotas" in the AWS General Reference). A wave needs all its servers
 * replicating at once to reach READY_FOR_TEST, so a wave larger than the quota can never finish;
 * a wave that fits waits in install until other waves' servers stop replicating.
 */
import type { WaveManifest } from './manifest';
import type { FlowDeps, SourceServerView } from './ports';
import { activeServers, failServer, mark, type RunState, type ServerRecord } from './run-state';

export const REPLICATING_SERVERS_QUOTA = { serviceCode: 'mgn', quotaCode: 'L-9A599620', defaultValue: 150 } as const;

/** Data replication states in which a source server no longer replicates (MGN DataReplicationInfo.dataReplicationState). */
const NOT_REPLICATING_STATES: ReadonlySet<string> = new Set(['STOPPED', 'DISCONNECTED']);
/** Lifecycle states past replication: cut over (FinalizeCutover stops replication) or disconnected. */
const PAST_REPLICATION_LIFECYCLE: ReadonlySet<string> = new Set(['CUTOVER', 'DISCONNECTED']);

/**
 * Whether a source server counts against the quota: not archived, its data replication neither
 * stopped nor disconnected, and not cut over or disconnected (MGN API reference, SourceServer
 * lifeCycle.state and dataReplicationInfo.dataReplicationState).
 */
export const countsAgainstReplicatingQuota = (s: SourceServerView): boolean =>
  !s.isArchived &&
  !NOT_REPLICATING_STATES.has(s.replicationState ?? '') &&
  !PAST_REPLICATION_LIFECYCLE.has(s.lifecycleState ?? '');

/** The operator's remedy, named in every refusal and wait. */
export const QUOTA_REMEDY = `request an increase of Service Quotas code ${REPLICATING_SERVERS_QUOTA.quotaCode} (service ${REPLICATING_SERVERS_QUOTA.serviceCode}, "AWS Application Migration Service") in the target region, or split the wave`;

/**
 * An agent install that registered no source server because the quota was full (the installer
 * prints MGN's ServiceQuotaExceededException): the host is fine, the server waits for room.
 */
export const refusedByQuota = (installFailure: string): boolean => installFailure.includes('ServiceQuotaExceededException');

/** A wave that cannot fit under the quota however long it waits: refused in preflight, nothing touched. */
export class ReplicatingQuotaError extends Error {
  override readonly name = 'ReplicatingQuotaError';
}

/** The applied quota and how many of the region's source servers count against it now. */
export async function replicatingUsage(deps: FlowDeps): Promise<{ quota: number; replicating: number }> {
  const quota = await deps.quotas.replicatingServersQuota();
  const replicating = (await deps.mgn.listSourceServers()).filter(countsAgainstReplicatingQuota).length;
  return { quota, replicating };
}

/**
 * Preflight: a wave with more servers than the quota can never have them all replicating at once,
 * so it can never reach READY_FOR_TEST: refused before anything is touched, with the numbers and the remedy.
 */
export async function refuseWaveBeyondQuota(deps: FlowDeps, manifest: WaveManifest): Promise<void> {
  const quota = await deps.quotas.replicatingServersQuota();
  if (manifest.servers.length <= quota) return;
  throw new ReplicatingQuotaError(
    `wave ${manifest.waveId} has ${manifest.servers.length} servers but the account may replicate at most ${quota} source servers at once in ${manifest.targetRegion} ` +
      `(Service Quotas ${REPLICATING_SERVERS_QUOTA.serviceCode}/${REPLICATING_SERVERS_QUOTA.quotaCode}): ${QUOTA_REMEDY}. Nothing was changed.`,
  );
}

/**
 * Install: admits the servers ready to install (precheck passed) when the quota has room for all of
 * the wave's servers still to install, counting the region's replicating servers and this wave's
 * installs still running (their servers register when the installer ends). All or nothing: a wave
 * admitted in part would hold room while waiting for the rest, and two waves doing so could wait on
 * each other until both time out. Held servers wait for room, each at most `maxWaitSeconds` (the
 * wave's replication timeout), then are set aside with the numbers and the remedy.
 * Returns the admitted servers, in manifest order.
 */
export async function admitUnderQuota(
  deps: FlowDeps,
  state: RunState,
  ready: readonly ServerRecord[],
  maxWaitSeconds: number,
  at: Date,
): Promise<ServerRecord[]> {
  if (ready.length === 0) return [];
  const { quota, replicating } = await replicatingUsage(deps);
  const active = activeServers(state);
  const installing = active.filter((r) => r.install?.stage === 'install-sent').length;
  // the wave's servers that will still need room: not installed and not installing (prechecks included)
  const outstanding = active.filter((r) => r.install?.stage !== 'installed' && r.install?.stage !== 'install-sent').length;
  const room = Math.max(0, quota - replicating - installing);
  const admitted = room >= outstanding ? [...ready] : [];
  for (const r of admitted) {
    if (r.quotaWait && r.quotaWait.waitedSeconds === undefined)
      r.quotaWait.waitedSeconds = Math.round((at.getTime() - Date.parse(r.quotaWait.since)) / 1000);
  }
  const held = admitted.length > 0 ? [] : ready;
  for (const r of held) {
    r.quotaWait ??= { since: at.toISOString() };
    mark(r, 'install', 'waiting-for-quota', at);
    const waited = (at.getTime() - Date.parse(r.quotaWait.since)) / 1000;
    if (waited >= maxWaitSeconds) {
      r.quotaWait.waitedSeconds = Math.round(waited);
      failServer(
        r,
        'install',
        `waited ${Math.round(waited / 3600)}h (options.replicationTimeoutHours) for room under the replicating-servers quota: ` +
          `${replicating} of ${quota} source servers replicate in the region (Service Quotas ${REPLICATING_SERVERS_QUOTA.serviceCode}/${REPLICATING_SERVERS_QUOTA.quotaCode}); ${QUOTA_REMEDY}`,
        at,
      );
    }
  }
  if (held.length > 0)
    deps.log.info('installs waiting for the replicating-servers quota', { quota, replicating, installing, outstanding, waiting: held.length });
  return admitted;
}

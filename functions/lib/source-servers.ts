/**
 * Matching manifest servers to MGN's source servers, and reading the wave's current state from MGN.
 * MGN is the source of truth: every step starts here.
 */
import type { ServerSpec, WaveManifest } from './manifest';
import type { LifecycleState, MgnPort, SourceServerView } from './ports';
import type { PhaseName } from './phases';
import { activeServers, failServer, mark, type RunState, type ServerRecord } from './run-state';

const lower = (v: string | undefined) => v?.toLowerCase();
const shortName = (v: string | undefined) => lower(v)?.split('.')[0];

/**
 * The user-provided id the agent is installed with: the manifest's; or, for an on-premises host the
 * manifest names by no hostname, its managed instance id — such a host has no other hint MGN reports
 * that the manifest knows, so it could never be matched. Servers with a hint get none, so their
 * install commands stay identical and are sent in batches.
 */
export const agentUserProvidedId = (spec: ServerSpec): string | undefined =>
  spec.userProvidedId ??
  (spec.source.type === 'onprem' && !spec.source.hostname ? spec.source.managedInstanceId : undefined);

/** Does this MGN source server stand for this manifest server? (userProvidedID or identificationHints) */
export function isSameServer(spec: ServerSpec, candidate: SourceServerView): boolean {
  const providedId = agentUserProvidedId(spec);
  if (providedId && candidate.userProvidedId === providedId) return true;
  if (spec.source.type === 'ec2') return candidate.hints.awsInstanceId === spec.source.instanceId;
  const hostname = spec.source.hostname;
  if (!hostname) return false;
  if (lower(candidate.hints.fqdn) === lower(hostname)) return true;
  // an on-prem host may report its short name only
  return hostname.includes('.') ? false : shortName(candidate.hints.hostname) === lower(hostname);
}

/**
 * The MGN source server for each manifest server, by name; servers MGN does not know are absent.
 * An unarchived one wins. Failing that, an archived one that was cut over and finalised stands for a
 * server this wave already migrated (a re-run after finalize must not install and launch it again);
 * any other archived server is history, and the host is installed afresh.
 */
export function matchSourceServers(
  specs: readonly ServerSpec[],
  known: readonly SourceServerView[],
): Map<string, SourceServerView> {
  const out = new Map<string, SourceServerView>();
  const live = known.filter((k) => !k.isArchived);
  const migrated = known.filter((k) => k.isArchived && isFinalized(k));
  for (const spec of specs) {
    const match = live.find((k) => isSameServer(spec, k)) ?? migrated.find((k) => isSameServer(spec, k));
    if (match) out.set(spec.name, match);
  }
  return out;
}

/**
 * The current MGN view, by server name, of every record a poll works on: the active ones and those
 * whose target instance is still being retired (failed servers included). One read per poll: when
 * some active records have no sourceServerId yet, the listing that matches them also answers for
 * every record it holds; the rest are described by id (the adapter asks ≤ 200 ids per call), so a
 * poll costs ceil(records / 200) DescribeSourceServers calls, or the listing's pages.
 */
export async function readWave(
  mgn: MgnPort,
  manifest: WaveManifest,
  state: RunState,
): Promise<Map<string, SourceServerView>> {
  const records = state.servers.filter(
    (r) => r.status === 'active' || (r.cleanup !== undefined && !r.cleanup.finished),
  );
  const active = records.filter((r) => r.status === 'active');
  const out = new Map<string, SourceServerView>();
  let toDescribe = records;
  if (active.some((r) => !r.sourceServerId)) {
    const listed = await mgn.listSourceServers();
    const specs = active.filter((r) => !r.sourceServerId).map((r) => specOf(manifest, r));
    const matched = matchSourceServers(specs, listed);
    for (const record of active) {
      const match = matched.get(record.name);
      if (match && !record.sourceServerId) record.sourceServerId = match.sourceServerId;
    }
    const byId = new Map(listed.map((v) => [v.sourceServerId, v]));
    toDescribe = [];
    for (const record of records) {
      const view = record.sourceServerId ? byId.get(record.sourceServerId) : undefined;
      if (view) out.set(record.name, view);
      else if (record.sourceServerId) toDescribe.push(record); // archived since, or beyond the listing
    }
  }
  for (const [name, view] of await describeRecords(mgn, toDescribe)) out.set(name, view);
  return out;
}

/** The current MGN view of the given records that have a source server id, by server name. */
export async function describeRecords(
  mgn: MgnPort,
  records: readonly ServerRecord[],
): Promise<Map<string, SourceServerView>> {
  const ids = [...new Set(records.map((r) => r.sourceServerId).filter((id): id is string => Boolean(id)))];
  const views = ids.length > 0 ? await mgn.describeSourceServers(ids) : [];
  const byId = new Map(views.map((v) => [v.sourceServerId, v]));
  const out = new Map<string, SourceServerView>();
  for (const record of records) {
    const view = record.sourceServerId ? byId.get(record.sourceServerId) : undefined;
    if (view) out.set(record.name, view);
  }
  return out;
}

const specIndex = new WeakMap<WaveManifest, Map<string, ServerSpec>>();

/** The manifest entry of a server record (indexed once per manifest object: waves hold up to 1,000 servers). */
export const specOf = (manifest: WaveManifest, record: ServerRecord): ServerSpec => {
  let index = specIndex.get(manifest);
  if (!index) {
    index = new Map(manifest.servers.map((s) => [s.name, s]));
    specIndex.set(manifest, index);
  }
  const spec = index.get(record.name);
  if (!spec) throw new Error(`server ${record.name} is not in the manifest`);
  return spec;
};

/** Lifecycle states in the order a migration moves through them. */
const LIFECYCLE_RANK: Record<LifecycleState, number> = {
  DISCOVERED: 0,
  PENDING_INSTALLATION: 0,
  NOT_READY: 0,
  STOPPED: 0,
  READY_FOR_TEST: 1,
  TESTING: 2,
  READY_FOR_CUTOVER: 3,
  CUTTING_OVER: 4,
  CUTOVER: 5,
  DISCONNECTED: 6,
};

/**
 * Migrated: the server's last cutover was finalized (MGN lifeCycle.lastCutover.finalized, which
 * FinalizeCutover sets and a new cutover clears) and it is CUTOVER, or DISCONNECTED after that.
 */
export const isFinalized = (view: SourceServerView | undefined): boolean =>
  view?.lastCutoverFinalizedAt !== undefined &&
  (view.lifecycleState === 'CUTOVER' || view.lifecycleState === 'DISCONNECTED');

/**
 * DISCONNECTED says only that replication was stopped: DisconnectFromService takes any server out
 * of MGN, migrated or not. One whose cutover was never finalized has left the migration path.
 */
export const isDisconnectedUnmigrated = (view: SourceServerView | undefined): boolean =>
  view?.lifecycleState === 'DISCONNECTED' && !isFinalized(view);

export const DISCONNECTED_REASON =
  'MGN lifecycle DISCONNECTED with no finalized cutover: the server was disconnected from MGN (DisconnectFromService) before it migrated, so it no longer replicates and MGN cannot launch it; reinstall the agent on the source or archive the source server in MGN, then re-run the wave';

/** True when the server's lifecycle is at or beyond `state` (a server disconnected unmigrated has reached nothing). */
export const reached = (view: SourceServerView | undefined, state: LifecycleState): boolean =>
  view?.lifecycleState !== undefined &&
  !isDisconnectedUnmigrated(view) &&
  LIFECYCLE_RANK[view.lifecycleState] >= LIFECYCLE_RANK[state];

/** Sets aside the active servers MGN shows disconnected before they migrated, saying what to do. */
export function setAsideDisconnected(
  state: RunState,
  views: ReadonlyMap<string, SourceServerView>,
  phase: PhaseName,
  at: Date,
): void {
  for (const record of activeServers(state))
    if (isDisconnectedUnmigrated(views.get(record.name))) failServer(record, phase, DISCONNECTED_REASON, at);
}

/**
 * The active servers a phase still has to work on, each with MGN's view of it. A server MGN no
 * longer knows, or shows disconnected before it migrated, is set aside; one already at or past
 * `past` (when given) is marked skipped.
 */
export function serversInPhase(
  state: RunState,
  views: ReadonlyMap<string, SourceServerView>,
  phase: PhaseName,
  at: Date,
  past?: LifecycleState,
): { record: ServerRecord; view: SourceServerView }[] {
  const out: { record: ServerRecord; view: SourceServerView }[] = [];
  for (const record of activeServers(state)) {
    const view = views.get(record.name);
    if (!view) failServer(record, phase, 'MGN no longer knows this source server', at);
    else if (isDisconnectedUnmigrated(view)) failServer(record, phase, DISCONNECTED_REASON, at);
    else if (past && reached(view, past)) mark(record, phase, 'skipped', at);
    else out.push({ record, view });
  }
  return out;
}

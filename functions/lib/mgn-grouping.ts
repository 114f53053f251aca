/**
 * MGN's own grouping of the wave: an MGN wave named after the wave id and one MGN application per
 * `servers[].application` (default: one named after the wave), so the MGN console shows the grouping
 * the orchestrator uses. The wave's run finds them by name or creates them (names are unique per
 * account and region, case-insensitively), associates the applications with the wave and each
 * server with its application once MGN knows the server, and archives applications and wave when
 * the wave is finalized and archived.
 *
 * MGN stays the source of truth: a server is associated when its SourceServer.applicationID is not
 * the application's, so a re-run associates only what is missing and creates nothing twice. Calls
 * carry at most 50 ids (AssociateApplications applicationIDs, AssociateSourceServers
 * sourceServerIDs). Grouping is bookkeeping: what MGN refuses (a name used by a wave it will not
 * let us use, the 200-active-waves or applications quota, a server in another application) is
 * written in the report and never sets a server aside or stops the wave.
 */
import { chunk } from './batching';
import { reasonOf, TryLaterError } from './errors';
import type { WaveManifest } from './manifest';
import { applicationNamesOf } from './mgn-applications';
import type { MgnGroupView, MgnPort, SourceServerView } from './ports';
import type { RunState } from './run-state';

/** AssociateApplications and AssociateSourceServers take at most 50 ids per call (MGN model). */
export const MAX_IDS_PER_ASSOCIATE = 50;

export interface MgnGroupRecord {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  /** true when this run created it (false: found by name) */
  readonly created: boolean;
  archived: boolean;
}

export interface MgnApplicationRecord extends MgnGroupRecord {
  /** source servers of this wave associated with the application, as MGN last said */
  sourceServerIds: string[];
}

/** What the run knows of its MGN wave and applications (kept in the run's servers.json, shown in the report). */
export interface MgnGrouping {
  wave?: MgnGroupRecord;
  applications: MgnApplicationRecord[];
  /** what MGN refused, for the report; grouping problems never fail a server */
  problems: string[];
}

/** Server name -> MGN application name (mgn-applications.ts applicationNamesOf: `application`, else the wave's). */
export function applicationsByServer(manifest: WaveManifest): Map<string, string> {
  const names = applicationNamesOf(manifest.waveId, manifest.servers);
  return new Map(manifest.servers.map((s, i) => [s.name, names[i]]));
}

const key = (name: string) => name.toLowerCase();
const description = (waveId: string) => `mgn-isolated-orchestrator wave ${waveId}`;

/** Notes a problem of the run's grouping in the report (the step carries on). */
export function noteGroupingProblem(state: RunState, problem: string): void {
  note((state.mgn ??= { applications: [], problems: [] }), problem);
}

function note(grouping: MgnGrouping, problem: string): void {
  if (!grouping.problems.includes(problem)) grouping.problems.push(problem.slice(0, 500));
  if (grouping.problems.length > 50) grouping.problems.splice(0, grouping.problems.length - 50);
}

/** A refusal that will not go away by itself (not throttling, not a 5xx): note it and carry on. */
const isLasting = (error: unknown) =>
  !(error instanceof TryLaterError) || error.code === 'ConflictException' || error.code === 'ServiceQuotaExceededException';

async function findOrCreate(
  existing: readonly MgnGroupView[],
  name: string,
  create: () => Promise<MgnGroupView>,
): Promise<MgnGroupRecord & { waveId?: string }> {
  const found = existing.find((g) => key(g.name) === key(name));
  if (found) return { id: found.id, arn: found.arn, name: found.name, created: false, archived: found.isArchived, ...(found.waveId ? { waveId: found.waveId } : {}) };
  const made = await create();
  return { id: made.id, arn: made.arn, name: made.name, created: true, archived: made.isArchived };
}

/**
 * Finds or creates the MGN wave and applications (once per run: kept in the run state) and
 * associates the applications with the wave. Throws only what should make the step retry
 * (throttling, 5xx); lasting refusals are noted in `state.mgn.problems`.
 */
async function ensureGroups(mgn: MgnPort, manifest: WaveManifest, grouping: MgnGrouping): Promise<void> {
  const names = [...new Map([...applicationsByServer(manifest).values()].map((n) => [key(n), n])).values()];
  if (!grouping.wave) {
    try {
      grouping.wave = await findOrCreate(await mgn.listMgnWaves(), manifest.waveId, () => mgn.createMgnWave(manifest.waveId, description(manifest.waveId)));
    } catch (error) {
      if (!isLasting(error)) throw error;
      note(grouping, `MGN wave ${manifest.waveId} could not be created: ${reasonOf(error)}`);
      return;
    }
  }
  const wave = grouping.wave;
  const missing = names.filter((n) => !grouping.applications.some((a) => key(a.name) === key(n)));
  if (missing.length === 0) return;
  const existing = await mgn.listMgnApplications();
  const toAssociate: string[] = [];
  for (const name of missing) {
    let app: MgnGroupRecord & { waveId?: string };
    try {
      app = await findOrCreate(existing, name, () => mgn.createMgnApplication(name, description(manifest.waveId)));
    } catch (error) {
      if (!isLasting(error)) throw error;
      note(grouping, `MGN application ${name} could not be created: ${reasonOf(error)}`);
      continue;
    }
    if (app.waveId !== undefined && app.waveId !== wave.id) {
      note(grouping, `MGN application ${app.name} (${app.id}) belongs to another MGN wave (${app.waveId}); it is used as it is`);
    } else if (app.waveId === undefined && !app.archived && !wave.archived) toAssociate.push(app.id);
    const { waveId: _, ...record } = app;
    grouping.applications.push({ ...record, sourceServerIds: [] });
  }
  for (const batch of chunk(toAssociate, MAX_IDS_PER_ASSOCIATE)) {
    try {
      await mgn.associateMgnApplications(wave.id, batch);
    } catch (error) {
      if (!isLasting(error)) throw error;
      note(grouping, `MGN refused to associate applications ${batch.join(', ')} with wave ${wave.id}: ${reasonOf(error)}`);
    }
  }
}

/**
 * One pass of grouping, on a replication poll: the wave and applications exist, and every server
 * MGN knows (and has not archived) is associated with its application. `views` are the poll's.
 */
export async function groupWaveInMgn(
  mgn: MgnPort,
  manifest: WaveManifest,
  state: RunState,
  views: ReadonlyMap<string, SourceServerView>,
): Promise<MgnGrouping> {
  const grouping = (state.mgn ??= { applications: [], problems: [] });
  await ensureGroups(mgn, manifest, grouping);
  const appOf = applicationsByServer(manifest);
  const wanted = new Map<string, string[]>();
  for (const record of state.servers) {
    const view = views.get(record.name);
    const name = appOf.get(record.name);
    if (!view || name === undefined) continue;
    const app = grouping.applications.find((a) => key(a.name) === key(name));
    if (!app) continue;
    const ids = app.sourceServerIds;
    if (view.applicationId === app.id) {
      if (!ids.includes(view.sourceServerId)) ids.push(view.sourceServerId);
      continue;
    }
    if (view.applicationId !== undefined) {
      note(grouping, `${record.name} (${view.sourceServerId}) is in another MGN application (${view.applicationId}); it is left there`);
      continue;
    }
    if (view.isArchived || app.archived) continue;
    wanted.set(app.id, [...(wanted.get(app.id) ?? []), view.sourceServerId]);
  }
  for (const [applicationId, ids] of wanted) {
    const app = grouping.applications.find((a) => a.id === applicationId)!;
    for (const batch of chunk(ids, MAX_IDS_PER_ASSOCIATE)) {
      try {
        await mgn.associateMgnSourceServers(applicationId, batch);
        for (const id of batch) if (!app.sourceServerIds.includes(id)) app.sourceServerIds.push(id);
      } catch (error) {
        if (!isLasting(error)) throw error;
        note(grouping, `MGN refused to associate ${batch.length} servers with application ${app.name}: ${reasonOf(error)}`);
      }
    }
  }
  return grouping;
}

/**
 * Archives the run's MGN applications whose servers are all migrated (none of the wave's servers
 * in it was set aside, and MGN has archived every server associated with it), then the MGN wave
 * once all of its applications are: a re-run for servers set aside finds their application and
 * wave still open. Something already archived is left alone (MGN refuses to archive twice).
 * `known` is what the caller's poll knows of the servers (source server id -> archived, including
 * the MarkAsArchived calls it just made), so a poll reads the servers once; ids it does not know
 * are described.
 */
export async function archiveWaveInMgn(
  mgn: MgnPort,
  manifest: WaveManifest,
  state: RunState,
  known: ReadonlyMap<string, boolean> = new Map(),
): Promise<void> {
  const grouping = state.mgn;
  if (!grouping?.wave) return;
  const appOf = applicationsByServer(manifest);
  const setAside = new Map<string, number>();
  for (const record of state.servers) {
    const name = appOf.get(record.name);
    if (record.status === 'failed' && name !== undefined) setAside.set(key(name), (setAside.get(key(name)) ?? 0) + 1);
  }
  // the poll already knows its servers (`known`: source server id -> archived); only ids it does not know are read
  const ids = grouping.applications.flatMap((a) => (a.archived ? [] : a.sourceServerIds));
  const unknown = [...new Set(ids.filter((id) => !known.has(id)))];
  const views = unknown.length > 0 ? await mgn.describeSourceServers(unknown) : [];
  const archived = new Set([...known].filter(([, isArchived]) => isArchived).map(([id]) => id));
  for (const v of views) if (v.isArchived) archived.add(v.sourceServerId);
  for (const app of grouping.applications) {
    if (app.archived) continue;
    const failed = setAside.get(key(app.name)) ?? 0;
    if (failed > 0) {
      note(grouping, `MGN application ${app.name} is not archived: ${failed} of its servers were set aside`);
      continue;
    }
    const pending = app.sourceServerIds.filter((id) => !archived.has(id));
    if (pending.length > 0) {
      note(grouping, `MGN application ${app.name} is not archived: ${pending.length} of its servers are not archived`);
      continue;
    }
    try {
      await mgn.archiveMgnApplication(app.id);
      app.archived = true;
    } catch (error) {
      if (!isLasting(error)) throw error;
      note(grouping, `MGN refused to archive application ${app.name}: ${reasonOf(error)}`);
    }
  }
  if (grouping.wave.archived) return;
  if (grouping.applications.some((a) => !a.archived)) {
    note(grouping, `MGN wave ${grouping.wave.name} is not archived: some of its applications are not`);
    return;
  }
  try {
    await mgn.archiveMgnWave(grouping.wave.id);
    grouping.wave.archived = true;
  } catch (error) {
    if (!isLasting(error)) throw error;
    note(grouping, `MGN refused to archive wave ${grouping.wave.name}: ${reasonOf(error)}`);
  }
}

/**
 * MGN's own grouping of source servers: waves and applications (CreateWave, ListWaves, ArchiveWave,
 * CreateApplication, ListApplications, ArchiveApplication, AssociateApplications,
 * AssociateSourceServers). Input rules are the model's (mgn-2020-02-26: WaveName/ApplicationName
 * 1-256 characters matching `[^\s\x00]( *[^\s\x00])*`, descriptions ≤ 600, ≤ 50 tags,
 * applicationIDs and sourceServerIDs 1-50 per call, ID filters ≤ 200). Service rules:
 *
 * - a name is unique per account and region, compared case-insensitively (MGN user guide,
 *   "Applications › Commands menu": "The name must be unique per account per region. Uniqueness
 *   verification ... is case-insensitive"); the same rule is applied to waves;
 * - at most 200 active (unarchived) waves and 200 active applications per region, and 200 source
 *   servers per application (user guide: "You can add up to 200 servers to an application"; MGN
 *   quotas): ServiceQuotaExceededException;
 * - a source server belongs to at most one application and an application to at most one wave
 *   (SourceServer.applicationID and Application.waveID are single values): associating one that is
 *   already elsewhere is a ConflictException, as is anything done to an archived wave, application
 *   or source server, and archiving what is already archived. Associating what is already associated
 *   to the same target changes nothing.
 *
 * Input that breaks the model's constraints is a ValidationException naming the field, as for every
 * other MGN operation, although the model lists it for none of these eight.
 */
import { createHash } from 'node:crypto';
import { ApiError } from './errors';
import { ACCOUNT_ID, type Fleet, type SourceServer } from './fleet';
import type { JsonOperation } from './mgn';
import { asObject, asStringList, decodeToken, encodeToken, iso, Validator } from './validate';

type Obj = Record<string, unknown>;

/** Quotas of MGN's grouping, per account and region. */
export const GROUP_LIMITS = { activeWaves: 200, activeApplications: 200, serversPerApplication: 200, idsPerAssociateCall: 50 } as const;

const WAVE_ID = /^wave-[0-9a-zA-Z]{17}$/;
const APPLICATION_ID = /^app-[0-9a-zA-Z]{17}$/;
const SOURCE_SERVER_ID = /^s-[0-9a-zA-Z]{17}$/;
// the model's patterns: no NUL anywhere, no leading/trailing or non-space whitespace in names
// eslint-disable-next-line no-control-regex
const NAME = /^[^\s\x00]( *[^\s\x00])*$/;
// eslint-disable-next-line no-control-regex
const DESCRIPTION = /^[^\x00]*$/;
const ACCOUNT = /^.*[0-9]{12,}.*$/;

interface Group {
  readonly id: string;
  readonly arn: string;
  readonly region: string;
  name: string;
  description?: string;
  isArchived: boolean;
  readonly createdAt: number;
  modifiedAt: number;
  readonly tags: Record<string, string>;
}

interface Wave extends Group {
  readonly kind: 'wave';
}

interface Application extends Group {
  readonly kind: 'application';
  waveID?: string;
  readonly sourceServerIDs: Set<string>;
}

/** The waves and applications of one emulated account, in every region. */
export class MgnGroups {
  readonly waves = new Map<string, Wave>();
  readonly applications = new Map<string, Application>();
  private created = 0;

  /** The application a source server is associated with, if any. */
  applicationOf(sourceServerID: string): string | undefined {
    for (const app of this.applications.values()) if (app.sourceServerIDs.has(sourceServerID)) return app.id;
    return undefined;
  }

  newId(prefix: 'wave' | 'app', region: string, name: string): string {
    this.created += 1;
    const digest = createHash('sha256').update(`${prefix}/${region}/${name}/${this.created}`).digest('hex');
    return `${prefix}-${digest.slice(0, 17)}`;
  }
}

const byFleet = new WeakMap<Fleet, MgnGroups>();

/** The grouping state of a fleet (one account). */
export function groupsOf(fleet: Fleet): MgnGroups {
  let groups = byFleet.get(fleet);
  if (!groups) {
    groups = new MgnGroups();
    byFleet.set(fleet, groups);
  }
  return groups;
}

const notFound = (kind: 'WAVE' | 'APPLICATION' | 'SOURCE_SERVER', id: string) =>
  new ApiError('ResourceNotFoundException', `${kind === 'WAVE' ? 'Wave' : kind === 'APPLICATION' ? 'Application' : 'Source server'} ${id} not found.`, 404, { resourceId: id, resourceType: kind });

const conflict = (kind: 'WAVE' | 'APPLICATION' | 'SOURCE_SERVER', id: string, message: string) =>
  new ApiError('ConflictException', message, 409, { resourceId: id, resourceType: kind, errors: [{ message, resourceId: id, resourceType: kind }] });

const quotaExceeded = (kind: 'WAVE' | 'APPLICATION', id: string | undefined, quota: number, message: string) =>
  new ApiError('ServiceQuotaExceededException', message, 402, { ...(id ? { resourceId: id } : {}), resourceType: kind, serviceCode: 'mgn', quotaValue: quota });

function pageOf<T>(items: T[], input: Obj, salt: string): { page: T[]; nextToken?: string } {
  const offset = decodeToken(input.nextToken as string | undefined, salt);
  if (offset === undefined) throw new ApiError('ValidationException', 'Invalid nextToken.', 400, { reason: 'fieldValidationFailed', fieldList: [{ name: 'nextToken', message: 'Invalid pagination token' }] });
  const max = (input.maxResults as number | undefined) ?? 1000;
  return { page: items.slice(offset, offset + max), ...(offset + max < items.length ? { nextToken: encodeToken(offset + max, salt) } : {}) };
}

const createRules = (v: Validator) =>
  v
    .required('name')
    .string('name', { min: 1, max: 256, pattern: NAME })
    .string('description', { min: 0, max: 600, pattern: DESCRIPTION })
    .map('tags', { max: 50, keyMax: 256, valueMax: 256 })
    .string('accountID', { min: 12, max: 12, pattern: ACCOUNT });

const listRules = (v: Validator) =>
  v.boolean('filters.isArchived').integer('maxResults', { min: 1, max: 1000 }).string('nextToken', { max: 2048 }).string('accountID', { min: 12, max: 12, pattern: ACCOUNT });

/** Progress and health of a set of source servers, as MGN aggregates them for an application or a wave. */
function aggregate(servers: readonly SourceServer[]): { progressStatus: string; healthStatus: string } {
  const done = (s: SourceServer) => s.lifeCycle === 'CUTOVER' || s.lifeCycle === 'DISCONNECTED';
  const progressStatus = servers.length === 0 ? 'NOT_STARTED' : servers.every(done) ? 'COMPLETED' : 'IN_PROGRESS';
  const healthStatus = servers.some((s) => s.replication.state === 'STALLED') ? 'ERROR' : 'HEALTHY';
  return { progressStatus, healthStatus };
}

function serversOf(fleet: Fleet, app: Application): SourceServer[] {
  return [...app.sourceServerIDs].map((id) => fleet.sourceServers.get(id)).filter((s): s is SourceServer => s !== undefined);
}

function renderApplication(app: Application, fleet: Fleet): Obj {
  const servers = serversOf(fleet, app);
  return {
    applicationID: app.id,
    arn: app.arn,
    name: app.name,
    ...(app.description !== undefined ? { description: app.description } : {}),
    isArchived: app.isArchived,
    applicationAggregatedStatus: { lastUpdateDateTime: iso(fleet.now()), ...aggregate(servers), totalSourceServers: servers.length },
    creationDateTime: iso(app.createdAt),
    lastModifiedDateTime: iso(app.modifiedAt),
    tags: { ...app.tags },
    ...(app.waveID ? { waveID: app.waveID } : {}),
  };
}

function renderWave(wave: Wave, fleet: Fleet): Obj {
  const groups = groupsOf(fleet);
  const apps = [...groups.applications.values()].filter((a) => a.waveID === wave.id);
  const servers = apps.flatMap((a) => serversOf(fleet, a));
  const started = servers.map((s) => s.replication.initiationStart).sort((a, b) => a - b)[0];
  return {
    waveID: wave.id,
    arn: wave.arn,
    name: wave.name,
    ...(wave.description !== undefined ? { description: wave.description } : {}),
    isArchived: wave.isArchived,
    waveAggregatedStatus: {
      lastUpdateDateTime: iso(fleet.now()),
      ...(started !== undefined ? { replicationStartedDateTime: iso(started) } : {}),
      ...aggregate(servers),
      totalApplications: apps.length,
    },
    creationDateTime: iso(wave.createdAt),
    lastModifiedDateTime: iso(wave.modifiedAt),
    tags: { ...wave.tags },
  };
}

const sameName = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

function waveIn(fleet: Fleet, region: string, id: string): Wave {
  const wave = groupsOf(fleet).waves.get(id);
  if (!wave || wave.region !== region) throw notFound('WAVE', id);
  return wave;
}

function applicationIn(fleet: Fleet, region: string, id: string): Application {
  const app = groupsOf(fleet).applications.get(id);
  if (!app || app.region !== region) throw notFound('APPLICATION', id);
  return app;
}

/** What CreateWave/CreateApplication and ArchiveWave/ArchiveApplication differ in. */
interface GroupKind<G extends Group> {
  readonly resourceType: 'WAVE' | 'APPLICATION';
  /** the noun in messages and ARNs */
  readonly noun: 'wave' | 'application';
  readonly prefix: 'wave' | 'app';
  readonly idField: 'waveID' | 'applicationID';
  readonly idPattern: RegExp;
  readonly activeLimit: number;
  store(groups: MgnGroups): Map<string, G>;
  make(group: Group): G;
  render(group: G, fleet: Fleet): Obj;
}

const WAVE_KIND: GroupKind<Wave> = {
  resourceType: 'WAVE',
  noun: 'wave',
  prefix: 'wave',
  idField: 'waveID',
  idPattern: WAVE_ID,
  activeLimit: GROUP_LIMITS.activeWaves,
  store: (groups) => groups.waves,
  make: (group) => ({ ...group, kind: 'wave' }),
  render: renderWave,
};

const APPLICATION_KIND: GroupKind<Application> = {
  resourceType: 'APPLICATION',
  noun: 'application',
  prefix: 'app',
  idField: 'applicationID',
  idPattern: APPLICATION_ID,
  activeLimit: GROUP_LIMITS.activeApplications,
  store: (groups) => groups.applications,
  make: (group) => ({ ...group, kind: 'application', sourceServerIDs: new Set() }),
  render: renderApplication,
};

const capitalized = (noun: string) => noun[0].toUpperCase() + noun.slice(1);

/** CreateWave / CreateApplication: a unique name (case-insensitively) per region, under the active quota. */
function createOperation<G extends Group>(k: GroupKind<G>): JsonOperation {
  return {
    mutating: true,
    status: 201,
    run(input, ctx) {
      createRules(new Validator(input)).throwMgn();
      const groups = groupsOf(ctx.fleet);
      const name = input.name as string;
      const inRegion = [...k.store(groups).values()].filter((g) => g.region === ctx.region);
      const taken = inRegion.find((g) => sameName(g.name, name));
      if (taken)
        throw conflict(
          k.resourceType,
          taken.id,
          `${k.noun === 'wave' ? 'A' : 'An'} ${k.noun} named "${taken.name}" already exists (${taken.id}): ${k.noun} names are unique per account and region, case-insensitively.`,
        );
      if (inRegion.filter((g) => !g.isArchived).length >= k.activeLimit)
        throw quotaExceeded(k.resourceType, undefined, k.activeLimit, `Cannot create ${k.noun} "${name}": the account already has ${k.activeLimit} active ${k.noun}s in ${ctx.region}; archive some first.`);
      const id = groups.newId(k.prefix, ctx.region, name);
      const at = ctx.fleet.now();
      const group = k.make({
        id,
        arn: `arn:aws:mgn:${ctx.region}:${ACCOUNT_ID}:${k.noun}/${id}`,
        region: ctx.region,
        name,
        ...(typeof input.description === 'string' ? { description: input.description } : {}),
        isArchived: false,
        createdAt: at,
        modifiedAt: at,
        tags: { ...(asObject(input.tags) as Record<string, string>) },
      });
      k.store(groups).set(id, group);
      return k.render(group, ctx.fleet);
    },
  };
}

/** ArchiveWave / ArchiveApplication: once; archiving what is archived is a conflict. */
function archiveOperation<G extends Group>(k: GroupKind<G>, find: (fleet: Fleet, region: string, id: string) => G): JsonOperation {
  const idLength = `${k.prefix}-`.length + 17;
  return {
    mutating: true,
    run(input, ctx) {
      new Validator(input).required(k.idField).string(k.idField, { min: idLength, max: idLength, pattern: k.idPattern }).string('accountID', { min: 12, max: 12, pattern: ACCOUNT }).throwMgn();
      const group = find(ctx.fleet, ctx.region, input[k.idField] as string);
      if (group.isArchived) throw conflict(k.resourceType, group.id, `${capitalized(k.noun)} ${group.id} is already archived.`);
      group.isArchived = true;
      group.modifiedAt = ctx.fleet.now();
      return k.render(group, ctx.fleet);
    },
  };
}

export const MGN_GROUP_OPERATIONS: Record<string, JsonOperation> = {
  CreateWave: createOperation(WAVE_KIND),

  ListWaves: {
    run(input, ctx) {
      listRules(new Validator(input)).list('filters.waveIDs', { min: 0, max: 200, item: { pattern: WAVE_ID } }).throwMgn();
      const filters = asObject(input.filters);
      const ids = asStringList(filters.waveIDs);
      const items = [...groupsOf(ctx.fleet).waves.values()]
        .filter((w) => w.region === ctx.region)
        .filter((w) => ids.length === 0 || ids.includes(w.id))
        .filter((w) => filters.isArchived === undefined || w.isArchived === filters.isArchived)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
      const { page, nextToken } = pageOf(items, input, 'waves');
      return { items: page.map((w) => renderWave(w, ctx.fleet)), ...(nextToken ? { nextToken } : {}) };
    },
  },

  ArchiveWave: archiveOperation(WAVE_KIND, waveIn),

  CreateApplication: createOperation(APPLICATION_KIND),

  ListApplications: {
    run(input, ctx) {
      listRules(new Validator(input))
        .list('filters.applicationIDs', { min: 0, max: 200, item: { pattern: APPLICATION_ID } })
        .list('filters.waveIDs', { min: 0, max: 200, item: { pattern: WAVE_ID } })
        .throwMgn();
      const filters = asObject(input.filters);
      const ids = asStringList(filters.applicationIDs);
      const waves = asStringList(filters.waveIDs);
      const items = [...groupsOf(ctx.fleet).applications.values()]
        .filter((a) => a.region === ctx.region)
        .filter((a) => ids.length === 0 || ids.includes(a.id))
        .filter((a) => waves.length === 0 || (a.waveID !== undefined && waves.includes(a.waveID)))
        .filter((a) => filters.isArchived === undefined || a.isArchived === filters.isArchived)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
      const { page, nextToken } = pageOf(items, input, 'applications');
      return { items: page.map((a) => renderApplication(a, ctx.fleet)), ...(nextToken ? { nextToken } : {}) };
    },
  },

  ArchiveApplication: archiveOperation(APPLICATION_KIND, applicationIn),

  AssociateApplications: {
    mutating: true,
    run(input, ctx) {
      new Validator(input)
        .required('waveID', 'applicationIDs')
        .string('waveID', { min: 22, max: 22, pattern: WAVE_ID })
        .list('applicationIDs', { min: 1, max: GROUP_LIMITS.idsPerAssociateCall, item: { pattern: APPLICATION_ID } })
        .string('accountID', { min: 12, max: 12, pattern: ACCOUNT })
        .throwMgn();
      const wave = waveIn(ctx.fleet, ctx.region, input.waveID as string);
      if (wave.isArchived) throw conflict('WAVE', wave.id, `Wave ${wave.id} is archived: applications cannot be associated with it.`);
      // every id is checked before anything changes: the call associates all of them or none
      const apps = asStringList(input.applicationIDs).map((id) => applicationIn(ctx.fleet, ctx.region, id));
      for (const app of apps) {
        if (app.isArchived) throw conflict('APPLICATION', app.id, `Application ${app.id} is archived: it cannot be associated with a wave.`);
        if (app.waveID !== undefined && app.waveID !== wave.id)
          throw conflict('APPLICATION', app.id, `Application ${app.id} is already associated with wave ${app.waveID}: an application belongs to one wave at a time.`);
      }
      const at = ctx.fleet.now();
      for (const app of apps) {
        app.waveID = wave.id;
        app.modifiedAt = at;
      }
      wave.modifiedAt = at;
      return {};
    },
  },

  AssociateSourceServers: {
    mutating: true,
    run(input, ctx) {
      new Validator(input)
        .required('applicationID', 'sourceServerIDs')
        .string('applicationID', { min: 21, max: 21, pattern: APPLICATION_ID })
        .list('sourceServerIDs', { min: 1, max: GROUP_LIMITS.idsPerAssociateCall, item: { pattern: SOURCE_SERVER_ID } })
        .string('accountID', { min: 12, max: 12, pattern: ACCOUNT })
        .throwMgn();
      const app = applicationIn(ctx.fleet, ctx.region, input.applicationID as string);
      if (app.isArchived) throw conflict('APPLICATION', app.id, `Application ${app.id} is archived: source servers cannot be associated with it.`);
      const groups = groupsOf(ctx.fleet);
      const ids = [...new Set(asStringList(input.sourceServerIDs))];
      for (const id of ids) {
        const server = ctx.fleet.server(ctx.region, id);
        if (server.isArchived) throw conflict('SOURCE_SERVER', id, `Source server ${id} is archived: it cannot be associated with an application.`);
        const current = groups.applicationOf(id);
        if (current !== undefined && current !== app.id)
          throw conflict('SOURCE_SERVER', id, `Source server ${id} is already associated with application ${current}: a source server belongs to one application at a time.`);
      }
      const after = new Set([...app.sourceServerIDs, ...ids]);
      if (after.size > GROUP_LIMITS.serversPerApplication)
        throw quotaExceeded('APPLICATION', app.id, GROUP_LIMITS.serversPerApplication, `Application ${app.id} would hold ${after.size} source servers; an application holds at most ${GROUP_LIMITS.serversPerApplication}.`);
      for (const id of ids) app.sourceServerIDs.add(id);
      app.modifiedAt = ctx.fleet.now();
      return {};
    },
  },
};

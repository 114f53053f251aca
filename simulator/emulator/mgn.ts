/**
 * MGN (restJson1): `POST /<Operation>` with a JSON body. Validates input as the model says, calls
 * the fleet, and renders source servers, jobs and templates in the model's shapes.
 */
import { ApiError } from './errors';
import { ACCOUNT_ID, INITIATION_STEPS, TIMINGS, type Fleet, type Job, type LaunchConfiguration, type SourceServer } from './fleet';
import { groupsOf, MGN_GROUP_OPERATIONS } from './mgn-groups';
import { asObject, asStringList, decodeToken, encodeToken, iso, isoDuration, Validator } from './validate';

export interface Context {
  readonly fleet: Fleet;
  readonly region: string;
  readonly accessKeyId: string;
  readonly requestId: string;
}

type Obj = Record<string, unknown>;

export interface JsonOperation {
  readonly mutating?: boolean;
  /** HTTP status of a success (the model's `http.responseCode`) */
  readonly status?: number;
  run(input: Obj, ctx: Context): Obj | undefined;
}

const SOURCE_SERVER_ID = /^s-[0-9a-zA-Z]{17}$/;
const JOB_ID = /^mgnjob-[0-9a-zA-Z]{17}$/;
const TEMPLATE_ID = /^rct-[0-9a-zA-Z]{17}$/;
const ISO_DATETIME = /^[1-9][0-9]*-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([0-1][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]+)?Z$/;
const LIFECYCLE_STATES = ['STOPPED', 'NOT_READY', 'READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER', 'CUTTING_OVER', 'CUTOVER', 'DISCONNECTED', 'DISCOVERED', 'PENDING_INSTALLATION'] as const;
const ACCOUNT = /^.*[0-9]{12,}.*$/;

function pageOf<T>(items: T[], input: Obj, salt: string, defaultMax = 1000): { page: T[]; nextToken?: string } {
  const offset = decodeToken(input.nextToken as string | undefined, salt);
  if (offset === undefined) throw new ApiError('ValidationException', 'Invalid nextToken.', 400, { reason: 'fieldValidationFailed', fieldList: [{ name: 'nextToken', message: 'Invalid pagination token' }] });
  const max = (input.maxResults as number | undefined) ?? defaultMax;
  const page = items.slice(offset, offset + max);
  return { page, nextToken: offset + max < items.length ? encodeToken(offset + max, salt) : undefined };
}

export function renderSourceServer(s: SourceServer, fleet: Fleet): Obj {
  const now = fleet.now();
  const r = s.replication;
  const lifeCycle: Obj = {
    state: s.lifeCycle,
    addedToServiceDateTime: iso(s.addedAt),
    elapsedReplicationDuration: isoDuration((Math.min(now, r.state === 'DISCONNECTED' ? now : now) - s.addedAt) / 1000),
  };
  if (now >= r.syncStart && r.state !== 'INITIATING') lifeCycle.firstByteDateTime = iso(r.syncStart);
  if (r.state !== 'DISCONNECTED') lifeCycle.lastSeenByServiceDateTime = iso(now);
  const stamp = (x: { initiated?: { at: number; jobID: string }; reverted?: number; finalized?: number }) => {
    const out: Obj = {};
    if (x.initiated) out.initiated = { apiCallDateTime: iso(x.initiated.at), jobID: x.initiated.jobID };
    if (x.reverted !== undefined) out.reverted = { apiCallDateTime: iso(x.reverted) };
    if (x.finalized !== undefined) out.finalized = { apiCallDateTime: iso(x.finalized) };
    return out;
  };
  if (s.lastTest.initiated) lifeCycle.lastTest = stamp(s.lastTest);
  if (s.lastCutover.initiated) lifeCycle.lastCutover = stamp(s.lastCutover);

  const info: Obj = { dataReplicationState: r.state };
  if (r.state !== 'DISCONNECTED') {
    info.replicatorId = r.replicatorId;
    info.replicatedDisks = s.disks.map((d) => ({
      deviceName: d.deviceName,
      totalStorageBytes: d.totalStorageBytes,
      replicatedStorageBytes: fleet.replicatedBytes(s, d),
      rescannedStorageBytes: 0,
      backloggedStorageBytes: 0,
    }));
    if (r.state === 'INITIATING') {
      const done = Math.floor((now - r.initiationStart) / (TIMINGS.initiationStep * 1000));
      info.dataReplicationInitiation = {
        startDateTime: iso(r.initiationStart),
        steps: INITIATION_STEPS.map((name, i) => ({ name, status: i < done ? 'SUCCEEDED' : i === done ? 'IN_PROGRESS' : 'NOT_STARTED' })),
      };
    } else {
      info.dataReplicationInitiation = { startDateTime: iso(r.initiationStart), steps: INITIATION_STEPS.map((name) => ({ name, status: 'SUCCEEDED' })) };
    }
    if (r.state === 'INITIAL_SYNC' || r.state === 'INITIATING') info.etaDateTime = iso(r.syncEnd);
    if (r.state === 'CONTINUOUS') info.lagDuration = isoDuration(TIMINGS.continuousLagSeconds);
    if (r.state === 'STALLED' && r.stalledAt !== undefined) info.lagDuration = isoDuration((now - r.stalledAt) / 1000);
    if (r.error) info.dataReplicationError = { ...r.error };
    if (r.lastSnapshotAt !== undefined) info.lastSnapshotDateTime = iso(r.lastSnapshotAt);
  }

  const spec = s.record.spec;
  const out: Obj = {
    sourceServerID: s.sourceServerID,
    arn: s.arn,
    isArchived: s.isArchived,
    tags: { ...s.tags },
    dataReplicationInfo: info,
    lifeCycle,
    replicationType: 'AGENT_BASED',
    sourceProperties: {
      lastUpdatedDateTime: iso(s.addedAt),
      recommendedInstanceType: 'm5.large',
      identificationHints: { ...s.hints },
      networkInterfaces: [{ macAddress: '0a:00:00:00:00:01', ips: ['10.0.0.10'], isPrimary: true }],
      disks: s.disks.map((d) => ({ deviceName: d.deviceName, bytes: d.totalStorageBytes })),
      cpus: [{ cores: 2, modelName: 'Intel(R) Xeon(R) Platinum 8259CL CPU @ 2.50GHz' }],
      ramBytes: 8 * 1024 ** 3,
      os: { fullString: spec.os === 'windows' ? 'Microsoft Windows Server 2019 Datacenter' : 'Linux version 6.1 (Amazon Linux 2023)' },
    },
  };
  if (s.userProvidedID) out.userProvidedID = s.userProvidedID;
  const applicationID = groupsOf(fleet).applicationOf(s.sourceServerID);
  if (applicationID) out.applicationID = applicationID;
  if (s.launchedInstance) out.launchedInstance = { ec2InstanceID: s.launchedInstance.ec2InstanceID, jobID: s.launchedInstance.jobID, firstBoot: s.launchedInstance.firstBoot };
  return out;
}

export function renderJob(j: Job): Obj {
  const out: Obj = {
    jobID: j.jobID,
    arn: j.arn,
    type: j.type,
    initiatedBy: j.initiatedBy,
    creationDateTime: iso(j.createdAt),
    status: j.status,
    participatingServers: j.participants.map((p) => ({
      sourceServerID: p.sourceServerID,
      launchStatus: p.launchStatus,
      ...(p.launchedEc2InstanceID ? { launchedEc2InstanceID: p.launchedEc2InstanceID } : {}),
    })),
    tags: { ...j.tags },
  };
  if (j.endAt !== undefined) out.endDateTime = iso(j.endAt);
  return out;
}

/** GetLaunchConfiguration / UpdateLaunchConfiguration answer (the model's LaunchConfiguration). */
function renderLaunchConfiguration(s: SourceServer): Obj {
  const c = s.launchConfiguration;
  return {
    sourceServerID: s.sourceServerID,
    name: c.name,
    ec2LaunchTemplateID: s.launchTemplateId,
    launchDisposition: c.launchDisposition,
    targetInstanceTypeRightSizingMethod: c.targetInstanceTypeRightSizingMethod,
    copyPrivateIp: c.copyPrivateIp,
    copyTags: c.copyTags,
    licensing: { ...c.licensing },
    bootMode: c.bootMode,
    ...(c.postLaunchActions ? { postLaunchActions: structuredClone(c.postLaunchActions) } : {}),
    enableMapAutoTagging: c.enableMapAutoTagging,
    ...(c.mapAutoTaggingMpeID !== undefined ? { mapAutoTaggingMpeID: c.mapAutoTaggingMpeID } : {}),
  };
}

/** PostLaunchActions as the model constrains it (deployment, log destinations, up to 10 SSM documents). */
function postLaunchActionRules(v: Validator, actions: unknown): void {
  v.string('postLaunchActions.deployment', { enum: ['TEST_AND_CUTOVER', 'CUTOVER_ONLY', 'TEST_ONLY'] })
    .string('postLaunchActions.s3LogBucket', { min: 3, max: 63 })
    .string('postLaunchActions.s3OutputKeyPrefix', { max: 256 })
    .string('postLaunchActions.cloudWatchLogGroupName', { min: 1, max: 512, pattern: /^[.\-_/#A-Za-z0-9]+$/ })
    .list('postLaunchActions.ssmDocuments', { max: 10 });
  const docs = asObject(actions).ssmDocuments;
  if (!Array.isArray(docs)) return;
  docs.forEach((_, i) => {
    const d = `postLaunchActions.ssmDocuments.${i}`;
    v.required(`${d}.actionName`, `${d}.ssmDocumentName`)
      .string(`${d}.actionName`, { max: 256 })
      .string(`${d}.ssmDocumentName`, { min: 3, max: 172, pattern: /^([A-Za-z0-9/:_.-])+$/ })
      .integer(`${d}.timeoutSeconds`, { min: 1 })
      .boolean(`${d}.mustSucceedForCutover`)
      .map(`${d}.parameters`, { max: 20 })
      .map(`${d}.externalParameters`, { max: 20 });
  });
}

const idList = (v: Validator, path: string, max: number) => v.required(path).list(path, { min: 1, max, item: { pattern: SOURCE_SERVER_ID } });

const TEMPLATE_FIELDS = (v: Validator) =>
  v
    .string('stagingAreaSubnetId', { max: 255, pattern: /^subnet-[0-9a-fA-F]{8,}$/ })
    .boolean('associateDefaultSecurityGroup')
    .list('replicationServersSecurityGroupsIDs', { max: 32, item: { pattern: /^sg-[0-9a-fA-F]{8,}$/ } })
    .string('replicationServerInstanceType', { max: 255 })
    .boolean('useDedicatedReplicationServer')
    .string('defaultLargeStagingDiskType', { enum: ['GP2', 'ST1', 'GP3'] })
    .string('ebsEncryption', { enum: ['DEFAULT', 'CUSTOM'] })
    .string('ebsEncryptionKeyArn', { min: 20, max: 2048 })
    .integer('bandwidthThrottling', { min: 0, max: 10000 })
    .string('dataPlaneRouting', { enum: ['PRIVATE_IP', 'PUBLIC_IP'] })
    .boolean('createPublicIP')
    .map('stagingAreaTags', { max: 50, keyMax: 256, valueMax: 256 })
    .boolean('useFipsEndpoint')
    .string('internetProtocol', { enum: ['IPV4', 'IPV6'] })
    .boolean('storeSnapshotOnLocalZone');

const TEMPLATE_KEYS = [
  'stagingAreaSubnetId',
  'associateDefaultSecurityGroup',
  'replicationServersSecurityGroupsIDs',
  'replicationServerInstanceType',
  'useDedicatedReplicationServer',
  'defaultLargeStagingDiskType',
  'ebsEncryption',
  'ebsEncryptionKeyArn',
  'bandwidthThrottling',
  'dataPlaneRouting',
  'createPublicIP',
  'stagingAreaTags',
  'useFipsEndpoint',
  'internetProtocol',
  'storeSnapshotOnLocalZone',
];

/** The staging subnet and security groups must exist in the region, as in EC2. */
function checkTemplateNetwork(input: Obj, ctx: Context): void {
  const net = ctx.fleet.network(ctx.region);
  const subnet = input.stagingAreaSubnetId;
  if (typeof subnet === 'string' && !net.subnets.some((s) => s.subnetId === subnet))
    throw new ApiError('ValidationException', `Invalid stagingAreaSubnetId: subnet ${subnet} does not exist in ${ctx.region}.`, 400, {
      reason: 'fieldValidationFailed',
      fieldList: [{ name: 'stagingAreaSubnetId', message: `subnet ${subnet} not found` }],
    });
  for (const sg of asStringList(input.replicationServersSecurityGroupsIDs)) {
    if (!net.securityGroups.some((g) => g.groupId === sg))
      throw new ApiError('ValidationException', `Invalid replicationServersSecurityGroupsIDs: security group ${sg} does not exist in ${ctx.region}.`, 400, {
        reason: 'fieldValidationFailed',
        fieldList: [{ name: 'replicationServersSecurityGroupsIDs', message: `security group ${sg} not found` }],
      });
  }
}

function renderTemplate(t: { replicationConfigurationTemplateID: string; arn: string; settings: Obj; tags?: Readonly<Record<string, string>> }): Obj {
  return { replicationConfigurationTemplateID: t.replicationConfigurationTemplateID, arn: t.arn, ...t.settings, tags: { ...t.tags } };
}

/** GetReplicationConfiguration / UpdateReplicationConfiguration answer (the model's ReplicationConfiguration). */
function renderReplicationConfiguration(s: SourceServer): Obj {
  return { sourceServerID: s.sourceServerID, ...structuredClone(s.replicationConfiguration) };
}

/** A read of one source server's settings (Get*Configuration): the sourceServerID rules, then `render`. */
function serverSettingsRead(render: (server: SourceServer) => Obj): JsonOperation {
  return {
    run(input, ctx) {
      new Validator(input).required('sourceServerID').string('sourceServerID', { pattern: SOURCE_SERVER_ID }).string('accountID', { pattern: ACCOUNT }).throwMgn();
      return render(ctx.fleet.server(ctx.region, input.sourceServerID as string));
    },
  };
}

function serverIdOp(run: (fleet: Fleet, region: string, id: string) => SourceServer): JsonOperation {
  return {
    mutating: true,
    run(input, ctx) {
      const v = new Validator(input).required('sourceServerID').string('sourceServerID', { pattern: SOURCE_SERVER_ID }).string('accountID', { pattern: ACCOUNT });
      v.throwMgn();
      return renderSourceServer(run(ctx.fleet, ctx.region, input.sourceServerID as string), ctx.fleet);
    },
  };
}

/** StartTest and StartCutover: the same input rules (at most 200 ids, 50 tags), a launch job of their kind. */
function startLaunchOperation(kind: 'test' | 'cutover'): JsonOperation {
  return {
    mutating: true,
    status: 202,
    run(input, ctx) {
      idList(new Validator(input), 'sourceServerIDs', 200).map('tags', { max: 50 }).string('accountID', { pattern: ACCOUNT }).throwMgn();
      const job = ctx.fleet.startLaunch(ctx.region, kind, asStringList(input.sourceServerIDs), asObject(input.tags) as Record<string, string>);
      return { job: renderJob(job) };
    },
  };
}

export const MGN_OPERATIONS: Record<string, JsonOperation> = {
  ...MGN_GROUP_OPERATIONS,
  InitializeService: {
    mutating: true,
    status: 204,
    run(_input, ctx) {
      ctx.fleet.initialize(ctx.region);
      return undefined;
    },
  },

  DescribeSourceServers: {
    run(input, ctx) {
      const v = new Validator(input)
        .list('filters.sourceServerIDs', { max: 200, item: { pattern: SOURCE_SERVER_ID } })
        .boolean('filters.isArchived')
        .list('filters.replicationTypes', { max: 2, item: { enum: ['AGENT_BASED', 'SNAPSHOT_SHIPPING'] } })
        .list('filters.lifeCycleStates', { max: 10, item: { enum: LIFECYCLE_STATES } })
        .list('filters.applicationIDs', { max: 200, item: { pattern: /^app-[0-9a-zA-Z]{17}$/ } })
        .integer('maxResults', { min: 1, max: 1000 })
        .string('nextToken', { max: 2048 })
        .string('accountID', { pattern: ACCOUNT });
      v.throwMgn();
      const filters = asObject(input.filters);
      const ids = filters.sourceServerIDs === undefined ? undefined : new Set(asStringList(filters.sourceServerIDs));
      const states = filters.lifeCycleStates === undefined ? undefined : new Set(asStringList(filters.lifeCycleStates));
      const types = filters.replicationTypes === undefined ? undefined : new Set(asStringList(filters.replicationTypes));
      const apps = asStringList(filters.applicationIDs);
      const items = ctx.fleet
        .serversIn(ctx.region)
        .filter((s) => (!ids || ids.size === 0 || ids.has(s.sourceServerID)) && (!states || states.size === 0 || states.has(s.lifeCycle)))
        .filter(() => !types || types.size === 0 || types.has('AGENT_BASED'))
        .filter((s) => filters.isArchived === undefined || s.isArchived === filters.isArchived)
        .filter((s) => apps.length === 0 || apps.includes(groupsOf(ctx.fleet).applicationOf(s.sourceServerID) ?? ''));
      const { page, nextToken } = pageOf(items, input, 'sourceServers');
      return { items: page.map((s) => renderSourceServer(s, ctx.fleet)), ...(nextToken ? { nextToken } : {}) };
    },
  },

  DescribeReplicationConfigurationTemplates: {
    run(input, ctx) {
      new Validator(input)
        .list('replicationConfigurationTemplateIDs', { max: 200, item: { pattern: TEMPLATE_ID } })
        .integer('maxResults', { min: 1, max: 1000 })
        .string('nextToken', { max: 2048 })
        .throwMgn();
      const ids = asStringList(input.replicationConfigurationTemplateIDs);
      const all = [...ctx.fleet.templates.values()].filter((t) => t.region === ctx.region);
      for (const id of ids)
        if (!all.some((t) => t.replicationConfigurationTemplateID === id))
          throw new ApiError('ResourceNotFoundException', `Replication configuration template ${id} not found.`, 404, { resourceId: id, resourceType: 'REPLICATION_CONFIGURATION_TEMPLATE' });
      const items = ids.length ? all.filter((t) => ids.includes(t.replicationConfigurationTemplateID)) : all;
      const { page, nextToken } = pageOf(items, input, 'templates');
      return { items: page.map(renderTemplate), ...(nextToken ? { nextToken } : {}) };
    },
  },

  CreateReplicationConfigurationTemplate: {
    mutating: true,
    status: 201,
    run(input, ctx) {
      const v = new Validator(input).required(
        'stagingAreaSubnetId',
        'associateDefaultSecurityGroup',
        'replicationServersSecurityGroupsIDs',
        'replicationServerInstanceType',
        'useDedicatedReplicationServer',
        'defaultLargeStagingDiskType',
        'ebsEncryption',
        'bandwidthThrottling',
        'dataPlaneRouting',
        'createPublicIP',
        'stagingAreaTags',
      );
      TEMPLATE_FIELDS(v).map('tags', { max: 50, keyMax: 256, valueMax: 256 }).throwMgn();
      checkTemplateNetwork(input, ctx);
      const id = ctx.fleet.newTemplateId();
      const settings: Obj = {};
      for (const k of TEMPLATE_KEYS) if (input[k] !== undefined) settings[k] = input[k];
      const tags = { ...(asObject(input.tags) as Record<string, string>) };
      const t = { replicationConfigurationTemplateID: id, arn: `arn:aws:mgn:${ctx.region}:${ACCOUNT_ID}:replication-configuration-template/${id}`, region: ctx.region, settings, tags };
      ctx.fleet.templates.set(id, t);
      return renderTemplate(t);
    },
  },

  UpdateReplicationConfigurationTemplate: {
    mutating: true,
    run(input, ctx) {
      const v = new Validator(input).required('replicationConfigurationTemplateID').string('replicationConfigurationTemplateID', { pattern: TEMPLATE_ID });
      TEMPLATE_FIELDS(v).string('arn', { min: 20, max: 2048 }).throwMgn();
      const id = input.replicationConfigurationTemplateID as string;
      const t = ctx.fleet.templates.get(id);
      if (!t || t.region !== ctx.region)
        throw new ApiError('ResourceNotFoundException', `Replication configuration template ${id} not found.`, 404, { resourceId: id, resourceType: 'REPLICATION_CONFIGURATION_TEMPLATE' });
      checkTemplateNetwork(input, ctx);
      for (const k of TEMPLATE_KEYS) if (input[k] !== undefined) t.settings[k] = input[k];
      return renderTemplate(t);
    },
  },

  GetReplicationConfiguration: serverSettingsRead(renderReplicationConfiguration),

  UpdateReplicationConfiguration: {
    mutating: true,
    run(input, ctx) {
      const v = new Validator(input)
        .required('sourceServerID')
        .string('sourceServerID', { pattern: SOURCE_SERVER_ID })
        .string('name', { max: 128 })
        .string('accountID', { pattern: ACCOUNT });
      TEMPLATE_FIELDS(v).list('replicatedDisks', { max: 60 });
      const disks = input.replicatedDisks;
      if (Array.isArray(disks))
        disks.forEach((_, i) => {
          const d = `replicatedDisks.${i}`;
          v.string(`${d}.deviceName`, { max: 256 })
            .boolean(`${d}.isBootDisk`)
            .string(`${d}.stagingDiskType`, { enum: ['AUTO', 'GP2', 'IO1', 'SC1', 'ST1', 'STANDARD', 'GP3', 'IO2'] })
            .integer(`${d}.iops`, { min: 0 })
            .integer(`${d}.throughput`, { min: 0 });
        });
      v.throwMgn();
      const s = ctx.fleet.server(ctx.region, input.sourceServerID as string);
      checkTemplateNetwork(input, ctx);
      // a replicated disk is one of the server's own (sourceProperties.disks)
      const known = new Set(s.disks.map((d) => d.deviceName));
      for (const d of Array.isArray(disks) ? disks : []) {
        const name = asObject(d).deviceName;
        if (typeof name !== 'string' || !known.has(name))
          throw new ApiError('ValidationException', `Invalid replicatedDisks: ${String(name)} is not a disk of source server ${s.sourceServerID}.`, 400, {
            reason: 'fieldValidationFailed',
            fieldList: [{ name: 'replicatedDisks', message: `unknown deviceName ${String(name)}` }],
          });
      }
      const c = s.replicationConfiguration;
      for (const k of [...TEMPLATE_KEYS, 'name', 'replicatedDisks']) if (input[k] !== undefined) c[k] = structuredClone(input[k]);
      return renderReplicationConfiguration(s);
    },
  },

  StartTest: startLaunchOperation('test'),

  StartCutover: startLaunchOperation('cutover'),

  TerminateTargetInstances: {
    mutating: true,
    status: 202,
    run(input, ctx) {
      idList(new Validator(input), 'sourceServerIDs', 200).map('tags', { max: 50 }).string('accountID', { pattern: ACCOUNT }).throwMgn();
      const job = ctx.fleet.terminateTargetInstances(ctx.region, asStringList(input.sourceServerIDs), asObject(input.tags) as Record<string, string>);
      return { job: renderJob(job) };
    },
  },

  DescribeJobs: {
    run(input, ctx) {
      new Validator(input)
        .list('filters.jobIDs', { max: 1000, item: { pattern: JOB_ID } })
        .string('filters.fromDate', { min: 19, max: 32, pattern: ISO_DATETIME })
        .string('filters.toDate', { min: 19, max: 32, pattern: ISO_DATETIME })
        .integer('maxResults', { min: 1, max: 1000 })
        .string('nextToken', { max: 2048 })
        .string('accountID', { pattern: ACCOUNT })
        .throwMgn();
      const filters = asObject(input.filters);
      const ids = asStringList(filters.jobIDs);
      const from = typeof filters.fromDate === 'string' ? Date.parse(filters.fromDate) : undefined;
      const to = typeof filters.toDate === 'string' ? Date.parse(filters.toDate) : undefined;
      const items = [...ctx.fleet.jobs.values()]
        .filter((j) => j.region === ctx.region)
        .filter((j) => ids.length === 0 || ids.includes(j.jobID))
        .filter((j) => (from === undefined || j.createdAt >= from) && (to === undefined || j.createdAt <= to))
        .sort((a, b) => b.createdAt - a.createdAt || (a.jobID < b.jobID ? -1 : 1));
      const { page, nextToken } = pageOf(items, input, 'jobs');
      return { items: page.map(renderJob), ...(nextToken ? { nextToken } : {}) };
    },
  },

  DescribeJobLogItems: {
    run(input, ctx) {
      new Validator(input)
        .required('jobID')
        .string('jobID', { min: 24, max: 24, pattern: JOB_ID })
        .integer('maxResults', { min: 1, max: 1000 })
        .string('nextToken', { max: 2048 })
        .throwMgn();
      const job = ctx.fleet.jobs.get(input.jobID as string);
      // MGN answers an unknown job with an empty log (DescribeJobLogItems lists no ResourceNotFoundException)
      const logs = job && job.region === ctx.region ? job.logs : [];
      const { page, nextToken } = pageOf(logs, input, `log:${input.jobID as string}`);
      return {
        items: page.map((l) => {
          const eventData: Obj = {};
          if (l.sourceServerID) eventData.sourceServerID = l.sourceServerID;
          if (l.targetInstanceID) eventData.targetInstanceID = l.targetInstanceID;
          if (l.rawError) eventData.rawError = l.rawError;
          return { logDateTime: iso(l.at), event: l.event, ...(Object.keys(eventData).length ? { eventData } : {}) };
        }),
        ...(nextToken ? { nextToken } : {}),
      };
    },
  },

  ChangeServerLifeCycleState: {
    mutating: true,
    run(input, ctx) {
      new Validator(input)
        .required('sourceServerID', 'lifeCycle', 'lifeCycle.state')
        .string('sourceServerID', { pattern: SOURCE_SERVER_ID })
        .string('lifeCycle.state', { enum: ['READY_FOR_TEST', 'READY_FOR_CUTOVER', 'CUTOVER'] })
        .string('accountID', { pattern: ACCOUNT })
        .throwMgn();
      const state = asObject(input.lifeCycle).state as 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER';
      return renderSourceServer(ctx.fleet.changeLifeCycle(ctx.region, input.sourceServerID as string, state), ctx.fleet);
    },
  },

  FinalizeCutover: serverIdOp((f, r, id) => f.finalizeCutover(r, id)),
  MarkAsArchived: serverIdOp((f, r, id) => f.markAsArchived(r, id)),
  DisconnectFromService: serverIdOp((f, r, id) => f.disconnectFromService(r, id)),

  GetLaunchConfiguration: serverSettingsRead(renderLaunchConfiguration),

  UpdateLaunchConfiguration: {
    mutating: true,
    run(input, ctx) {
      const v = new Validator(input)
        .required('sourceServerID')
        .string('sourceServerID', { pattern: SOURCE_SERVER_ID })
        .string('name', { max: 128 })
        .string('launchDisposition', { enum: ['STOPPED', 'STARTED'] })
        .string('targetInstanceTypeRightSizingMethod', { enum: ['NONE', 'BASIC'] })
        .boolean('copyPrivateIp')
        .boolean('copyTags')
        .boolean('licensing.osByol')
        .string('bootMode', { enum: ['LEGACY_BIOS', 'UEFI', 'USE_SOURCE'] })
        .boolean('enableMapAutoTagging')
        .string('mapAutoTaggingMpeID', { max: 256 })
        .string('accountID', { pattern: ACCOUNT });
      postLaunchActionRules(v, input.postLaunchActions);
      // "bootMode valid values are LEGACY_BIOS | UEFI" (API reference, UpdateLaunchConfiguration):
      // USE_SOURCE is what a server starts with, never a value to set
      if (input.bootMode === 'USE_SOURCE' && !v.problems.some((p) => p.name === 'bootMode'))
        v.problems.push({ name: 'bootMode', kind: 'invalid', value: 'USE_SOURCE', message: 'Member must satisfy enum value set: [LEGACY_BIOS, UEFI]' });
      for (const [key, shape] of [['licensing', 'object'], ['postLaunchActions', 'object']] as const)
        if (input[key] !== undefined && (typeof input[key] !== 'object' || input[key] === null || Array.isArray(input[key])))
          v.problems.push({ name: key, kind: 'invalid', value: input[key], message: `Member must be an ${shape}` });
      v.throwMgn();
      const s = ctx.fleet.server(ctx.region, input.sourceServerID as string);
      const c = s.launchConfiguration;
      if (input.name !== undefined) c.name = input.name as string;
      if (input.launchDisposition !== undefined) c.launchDisposition = input.launchDisposition as LaunchConfiguration['launchDisposition'];
      if (input.targetInstanceTypeRightSizingMethod !== undefined) c.targetInstanceTypeRightSizingMethod = input.targetInstanceTypeRightSizingMethod as LaunchConfiguration['targetInstanceTypeRightSizingMethod'];
      if (input.copyPrivateIp !== undefined) c.copyPrivateIp = input.copyPrivateIp as boolean;
      if (input.copyTags !== undefined) c.copyTags = input.copyTags as boolean;
      if (input.licensing !== undefined) c.licensing = { osByol: asObject(input.licensing).osByol === true };
      if (input.bootMode !== undefined) c.bootMode = input.bootMode as LaunchConfiguration['bootMode'];
      if (input.postLaunchActions !== undefined) c.postLaunchActions = structuredClone(asObject(input.postLaunchActions));
      if (input.enableMapAutoTagging !== undefined) c.enableMapAutoTagging = input.enableMapAutoTagging as boolean;
      if (input.mapAutoTaggingMpeID !== undefined) c.mapAutoTaggingMpeID = input.mapAutoTaggingMpeID as string;
      return renderLaunchConfiguration(s);
    },
  },
};

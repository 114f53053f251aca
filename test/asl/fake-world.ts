/**
 * An in-memory fleet behind the ports, on a virtual clock, for path tests and core tests: agents
 * install through Run Command, replication progresses with time, launch jobs complete, instances
 * boot, smoke checks run. It enforces the MGN rules the flow must respect (200 servers across active
 * jobs, terminate refused in TESTING/CUTTING_OVER/CUTOVER, archive only after cutover) and records
 * what the flow did so tests can assert on it.
 *
 * The target region has an isolated VPC (test and cutover subnets, a target security group, a main
 * route table with the local route only) and no default VPC. MGN creates an EC2 launch template per
 * source server; a launch whose template's default version names no subnet FAILS, as AWS does, and
 * a launched instance takes its subnet, IP, groups, type and profile from that version. It is Online
 * in SSM only with an instance profile, and a clone of an on-premises source only when its launch
 * configuration's post-launch actions covered the launch. TCP and HTTP probes of its private IP
 * answer as its server's checks say.
 */
import { DEFAULT_ALLOWED_TAG } from '../../functions/lib/allowed-tag';
import { TryLaterError } from '../../functions/lib/errors';
import type { WaveManifest } from '../../functions/lib/manifest';
import { cidrContains, ipv4ToNumber, parseCidr } from '../../functions/lib/ipv4';
import type {
  Ec2Port,
  FlowConfig,
  FlowDeps,
  InvocationView,
  JobView,
  LaunchConfigurationView,
  LaunchTemplateVersionView,
  LifecycleState,
  LogPort,
  MgnGroupView,
  MgnPort,
  NetworkPort,
  RouteView,
  SendCommandRequest,
  SourceServerView,
  SsmPort,
  WaveStore,
} from '../../functions/lib/ports';

/** The execution ARN Step Functions gives an execution named `runId` of the test state machine. */
export const executionArnOf = (runId: string) => `arn:aws:states:eu-west-1:123456789012:execution:MgnWave:${runId}`;

export type Fault = 'precheck-fails' | 'install-fails' | 'replication-stalls' | 'test-launch-fails' | 'test-check-fails' | 'cutover-launch-fails' | 'ssm-offline';

interface FakeServer {
  sourceServerId: string;
  name: string;
  instanceId: string;
  lifecycle: LifecycleState;
  replicationState: string;
  totalBytes: number;
  bytesPerSecond: number;
  startedAtMs: number;
  isArchived: boolean;
  launchedInstanceId?: string;
  lastTestJobId?: string;
  lastCutoverJobId?: string;
  /** as MGN's lifeCycle.lastCutover.finalized.apiCallDateTime: set by FinalizeCutover, cleared by a new cutover */
  lastCutoverFinalizedAt?: string;
}

interface FakeJob {
  jobId: string;
  initiatedBy: string;
  status: 'PENDING' | 'STARTED' | 'COMPLETED';
  doneAtMs: number;
  servers: { sourceServerId: string; launchStatus: 'PENDING' | 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' | 'TERMINATED'; launchedInstanceId?: string }[];
}

interface FakeCommand {
  id: string;
  region: string;
  request: SendCommandRequest;
  doneAtMs: number;
}

export interface FakeSubnet {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
}

export interface FakeRouteTable {
  readonly routeTableId: string;
  readonly vpcId: string;
  readonly main: boolean;
  readonly subnetIds: string[];
  readonly routes: RouteView[];
}

type TemplateData = Omit<LaunchTemplateVersionView, 'launchTemplateId' | 'versionNumber'>;

interface FakeTemplate {
  readonly id: string;
  defaultVersion: number;
  readonly versions: Map<number, TemplateData>;
}

export interface FakeInstance {
  state: string;
  bootedAtMs: number;
  sourceServerId: string;
  kind: 'test' | 'cutover';
  subnetId: string;
  vpcId: string;
  privateIp: string;
  instanceType: string;
  groups: string[];
  instanceProfile?: string;
  /** the SSM agent registers as this instance (a profile, and for an mi- clone MGN's post-launch agent) */
  ssmCapable: boolean;
}

/** The target region's network every FakeWorld starts with (mode "new" of the stack): /22 tiers, room for a 1,000-server wave. */
export const FAKE_NETWORK = {
  vpcId: 'vpc-0f1e2d3c4b5a69788',
  testSubnets: [
    { subnetId: 'subnet-0a0000000000000a1', vpcId: 'vpc-0f1e2d3c4b5a69788', cidrBlock: '10.20.0.0/22', availabilityZone: 'eu-west-1a' },
    { subnetId: 'subnet-0a0000000000000a2', vpcId: 'vpc-0f1e2d3c4b5a69788', cidrBlock: '10.20.4.0/22', availabilityZone: 'eu-west-1b' },
  ],
  cutoverSubnets: [
    { subnetId: 'subnet-0c0000000000000c1', vpcId: 'vpc-0f1e2d3c4b5a69788', cidrBlock: '10.20.8.0/22', availabilityZone: 'eu-west-1a' },
    { subnetId: 'subnet-0c0000000000000c2', vpcId: 'vpc-0f1e2d3c4b5a69788', cidrBlock: '10.20.12.0/22', availabilityZone: 'eu-west-1b' },
  ],
  targetSecurityGroupId: 'sg-0a1b2c3d4e5f60001',
  launchedInstanceProfileName: 'MgnOrchestratorLaunchedInstance',
} as const;

/** The instance type MGN's own template names (right-sizing overrides it at launch). */
export const MGN_TEMPLATE_INSTANCE_TYPE = 'c5.large';
/** What BASIC right-sizing picks in this world. */
export const RIGHT_SIZED_INSTANCE_TYPE = 'm5.large';

export interface WorldOptions {
  readonly faults?: Record<string, Fault>;
  readonly diskBytes?: number;
  readonly bytesPerSecond?: number;
  /** seconds a launch job takes */
  readonly jobSeconds?: number;
  /** a launch fails every time (not just once) for servers with a launch fault */
  readonly startMs?: number;
}

export const silentLog: LogPort = { info: () => undefined, warn: () => undefined, error: () => undefined };

export class FakeWorld {
  nowMs: number;
  readonly objects = new Map<string, string>();
  readonly servers = new Map<string, FakeServer>();
  readonly jobs: FakeJob[] = [];
  readonly commands: FakeCommand[] = [];
  readonly instances = new Map<string, FakeInstance>();
  /** the EC2 source instances, by id: their region and type (every EC2 source of the manifest, m5.large unless set) */
  readonly sourceInstances = new Map<string, { region: string; instanceType: string }>();
  /** the target region's network */
  readonly subnets = new Map<string, FakeSubnet>();
  readonly securityGroups = new Map<string, { groupId: string; vpcId: string }>();
  readonly routeTables: FakeRouteTable[] = [];
  /** MGN's EC2 launch template per source server, and its general launch settings */
  readonly templates = new Map<string, FakeTemplate>();
  readonly launchConfigurations = new Map<string, LaunchConfigurationView>();
  /** why a launch FAILED, per source server (MGN's job log) */
  readonly launchFailures = new Map<string, string>();
  /** errors to answer the next calls of an operation with (op -> errors, first one first) */
  private readonly pendingErrors = new Map<string, Error[]>();
  readonly published: { subject: string; message: string }[] = [];
  /** Service Quotas mgn/L-9A599620 as applied in the target region (default 150) */
  replicatingQuota = 150;
  readonly parameters = new Map<string, string>();
  /** every mutating call, in order */
  readonly calls: { op: string; ids: string[]; at: number }[] = [];
  /** the most servers ever in active jobs at once */
  maxActiveJobServers = 0;
  private seq = 0;
  private readonly launchFailuresLeft = new Map<string, number>();

  constructor(
    readonly manifest: WaveManifest,
    readonly options: WorldOptions = {},
  ) {
    this.nowMs = options.startMs ?? Date.UTC(2026, 0, 5, 8, 0, 0);
    for (const s of manifest.servers) this.specsByInstance.set(s.source.type === 'ec2' ? s.source.instanceId : s.source.managedInstanceId, s);
    for (const s of manifest.servers)
      if (s.source.type === 'ec2') this.sourceInstances.set(s.source.instanceId, { region: s.source.region, instanceType: 'm5.large' });
    for (const subnet of [...FAKE_NETWORK.testSubnets, ...FAKE_NETWORK.cutoverSubnets]) this.subnets.set(subnet.subnetId, { ...subnet });
    this.securityGroups.set(FAKE_NETWORK.targetSecurityGroupId, { groupId: FAKE_NETWORK.targetSecurityGroupId, vpcId: FAKE_NETWORK.vpcId });
    this.routeTables.push({
      routeTableId: 'rtb-0a0000000000000m1',
      vpcId: FAKE_NETWORK.vpcId,
      main: true,
      subnetIds: [],
      routes: [{ destination: '10.20.0.0/16', target: 'local', state: 'active' }],
    });
  }

  /** Adds a subnet (with its own route table when `routes` is given). */
  addSubnet(subnet: FakeSubnet, routes?: RouteView[]): void {
    this.subnets.set(subnet.subnetId, subnet);
    if (routes)
      this.routeTables.push({ routeTableId: `rtb-${subnet.subnetId.slice(7)}`, vpcId: subnet.vpcId, main: false, subnetIds: [subnet.subnetId], routes });
  }

  addSecurityGroup(groupId: string, vpcId: string = FAKE_NETWORK.vpcId): void {
    this.securityGroups.set(groupId, { groupId, vpcId });
  }

  /** The next `times` calls of `op` (a port method name) fail with `error`. */
  failNext(op: string, error: Error, times = 1): void {
    this.pendingErrors.set(op, [...(this.pendingErrors.get(op) ?? []), ...Array.from({ length: times }, () => error)]);
  }

  private maybeFail(op: string): void {
    const errors = this.pendingErrors.get(op);
    const error = errors?.shift();
    if (error) throw error;
  }

  /** The default launch template version of a server (by manifest name). */
  templateOf(name: string): (TemplateData & { version: number; id: string }) | undefined {
    const server = [...this.servers.values()].find((s) => s.name === name);
    const id = server && this.launchConfigurations.get(server.sourceServerId)?.ec2LaunchTemplateId;
    const template = id ? this.templates.get(id) : undefined;
    return template ? { ...template.versions.get(template.defaultVersion)!, version: template.defaultVersion, id: template.id } : undefined;
  }

  /** The instance a server launched for `kind` (the latest), by manifest name. */
  instanceOf(name: string, kind: 'test' | 'cutover'): (FakeInstance & { instanceId: string }) | undefined {
    const server = [...this.servers.values()].find((s) => s.name === name);
    const found = [...this.instances.entries()].filter(([, i]) => i.sourceServerId === server?.sourceServerId && i.kind === kind).pop();
    return found ? { ...found[1], instanceId: found[0] } : undefined;
  }

  now = (): Date => new Date(this.nowMs);

  advance(seconds: number): void {
    this.nowMs += Math.max(0, seconds) * 1000;
    this.settle();
  }

  private id(prefix: string, width = 17): string {
    this.seq += 1;
    return `${prefix}${this.seq.toString(16).padStart(width, '0')}`;
  }

  faultOf(name: string): Fault | undefined {
    return this.options.faults?.[name];
  }

  private readonly specsByInstance = new Map<string, WaveManifest['servers'][number]>();
  private readonly serverNames = new Set<string>();

  private specByInstance(instanceId: string) {
    return this.specsByInstance.get(instanceId);
  }

  /** Adds a server MGN already knows (agent installed earlier), replicating from `startedAtMs`. */
  addKnownServer(name: string, lifecycle: LifecycleState = 'NOT_READY', startedAtMs = this.nowMs): FakeServer {
    const spec = this.manifest.servers.find((s) => s.name === name)!;
    const instanceId = spec.source.type === 'ec2' ? spec.source.instanceId : spec.source.managedInstanceId;
    const server: FakeServer = {
      sourceServerId: this.id('s-'),
      name,
      instanceId,
      lifecycle,
      replicationState: lifecycle === 'NOT_READY' ? 'INITIAL_SYNC' : 'CONTINUOUS',
      totalBytes: this.options.diskBytes ?? 100 * 2 ** 30,
      bytesPerSecond: this.options.bytesPerSecond ?? 50 * 2 ** 20,
      startedAtMs,
      isArchived: false,
    };
    this.servers.set(server.sourceServerId, server);
    this.serverNames.add(name);
    // MGN creates the server's EC2 launch template (no subnet: EC2's default VPC, which this account lacks)
    const templateId = this.id('lt-');
    this.templates.set(templateId, {
      id: templateId,
      defaultVersion: 1,
      versions: new Map([[1, { networkInterfaces: [], instanceType: MGN_TEMPLATE_INSTANCE_TYPE, tagSpecifications: [], instanceSecurityGroups: [] }]]),
    });
    this.launchConfigurations.set(server.sourceServerId, {
      sourceServerId: server.sourceServerId,
      ec2LaunchTemplateId: templateId,
      launchDisposition: 'STARTED',
      rightSizing: 'BASIC',
      copyPrivateIp: false,
      copyTags: false,
      osByol: false,
      bootMode: 'USE_SOURCE',
    });
    return server;
  }

  /** Launches a server's instance from its template's default version, or says why EC2 refuses. */
  private launchInstance(server: FakeServer, kind: 'test' | 'cutover'): string {
    const config = this.launchConfigurations.get(server.sourceServerId)!;
    const template = this.templates.get(config.ec2LaunchTemplateId!)!;
    const data = template.versions.get(template.defaultVersion)!;
    const ni = data.networkInterfaces.find((n) => (n.deviceIndex ?? 0) === 0);
    const subnet = ni?.subnetId ? this.subnets.get(ni.subnetId) : undefined;
    if (!ni?.subnetId)
      throw new Error('Failed to launch test instance: No default VPC for this user. GroupName is only supported for EC2-Classic and default VPC.');
    if (!subnet) throw new Error(`Failed to launch instance: The subnet ID '${ni.subnetId}' does not exist`);
    const inUse = new Set([...this.instances.values()].filter((i) => i.state !== 'terminated').map((i) => i.privateIp));
    let privateIp = ni.privateIpAddress;
    const cidr = parseCidr(subnet.cidrBlock)!;
    if (privateIp) {
      if (!cidrContains(cidr, ipv4ToNumber(privateIp)!)) throw new Error(`Failed to launch instance: Address ${privateIp} does not fall within the subnet's address range`);
      if (inUse.has(privateIp)) throw new Error(`Failed to launch instance: Address ${privateIp} is in use`);
    } else {
      // the first free address after the four AWS reserves (and a few more), never the last one
      for (let n = cidr.network + 10; !privateIp && n < cidr.network + cidr.size - 1; n++) {
        const candidate = [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
        if (!inUse.has(candidate)) privateIp = candidate;
      }
      if (!privateIp) throw new Error(`Failed to launch instance: InsufficientFreeAddressesInSubnet: There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`);
    }
    const spec = this.specByInstance(server.instanceId)!;
    const deployment = config.postLaunchActions?.deployment;
    const agentInstalled = deployment === 'TEST_AND_CUTOVER' || deployment === (kind === 'test' ? 'TEST_ONLY' : 'CUTOVER_ONLY');
    const instanceProfile = data.instanceProfile?.name ?? data.instanceProfile?.arn?.split('/').pop();
    const instanceId = this.id('i-');
    this.instances.set(instanceId, {
      state: 'running',
      bootedAtMs: this.nowMs + 120_000,
      sourceServerId: server.sourceServerId,
      kind,
      subnetId: subnet.subnetId,
      vpcId: subnet.vpcId,
      privateIp,
      instanceType: config.rightSizing === 'BASIC' ? RIGHT_SIZED_INSTANCE_TYPE : (data.instanceType ?? MGN_TEMPLATE_INSTANCE_TYPE),
      groups: [...ni.groups],
      instanceProfile,
      ssmCapable: Boolean(instanceProfile) && (spec.source.type === 'ec2' || agentInstalled),
    });
    return instanceId;
  }

  private activeJobServers(): number {
    return this.jobs.filter((j) => j.status !== 'COMPLETED').reduce((n, j) => n + j.servers.length, 0);
  }

  /** Moves everything whose time has come. */
  settle(): void {
    for (const s of this.servers.values()) {
      if (s.lifecycle !== 'NOT_READY') continue;
      if (this.faultOf(s.name) === 'replication-stalls') {
        s.replicationState = this.replicated(s) >= s.totalBytes * 0.4 ? 'STALLED' : 'INITIAL_SYNC';
        continue;
      }
      if (this.replicated(s) >= s.totalBytes) {
        s.lifecycle = 'READY_FOR_TEST';
        s.replicationState = 'CONTINUOUS';
      }
    }
    for (const job of this.jobs) {
      if (job.status === 'COMPLETED' || this.nowMs < job.doneAtMs) continue;
      job.status = 'COMPLETED';
      for (const p of job.servers) {
        const server = this.servers.get(p.sourceServerId)!;
        if (job.initiatedBy === 'TERMINATE') {
          if (server.launchedInstanceId) this.instances.get(server.launchedInstanceId)!.state = 'terminated';
          p.launchStatus = 'TERMINATED';
          continue;
        }
        const kind = job.initiatedBy === 'START_TEST' ? 'test' : 'cutover';
        const fault = this.faultOf(server.name);
        const left = this.launchFailuresLeft.get(`${kind}:${server.name}`) ?? 2;
        if ((fault === 'test-launch-fails' && kind === 'test') || (fault === 'cutover-launch-fails' && kind === 'cutover')) {
          if (left > 0) {
            this.launchFailuresLeft.set(`${kind}:${server.name}`, left - 1);
            p.launchStatus = 'FAILED';
            continue;
          }
        }
        let instanceId: string;
        try {
          instanceId = this.launchInstance(server, kind);
        } catch (error) {
          this.launchFailures.set(server.sourceServerId, (error as Error).message);
          p.launchStatus = 'FAILED';
          continue;
        }
        p.launchStatus = 'LAUNCHED';
        p.launchedInstanceId = instanceId;
        server.launchedInstanceId = instanceId;
        server.lifecycle = kind === 'test' ? 'TESTING' : 'CUTTING_OVER';
      }
    }
  }

  replicated(s: FakeServer): number {
    if (s.lifecycle !== 'NOT_READY') return s.totalBytes;
    const bytes = ((this.nowMs - s.startedAtMs) / 1000) * s.bytesPerSecond;
    const cap = this.faultOf(s.name) === 'replication-stalls' ? s.totalBytes * 0.4 : s.totalBytes;
    return Math.min(cap, Math.max(0, bytes));
  }

  view(s: FakeServer): SourceServerView {
    const stalled = this.faultOf(s.name) === 'replication-stalls';
    const spec = this.specByInstance(s.instanceId)!;
    return {
      sourceServerId: s.sourceServerId,
      isArchived: s.isArchived,
      lifecycleState: s.lifecycle,
      replicationState: s.replicationState,
      replicationError: stalled && s.replicationState === 'STALLED' ? 'FAILED_TO_CONNECT_AGENT_TO_REPLICATION_SERVER' : undefined,
      hints: {
        awsInstanceId: spec.source.type === 'ec2' ? spec.source.instanceId : undefined,
        hostname: spec.source.type === 'onprem' ? spec.source.hostname : s.name,
      },
      totalBytes: s.totalBytes,
      replicatedBytes: Math.floor(this.replicated(s)),
      backloggedBytes: 0,
      lagSeconds: s.lifecycle === 'NOT_READY' ? undefined : 2,
      etaDateTime:
        s.lifecycle === 'NOT_READY' && !stalled
          ? new Date(s.startedAtMs + (s.totalBytes / s.bytesPerSecond) * 1000).toISOString()
          : undefined,
      lastTestJobId: s.lastTestJobId,
      lastCutoverJobId: s.lastCutoverJobId,
      lastCutoverFinalizedAt: s.lastCutoverFinalizedAt,
      launchedInstanceId: s.launchedInstanceId,
      ...(this.applicationOf(s.sourceServerId) ? { applicationId: this.applicationOf(s.sourceServerId) } : {}),
    };
  }

  /** MGN waves and applications: by id (names unique case-insensitively, ≤ 50 ids per associate call) */
  readonly mgnGroups = new Map<string, { id: string; name: string; isArchived: boolean; waveId?: string; servers: Set<string> }>();

  private applicationOf(sourceServerId: string): string | undefined {
    return [...this.mgnGroups.values()].find((g) => g.servers.has(sourceServerId))?.id;
  }

  private createGroup(kind: 'wave' | 'app', name: string): MgnGroupView {
    if ([...this.mgnGroups.values()].some((g) => g.id.startsWith(kind) && g.name.toLowerCase() === name.toLowerCase()))
      throw new TryLaterError(`${name} exists`, 'ConflictException');
    const id = `${kind}-${String(this.mgnGroups.size).padStart(17, '0')}`;
    this.mgnGroups.set(id, { id, name, isArchived: false, servers: new Set() });
    this.record(kind === 'wave' ? 'CreateWave' : 'CreateApplication', [id]);
    return { id, arn: `arn:aws:mgn:us-east-1:111122223333:${kind === 'wave' ? 'wave' : 'application'}/${id}`, name, isArchived: false };
  }

  private listGroups(kind: 'wave' | 'app'): MgnGroupView[] {
    return [...this.mgnGroups.values()]
      .filter((g) => g.id.startsWith(kind))
      .map((g) => ({ id: g.id, arn: `arn:aws:mgn:us-east-1:111122223333:${kind === 'wave' ? 'wave' : 'application'}/${g.id}`, name: g.name, isArchived: g.isArchived, ...(g.waveId ? { waveId: g.waveId } : {}) }));
  }

  private archiveGroup(id: string): void {
    const g = this.mgnGroups.get(id);
    if (!g) throw Object.assign(new Error(`no ${id}`), { name: 'ResourceNotFoundException' });
    if (g.isArchived) throw new TryLaterError(`${id} archived`, 'ConflictException');
    g.isArchived = true;
    this.record(id.startsWith('wave') ? 'ArchiveWave' : 'ArchiveApplication', [id]);
  }

  private record(op: string, ids: readonly string[]): void {
    this.calls.push({ op, ids: [...ids], at: this.nowMs });
  }

  private startJob(initiatedBy: string, ids: readonly string[], seconds: number): JobView {
    if (ids.length > 200) throw new Error(`a job takes at most 200 servers, got ${ids.length}`);
    if (this.activeJobServers() + ids.length > 200)
      throw new TryLaterError('more than 200 servers in active jobs', 'ServiceQuotaExceededException');
    const job: FakeJob = {
      jobId: this.id('mgnjob-'),
      initiatedBy,
      status: 'STARTED',
      doneAtMs: this.nowMs + seconds * 1000,
      servers: ids.map((id) => ({ sourceServerId: id, launchStatus: 'PENDING' })),
    };
    this.jobs.push(job);
    this.maxActiveJobServers = Math.max(this.maxActiveJobServers, this.activeJobServers());
    this.record(initiatedBy, ids);
    return this.jobView(job);
  }

  private jobView(j: FakeJob): JobView {
    return { jobId: j.jobId, initiatedBy: j.initiatedBy, status: j.status, servers: j.servers.map((s) => ({ ...s })) };
  }

  private server(id: string): FakeServer {
    const s = this.servers.get(id);
    if (!s) throw Object.assign(new Error(`no source server ${id}`), { name: 'ResourceNotFoundException' });
    return s;
  }

  readonly mgn: MgnPort = {
    listMgnWaves: async () => this.listGroups('wave'),
    createMgnWave: async (name) => this.createGroup('wave', name),
    archiveMgnWave: async (id) => this.archiveGroup(id),
    listMgnApplications: async () => this.listGroups('app'),
    createMgnApplication: async (name) => this.createGroup('app', name),
    archiveMgnApplication: async (id) => this.archiveGroup(id),
    associateMgnApplications: async (waveId, ids) => {
      if (ids.length > 50) throw new Error(`AssociateApplications takes at most 50 ids, got ${ids.length}`);
      for (const id of ids) this.mgnGroups.get(id)!.waveId = waveId;
      this.record('AssociateApplications', ids);
    },
    associateMgnSourceServers: async (appId, ids) => {
      if (ids.length > 50) throw new Error(`AssociateSourceServers takes at most 50 ids, got ${ids.length}`);
      for (const id of ids) this.mgnGroups.get(appId)!.servers.add(id);
      this.record('AssociateSourceServers', ids);
    },
    // The port's contract: any number of ids (the SDK adapter splits them into calls of at most 200).
    describeSourceServers: async (ids) => {
      this.record('DescribeSourceServers', ids);
      return ids.filter((id) => this.servers.has(id)).map((id) => this.view(this.servers.get(id)!));
    },
    listSourceServers: async () => [...this.servers.values()].filter((s) => !s.isArchived).map((s) => this.view(s)),
    describeJobs: async (ids) => this.jobs.filter((j) => ids.includes(j.jobId)).map((j) => this.jobView(j)),
    listJobs: async () => this.jobs.map((j) => this.jobView(j)),
    startTest: async (ids) => {
      this.maybeFail('startTest');
      for (const id of ids) if (!['READY_FOR_TEST', 'TESTING'].includes(this.server(id).lifecycle)) throw new TryLaterError(`${id} not ready`, 'ConflictException');
      const job = this.startJob('START_TEST', ids, this.options.jobSeconds ?? 600);
      for (const id of ids) this.server(id).lastTestJobId = job.jobId;
      return job;
    },
    startCutover: async (ids) => {
      this.maybeFail('startCutover');
      for (const id of ids) if (!['READY_FOR_CUTOVER', 'CUTTING_OVER'].includes(this.server(id).lifecycle)) throw new TryLaterError(`${id} not ready`, 'ConflictException');
      const job = this.startJob('START_CUTOVER', ids, this.options.jobSeconds ?? 600);
      for (const id of ids) Object.assign(this.server(id), { lastCutoverJobId: job.jobId, lastCutoverFinalizedAt: undefined });
      return job;
    },
    terminateTargetInstances: async (ids) => {
      for (const id of ids)
        if (['TESTING', 'CUTTING_OVER', 'CUTOVER'].includes(this.server(id).lifecycle))
          throw new TryLaterError(`TerminateTargetInstances refused in ${this.server(id).lifecycle}`, 'ConflictException');
      return this.startJob('TERMINATE', ids, 60);
    },
    changeLifecycleState: async (id, state) => {
      const s = this.server(id);
      if (['NOT_READY', 'CUTOVER', 'DISCONNECTED'].includes(s.lifecycle)) throw new TryLaterError(`cannot change ${s.lifecycle}`, 'ConflictException');
      this.record(`ChangeServerLifeCycleState:${state}`, [id]);
      s.lifecycle = state;
    },
    finalizeCutover: async (id) => {
      const s = this.server(id);
      if (s.lifecycle !== 'CUTTING_OVER') throw new TryLaterError(`cannot finalize ${s.lifecycle}`, 'ConflictException');
      this.record('FinalizeCutover', [id]);
      s.lifecycle = 'CUTOVER';
      s.lastCutoverFinalizedAt = new Date(this.nowMs).toISOString();
      s.replicationState = 'DISCONNECTED';
    },
    markAsArchived: async (id) => {
      const s = this.server(id);
      if (!['CUTOVER', 'DISCONNECTED'].includes(s.lifecycle)) throw new TryLaterError(`cannot archive ${s.lifecycle}`, 'ConflictException');
      this.record('MarkAsArchived', [id]);
      s.isArchived = true;
    },
    describeReplicationTemplates: async () => [
      {
        id: 'rct-1',
        stagingAreaSubnetId: 'subnet-staging',
        dataPlaneRouting: 'PRIVATE_IP',
        createPublicIP: false,
        securityGroupIds: ['sg-replication'],
        associateDefaultSecurityGroup: false,
        tags: { 'mgn-orchestrator:staging-subnet': 'subnet-staging' },
      },
    ],
    updateReplicationTemplate: async (id) => this.record('UpdateReplicationConfigurationTemplate', [id]),
    createReplicationTemplate: async () => 'rct-new',
    getReplicationConfiguration: async (id) => {
      this.server(id);
      return { stagingAreaSubnetId: 'subnet-staging', dataPlaneRouting: 'PRIVATE_IP', createPublicIP: false, securityGroupIds: ['sg-replication'], associateDefaultSecurityGroup: false };
    },
    updateReplicationConfiguration: async (id) => this.record('UpdateReplicationConfiguration', [id]),
    getLaunchConfiguration: async (id) => {
      this.maybeFail('getLaunchConfiguration');
      this.server(id);
      return structuredClone(this.launchConfigurations.get(id)!);
    },
    updateLaunchConfiguration: async (id, update) => {
      this.maybeFail('updateLaunchConfiguration');
      this.server(id);
      this.record('UpdateLaunchConfiguration', [id]);
      const current = this.launchConfigurations.get(id)!;
      this.launchConfigurations.set(id, {
        ...current,
        launchDisposition: update.launchDisposition,
        rightSizing: update.rightSizing,
        copyPrivateIp: update.copyPrivateIp,
        copyTags: update.copyTags,
        ...(update.osByol !== undefined ? { osByol: update.osByol } : {}),
        ...(update.bootMode ? { bootMode: update.bootMode } : {}),
        ...(update.postLaunchActions ? { postLaunchActions: structuredClone(update.postLaunchActions) } : {}),
      });
    },
  };

  private template(id: string): FakeTemplate {
    const template = this.templates.get(id);
    if (!template) throw Object.assign(new Error(`The specified launch template, with template ID ${id}, does not exist.`), { name: 'InvalidLaunchTemplateId.NotFound' });
    return template;
  }

  readonly ec2: Ec2Port = {
    describeInstanceStatus: async (ids) =>
      ids.flatMap((id) => {
        const inst = this.instances.get(id);
        if (!inst) return [];
        const booted = this.nowMs >= inst.bootedAtMs;
        return [{ instanceId: id, state: inst.state, systemStatus: booted ? 'ok' : 'initializing', instanceStatus: booted ? 'ok' : 'initializing' }];
      }),
    describeInstances: async (ids) => {
      this.maybeFail('describeInstances');
      return ids.flatMap((id) => {
        const i = this.instances.get(id);
        if (!i) return [];
        return [{ instanceId: id, state: i.state, subnetId: i.subnetId, vpcId: i.vpcId, privateIpAddress: i.privateIp, instanceType: i.instanceType, securityGroupIds: [...i.groups] }];
      });
    },
    describeSubnets: async (ids) => {
      this.maybeFail('describeSubnets');
      this.record('DescribeSubnets', ids);
      return ids.flatMap((id) => {
        const subnet = this.subnets.get(id);
        if (!subnet) return [];
        // AWS keeps five addresses of every subnet; each instance that is not terminated holds one
        const held = [...this.instances.values()].filter((i) => i.subnetId === id && i.state !== 'terminated').length;
        return [{ ...subnet, availableIpAddressCount: parseCidr(subnet.cidrBlock)!.size - 5 - held }];
      });
    },
    describeSecurityGroups: async (ids) => {
      this.maybeFail('describeSecurityGroups');
      this.record('DescribeSecurityGroups', ids);
      return ids.flatMap((id) => (this.securityGroups.has(id) ? [{ ...this.securityGroups.get(id)! }] : []));
    },
    describeRouteTables: async ({ subnetIds, mainOfVpcIds }) => {
      this.maybeFail('describeRouteTables');
      this.record('DescribeRouteTables', [...subnetIds, ...mainOfVpcIds]);
      return this.routeTables
        .filter((t) => t.subnetIds.some((id) => subnetIds.includes(id)) || (t.main && mainOfVpcIds.includes(t.vpcId)))
        .map((t) => structuredClone(t));
    },
    describeDefaultLaunchTemplateVersion: async (id) => {
      this.maybeFail('describeDefaultLaunchTemplateVersion');
      const template = this.template(id);
      return { launchTemplateId: id, versionNumber: template.defaultVersion, ...structuredClone(template.versions.get(template.defaultVersion)!) };
    },
    createLaunchTemplateVersion: async (id, sourceVersion, change) => {
      this.maybeFail('createLaunchTemplateVersion');
      const template = this.template(id);
      const source = template.versions.get(sourceVersion);
      if (!source) throw Object.assign(new Error(`Source version ${sourceVersion} does not exist`), { name: 'InvalidLaunchTemplateId.VersionNotFound' });
      if (change.instanceType && !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(change.instanceType))
        throw Object.assign(new Error(`Invalid instance type ${change.instanceType}`), { name: 'InvalidParameterValue' });
      this.record('CreateLaunchTemplateVersion', [id]);
      const version = Math.max(...template.versions.keys()) + 1;
      template.versions.set(version, {
        ...structuredClone(source),
        networkInterfaces: [
          {
            deviceIndex: 0,
            subnetId: change.networkInterface.subnetId,
            groups: [...change.networkInterface.groups],
            ...(change.networkInterface.privateIpAddress ? { privateIpAddress: change.networkInterface.privateIpAddress } : {}),
            associatePublicIpAddress: false,
            deleteOnTermination: true,
          },
        ],
        ...(change.instanceType ? { instanceType: change.instanceType } : {}),
        ...(change.instanceProfileName ? { instanceProfile: { name: change.instanceProfileName } } : {}),
        ...(change.tagSpecifications ? { tagSpecifications: structuredClone([...change.tagSpecifications]) } : {}),
      });
      return version;
    },
    setDefaultLaunchTemplateVersion: async (id, version) => {
      this.maybeFail('setDefaultLaunchTemplateVersion');
      const template = this.template(id);
      if (!template.versions.has(version)) throw Object.assign(new Error(`version ${version} does not exist`), { name: 'InvalidLaunchTemplateId.VersionNotFound' });
      this.record('ModifyLaunchTemplate', [id]);
      template.defaultVersion = version;
    },
  };

  /** The instance at a private IP, running and booted, with its server's manifest entry. */
  private instanceAt(ip: string) {
    const found = [...this.instances.values()].find((i) => i.privateIp === ip && i.state === 'running' && this.nowMs >= i.bootedAtMs);
    const server = found && this.servers.get(found.sourceServerId);
    const spec = server && this.specByInstance(server.instanceId);
    const failing = Boolean(found && server && found.kind === 'test' && this.faultOf(server.name) === 'test-check-fails');
    return found && spec ? { instance: found, spec, failing } : undefined;
  }

  /** Probes from the verify step: an instance answers TCP on its checks' ports and HTTP as its checks expect. */
  readonly network: NetworkPort = {
    tcpProbe: async (host, port) => {
      const at = this.instanceAt(host);
      if (!at) return `no TCP connection to ${host}:${port} within 3000 ms`;
      const listens = (at.spec.checks ?? []).some((c) => (c.type === 'tcp' && c.port === port) || (c.type === 'http' && Number(new URL(c.url).port || (c.url.startsWith('https') ? 443 : 80)) === port));
      return listens && !at.failing ? undefined : `${host}:${port}: ECONNREFUSED`;
    },
    httpProbe: async (url) => {
      const target = new URL(url);
      const at = this.instanceAt(target.hostname);
      if (!at) return { error: `no HTTP answer from ${target.host} within 5000 ms` };
      const check = (at.spec.checks ?? []).find((c) => c.type === 'http' && new URL(c.url).pathname === target.pathname);
      if (!check || check.type !== 'http') return { status: 404 };
      return { status: at.failing ? 503 : check.expectStatus };
    },
  };

  private commandResult(cmd: FakeCommand, instanceId: string): InvocationView {
    if (this.nowMs < cmd.doneAtMs) return { instanceId, status: 'InProgress', output: '' };
    const doc = cmd.request.documentName;
    const spec = this.specByInstance(instanceId);
    const fault = spec ? this.faultOf(spec.name) : undefined;
    if (doc === this.config.precheckDocument)
      return fault === 'precheck-fails'
        ? { instanceId, status: 'Failed', output: 'PASS dns-mgn\nFAIL tcp-443-s3: connection timed out' }
        : { instanceId, status: 'Success', output: 'PASS dns-mgn\nPASS tcp-443-s3' };
    if (doc === this.config.linuxInstallDocument || doc === this.config.windowsInstallDocument)
      return fault === 'install-fails'
        ? { instanceId, status: 'Failed', output: 'Installation failed: could not download the replication agent (HTTP 403)' }
        : { instanceId, status: 'Success', output: 'The installation of the AWS Replication Agent has finished.' };
    // smoke checks on a launched instance
    const inst = this.instances.get(instanceId);
    const owner = inst ? [...this.servers.values()].find((s) => s.sourceServerId === inst.sourceServerId) : undefined;
    if (owner && this.faultOf(owner.name) === 'test-check-fails' && inst?.kind === 'test')
      return { instanceId, status: 'Failed', output: 'PASS service:sshd\nFAIL tcp:443' };
    return { instanceId, status: 'Success', output: 'PASS service:sshd' };
  }

  private settleCommand(cmd: FakeCommand): void {
    if (this.nowMs < cmd.doneAtMs) return;
    const isInstall = cmd.request.documentName === this.config.linuxInstallDocument || cmd.request.documentName === this.config.windowsInstallDocument;
    if (!isInstall) return;
    for (const instanceId of cmd.request.instanceIds) {
      const spec = this.specByInstance(instanceId);
      if (!spec || this.faultOf(spec.name) === 'install-fails') continue;
      if (this.serverNames.has(spec.name)) continue;
      this.addKnownServer(spec.name, 'NOT_READY', cmd.doneAtMs);
    }
  }

  ssmFor = (region: string): SsmPort => ({
    describeInstanceInformation: async (ids) =>
      ids.flatMap((id) => {
        if (id.startsWith('i-') && this.instances.has(id)) {
          const inst = this.instances.get(id)!;
          return inst.ssmCapable && inst.state === 'running' && this.nowMs >= inst.bootedAtMs ? [{ instanceId: id, pingStatus: 'Online' }] : [];
        }
        const spec = this.specByInstance(id);
        if (!spec) return [];
        return [{ instanceId: id, pingStatus: this.faultOf(spec.name) === 'ssm-offline' ? 'ConnectionLost' : 'Online' }];
      }),
    sendCommand: async (request) => {
      if (request.instanceIds.length > 50) throw new Error(`SendCommand takes at most 50 ids, got ${request.instanceIds.length}`);
      const seconds = request.documentName === this.config.precheckDocument ? 60 : request.documentName.startsWith('AWS-') ? 30 : 180;
      const cmd: FakeCommand = { id: this.id('cmd-', 8), region, request, doneAtMs: this.nowMs + seconds * 1000 };
      this.commands.push(cmd);
      this.record(`SendCommand:${request.documentName}`, request.instanceIds);
      return cmd.id;
    },
    listCommandInvocations: async (commandId) => {
      const cmd = this.commands.find((c) => c.id === commandId);
      if (!cmd) return [];
      this.settleCommand(cmd);
      return cmd.request.instanceIds.map((id) => this.commandResult(cmd, id));
    },
    putSecureParameter: async (name, value) => {
      this.parameters.set(`${region}:${name}`, value);
    },
    // every source carries the allowed tag (a fleet prepared as the README says)
    managedInstanceTags: async (ids) =>
      new Map(ids.filter((id) => id.startsWith('mi-') && this.specByInstance(id)).map((id) => [id, { [DEFAULT_ALLOWED_TAG.key]: DEFAULT_ALLOWED_TAG.value }])),
    deleteParameter: async (name) => {
      this.parameters.delete(`${region}:${name}`);
    },
  });

  readonly config: FlowConfig = {
    waveBucket: 'wave-bucket',
    topicArn: 'arn:aws:sns:eu-west-1:123456789012:waves',
    stagingSubnetId: 'subnet-staging',
    replicationSecurityGroupId: 'sg-replication',
    installerRoleArn: 'arn:aws:iam::123456789012:role/installer',
    precheckDocument: 'MgnOrchestrator-Precheck',
    linuxInstallDocument: 'MgnOrchestrator-InstallLinux',
    windowsInstallDocument: 'MgnOrchestrator-InstallWindows',
    preflightEndpoints: [],
    testSubnetIds: FAKE_NETWORK.testSubnets.map((s) => s.subnetId),
    cutoverSubnetIds: FAKE_NETWORK.cutoverSubnets.map((s) => s.subnetId),
    targetSecurityGroupId: FAKE_NETWORK.targetSecurityGroupId,
    launchedInstanceProfileName: FAKE_NETWORK.launchedInstanceProfileName,
    installerCredentialsKey: 'alias/MgnOrchestrator/installer-credentials',
  };

  /** Step Functions' view of executions, by ARN (the wave lock asks about its holder); absent = no such execution. */
  readonly executionStatuses = new Map<string, string>();

  readonly store: WaveStore = {
    getJson: async <T>(key: string) => (this.objects.has(key) ? (JSON.parse(this.objects.get(key)!) as T) : undefined),
    putJson: async (key, value) => {
      this.objects.set(key, JSON.stringify(value));
    },
    getJsonFrom: async <T>(bucket: string, key: string) =>
      this.objects.has(`${bucket}/${key}`) ? (JSON.parse(this.objects.get(`${bucket}/${key}`)!) as T) : undefined,
    // conditional requests, with the stored text as its own ETag (S3's is the MD5 of it)
    getVersionedJson: async <T>(key: string) => (this.objects.has(key) ? { value: JSON.parse(this.objects.get(key)!) as T, etag: this.objects.get(key)! } : undefined),
    createJson: async (key, value) => {
      if (this.objects.has(key)) return undefined;
      this.objects.set(key, JSON.stringify(value));
      return this.objects.get(key)!;
    },
    replaceJson: async (key, value, etag) => {
      if (this.objects.get(key) !== etag) return undefined;
      this.objects.set(key, JSON.stringify(value));
      return this.objects.get(key)!;
    },
    deleteJsonVersion: async (key, etag) => this.objects.get(key) === etag && this.objects.delete(key),
  };

  /**
   * EC2 of a region: its source instances (and, in the target region, everything this.ec2 answers).
   * Another region answers DescribeInstances only: the flow has nothing else to ask there.
   */
  ec2In(region: string): Ec2Port {
    const sources = async (ids: readonly string[]) => {
      this.maybeFail(`describeInstances@${region}`);
      this.record(`DescribeInstances@${region}`, ids);
      return ids.flatMap((id) => {
        const source = this.sourceInstances.get(id);
        return source && source.region === region
          ? [{ instanceId: id, state: 'running', instanceType: source.instanceType, securityGroupIds: [] as string[], tags: { [DEFAULT_ALLOWED_TAG.key]: DEFAULT_ALLOWED_TAG.value } }]
          : [];
      });
    };
    const base: Ec2Port = region === this.manifest.targetRegion ? this.ec2 : (new Proxy({}, { get: (_t, op) => () => Promise.reject(new Error(`EC2 in ${region}: ${String(op)} is not modelled`)) }) as Ec2Port);
    return {
      ...base,
      describeInstances: async (ids) => [...(region === this.manifest.targetRegion ? await this.ec2.describeInstances(ids) : []), ...(await sources(ids))],
    };
  }

  deps(): FlowDeps {
    return {
      mgn: this.mgn,
      quotas: {
        replicatingServersQuota: async () => {
          this.maybeFail('getServiceQuota');
          this.record('GetServiceQuota', []);
          return this.replicatingQuota;
        },
      },
      ssm: (region) => this.ssmFor(region),
      ec2: this.ec2,
      ec2In: (region) => this.ec2In(region),
      sts: {
        assumeRole: async () => ({ accessKeyId: 'ASIAFAKE', secretAccessKey: 'fake-secret', sessionToken: 'fake-session' }),
      },
      notifier: {
        publish: async (subject, message) => {
          this.published.push({ subject, message });
        },
      },
      store: this.store,
      executions: { executionStatus: async (arn) => this.executionStatuses.get(arn) },
      network: this.network,
      now: this.now,
      log: silentLog,
      config: this.config,
    };
  }

  /** A server's current lifecycle by manifest name (undefined if MGN does not know it). */
  lifecycleOf(name: string): LifecycleState | undefined {
    return [...this.servers.values()].find((s) => s.name === name)?.lifecycle;
  }

  instanceState(id: string | undefined): string | undefined {
    return id ? this.instances.get(id)?.state : undefined;
  }
}

/** A wave of `count` Linux EC2 sources named srv-000.. with one smoke check each. */
export function waveOf(count: number, options: Partial<WaveManifest['options']> = {}): WaveManifest {
  return {
    waveId: 'wave-7',
    targetRegion: 'eu-west-1',
    endpoints: {
      mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com',
      s3: 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com',
    },
    servers: Array.from({ length: count }, (_, i) => ({
      name: `srv-${String(i).padStart(3, '0')}`,
      os: 'linux' as const,
      source: { type: 'ec2' as const, instanceId: `i-${(0x10000000 + i).toString(16).padStart(17, '0')}`, region: 'ap-southeast-1' },
      checks: [{ type: 'service' as const, name: 'sshd' }],
    })),
    options: {
      approval: 'required',
      pollIntervalSeconds: 300,
      replicationTimeoutHours: 72,
      quiesce: false,
      phases: { install: true, test: true, cutover: true, finalize: true, archive: true },
      finalizeApproval: 'required',
      soakHours: 0,
      ...options,
    },
  };
}

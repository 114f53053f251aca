/**
 * An in-memory fleet behind the ports, on a virtual clock, for path tests and core tests: agents
 * install through Run Command, replication progresses with time, launch jobs complete, instances
 * boot, smoke checks run. It enforces the MGN rules the flow must respect (200 servers across active
 * jobs, terminate refused in TESTING/CUTTING_OVER/CUTOVER, archive only after cutover) and records
 * what the flow did so tests can assert on it.
 */
import { TryLaterError } from '../../functions/lib/errors';
import type { WaveManifest } from '../../functions/lib/manifest';
import type {
  FlowConfig,
  FlowDeps,
  InvocationView,
  JobView,
  LifecycleState,
  LogPort,
  MgnPort,
  SendCommandRequest,
  SourceServerView,
  SsmPort,
  WaveStore,
} from '../../functions/lib/ports';

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
  readonly instances = new Map<string, { state: string; bootedAtMs: number; sourceServerId: string; kind: 'test' | 'cutover' }>();
  readonly published: { subject: string; message: string }[] = [];
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
    return server;
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
        const instanceId = this.id('i-');
        this.instances.set(instanceId, { state: 'running', bootedAtMs: this.nowMs + 120_000, sourceServerId: server.sourceServerId, kind });
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
    };
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
    // The port's contract: any number of ids (the SDK adapter splits them into calls of at most 200).
    describeSourceServers: async (ids) => {
      this.record('DescribeSourceServers', ids);
      return ids.filter((id) => this.servers.has(id)).map((id) => this.view(this.servers.get(id)!));
    },
    listSourceServers: async () => [...this.servers.values()].filter((s) => !s.isArchived).map((s) => this.view(s)),
    describeJobs: async (ids) => this.jobs.filter((j) => ids.includes(j.jobId)).map((j) => this.jobView(j)),
    listJobs: async () => this.jobs.map((j) => this.jobView(j)),
    startTest: async (ids) => {
      for (const id of ids) if (!['READY_FOR_TEST', 'TESTING'].includes(this.server(id).lifecycle)) throw new TryLaterError(`${id} not ready`, 'ConflictException');
      const job = this.startJob('START_TEST', ids, this.options.jobSeconds ?? 600);
      for (const id of ids) this.server(id).lastTestJobId = job.jobId;
      return job;
    },
    startCutover: async (ids) => {
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
      { id: 'rct-1', stagingAreaSubnetId: 'subnet-staging', dataPlaneRouting: 'PRIVATE_IP', createPublicIP: false, securityGroupIds: ['sg-replication'], associateDefaultSecurityGroup: false },
    ],
    updateReplicationTemplate: async (id) => this.record('UpdateReplicationConfigurationTemplate', [id]),
    createReplicationTemplate: async () => 'rct-new',
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
          return inst.state === 'running' && this.nowMs >= inst.bootedAtMs ? [{ instanceId: id, pingStatus: 'Online' }] : [];
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
    testSubnetIds: [],
    cutoverSubnetIds: [],
  };

  readonly store: WaveStore = {
    getJson: async <T>(key: string) => (this.objects.has(key) ? (JSON.parse(this.objects.get(key)!) as T) : undefined),
    putJson: async (key, value) => {
      this.objects.set(key, JSON.stringify(value));
    },
    getJsonFrom: async <T>(bucket: string, key: string) =>
      this.objects.has(`${bucket}/${key}`) ? (JSON.parse(this.objects.get(`${bucket}/${key}`)!) as T) : undefined,
  };

  deps(): FlowDeps {
    return {
      mgn: this.mgn,
      ssm: (region) => this.ssmFor(region),
      ec2: {
        describeInstanceStatus: async (ids) =>
          ids.flatMap((id) => {
            const inst = this.instances.get(id);
            if (!inst) return [];
            const booted = this.nowMs >= inst.bootedAtMs;
            return [{ instanceId: id, state: inst.state, systemStatus: booted ? 'ok' : 'initializing', instanceStatus: booted ? 'ok' : 'initializing' }];
          }),
      },
      sts: {
        assumeRole: async () => ({ accessKeyId: 'ASIAFAKE', secretAccessKey: 'fake-secret', sessionToken: 'fake-session' }),
      },
      notifier: {
        publish: async (subject, message) => {
          this.published.push({ subject, message });
        },
      },
      store: this.store,
      network: { tcpProbe: async () => undefined },
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
      ...options,
    },
  };
}

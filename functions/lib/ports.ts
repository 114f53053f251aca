/**
 * Ports: the narrow views of AWS the domain core talks to. The SDK adapters in ./adapters implement
 * them; tests of the core use in-memory fakes. Shapes are the domain's, not the SDK's, so the core
 * never sees `undefined`-riddled SDK output.
 */

export type LifecycleState =
  | 'NOT_READY'
  | 'READY_FOR_TEST'
  | 'TESTING'
  | 'READY_FOR_CUTOVER'
  | 'CUTTING_OVER'
  | 'CUTOVER'
  | 'DISCONNECTED'
  | 'STOPPED'
  | 'DISCOVERED'
  | 'PENDING_INSTALLATION';

export interface SourceServerView {
  readonly sourceServerId: string;
  readonly isArchived: boolean;
  readonly lifecycleState?: LifecycleState;
  /** MGN dataReplicationState: INITIAL_SYNC, CONTINUOUS, STALLED ... */
  readonly replicationState?: string;
  /** MGN dataReplicationError.error, when replication reports one */
  readonly replicationError?: string;
  readonly hints: { readonly awsInstanceId?: string; readonly hostname?: string; readonly fqdn?: string };
  readonly userProvidedId?: string;
  /** sums over the replicated disks */
  readonly totalBytes: number;
  readonly replicatedBytes: number;
  readonly backloggedBytes: number;
  /** replication lag in seconds (MGN lagDuration), when known */
  readonly lagSeconds?: number;
  /** MGN's estimate of when initial sync ends (ISO-8601), when known */
  readonly etaDateTime?: string;
  readonly lastTestJobId?: string;
  readonly lastCutoverJobId?: string;
  /** when FinalizeCutover ran for the server's last cutover (MGN lifeCycle.lastCutover.finalized.apiCallDateTime) */
  readonly lastCutoverFinalizedAt?: string;
  readonly launchedInstanceId?: string;
}

export type JobStatus = 'PENDING' | 'STARTED' | 'COMPLETED';
export type LaunchStatus = 'PENDING' | 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' | 'TERMINATED';

export interface JobView {
  readonly jobId: string;
  readonly type?: string;
  /** START_TEST, START_CUTOVER, TERMINATE ... */
  readonly initiatedBy?: string;
  readonly status: JobStatus;
  readonly creationDateTime?: string;
  /** set once the job has ended */
  readonly endDateTime?: string;
  readonly servers: readonly {
    readonly sourceServerId: string;
    readonly launchStatus?: LaunchStatus;
    readonly launchedInstanceId?: string;
  }[];
}

export interface ReplicationTemplateView {
  readonly id: string;
  readonly stagingAreaSubnetId?: string;
  readonly dataPlaneRouting?: string;
  readonly createPublicIP?: boolean;
  readonly securityGroupIds: readonly string[];
  readonly associateDefaultSecurityGroup?: boolean;
}

export interface ReplicationTemplateSettings {
  readonly stagingAreaSubnetId: string;
  readonly dataPlaneRouting: 'PRIVATE_IP';
  readonly createPublicIP: false;
  readonly securityGroupIds: readonly string[];
  readonly associateDefaultSecurityGroup: false;
}

/** Application Migration Service in the wave's target region. Every mutating call may throw TryLaterError. */
export interface MgnPort {
  /** Describes the given servers (the adapter asks for at most 200 ids per call). */
  describeSourceServers(sourceServerIds: readonly string[]): Promise<SourceServerView[]>;
  /** Every unarchived source server, for matching manifest servers to MGN's. */
  listSourceServers(): Promise<SourceServerView[]>;
  /** Describes the given jobs (at most 1000 ids per call). */
  describeJobs(jobIds: readonly string[]): Promise<JobView[]>;
  /** Every job created since `fromDate` (ISO-8601), to count servers in active jobs account-wide. */
  listJobs(fromDate: string): Promise<JobView[]>;
  startTest(sourceServerIds: readonly string[]): Promise<JobView>;
  startCutover(sourceServerIds: readonly string[]): Promise<JobView>;
  terminateTargetInstances(sourceServerIds: readonly string[]): Promise<JobView>;
  changeLifecycleState(sourceServerId: string, state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER'): Promise<void>;
  finalizeCutover(sourceServerId: string): Promise<void>;
  markAsArchived(sourceServerId: string): Promise<void>;
  describeReplicationTemplates(): Promise<ReplicationTemplateView[]>;
  updateReplicationTemplate(id: string, settings: ReplicationTemplateSettings): Promise<void>;
  createReplicationTemplate(settings: ReplicationTemplateSettings): Promise<string>;
}

export interface ManagedInstanceView {
  readonly instanceId: string;
  /** Online, ConnectionLost, Inactive */
  readonly pingStatus: string;
  /** when the SSM agent last answered (ISO-8601), when SSM says */
  readonly lastPingAt?: string;
}

/** Pending, InProgress, Delayed, Success, Cancelled, TimedOut, Failed, Cancelling, Undeliverable, Terminated ... */
export type InvocationStatus = string;

export interface InvocationView {
  readonly instanceId: string;
  readonly status: InvocationStatus;
  /** the output of the command's plugins, concatenated (SSM keeps the first 2,500 characters of each) */
  readonly output: string;
}

export interface SendCommandRequest {
  readonly documentName: string;
  /** at most 50 */
  readonly instanceIds: readonly string[];
  /** document parameters; never credentials */
  readonly parameters: Readonly<Record<string, readonly string[]>>;
  readonly comment: string;
  readonly timeoutSeconds?: number;
}

/** Systems Manager in one region (sources are managed by SSM in their own region). */
export interface SsmPort {
  describeInstanceInformation(instanceIds: readonly string[]): Promise<ManagedInstanceView[]>;
  /**
   * Returns the command id. Throws CommandTargetsRefusedError when SSM refuses the whole call because
   * a target is not Online (InvalidInstanceId), DocumentNotInRegionError when the region has no such
   * document (InvalidDocument).
   */
  sendCommand(request: SendCommandRequest): Promise<string>;
  listCommandInvocations(commandId: string): Promise<InvocationView[]>;
  putSecureParameter(name: string, value: string): Promise<void>;
  /** Deletes the parameter; a parameter that is already gone is fine. */
  deleteParameter(name: string): Promise<void>;
}

export interface InstanceStatusView {
  readonly instanceId: string;
  /** pending, running, stopped, terminated ... */
  readonly state: string;
  /** ok, impaired, initializing, insufficient-data, not-applicable */
  readonly systemStatus: string;
  readonly instanceStatus: string;
}

export interface Ec2Port {
  /** Status of the given instances; instances EC2 does not know are left out. */
  describeInstanceStatus(instanceIds: readonly string[]): Promise<InstanceStatusView[]>;
}

export interface ShortLivedCredentials {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly sessionToken: string;
  readonly expiration?: string;
}

export interface StsPort {
  assumeRole(roleArn: string, sessionName: string, durationSeconds: number): Promise<ShortLivedCredentials>;
}

export interface NotifierPort {
  publish(subject: string, message: string): Promise<void>;
}

/** JSON objects in the stack's bucket, keyed as CONTRACTS.md says. */
export interface WaveStore {
  getJson<T>(key: string): Promise<T | undefined>;
  putJson(key: string, value: unknown): Promise<void>;
  /** Reads a JSON object from any bucket the function may read (an execution input's manifestLocation). */
  getJsonFrom<T>(bucket: string, key: string): Promise<T | undefined>;
}

/** TCP reachability from where the orchestrator runs. */
export interface NetworkPort {
  /** Resolves undefined when a TCP connection to host:port opens within timeoutMs, else the reason it did not. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | undefined>;
}

/** The logger the core writes to (Powertools Logger satisfies it). */
export interface LogPort {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** What every step's core gets. */
export interface FlowDeps {
  readonly mgn: MgnPort;
  readonly ssm: (region: string) => SsmPort;
  readonly ec2: Ec2Port;
  readonly sts: StsPort;
  readonly notifier: NotifierPort;
  readonly store: WaveStore;
  readonly network: NetworkPort;
  readonly now: () => Date;
  readonly log: LogPort;
  readonly config: FlowConfig;
}

/** The environment a step runs with (functions/lib/steps.ts ENV), parsed once. */
export interface FlowConfig {
  readonly waveBucket: string;
  readonly topicArn?: string;
  readonly stagingSubnetId?: string;
  readonly replicationSecurityGroupId?: string;
  readonly installerRoleArn?: string;
  readonly precheckDocument: string;
  readonly linuxInstallDocument: string;
  readonly windowsInstallDocument: string;
  readonly preflightEndpoints: readonly string[];
  /** The stack's isolated test subnets (launch default when the manifest names none). */
  readonly testSubnetIds: readonly string[];
  /** The stack's isolated cutover subnets (launch default when the manifest names none). */
  readonly cutoverSubnetIds: readonly string[];
  /** The stack's security group for launched instances (launch default). */
  readonly targetSecurityGroupId?: string;
  /** The stack's instance profile for launched instances (launch default). */
  readonly launchedInstanceProfileName?: string;
}

/**
 * Ports: the narrow views of AWS the domain core talks to. The SDK adapters in ./adapters implement
 * them; tests of the core use in-memory fakes. Shapes are the domain's, not the SDK's, so the core
 * never sees `undefined`-riddled SDK output.
 */
import type { AllowedTag } from './allowed-tag';
import type { WaveMetricsPort } from './observability';

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
  /** when the server's last cutover was launched (MGN lifeCycle.lastCutover.initiated.apiCallDateTime): the soak counts from it */
  readonly lastCutoverInitiatedAt?: string;
  readonly launchedInstanceId?: string;
  /** the MGN application the server is associated with (SourceServer.applicationID), if any */
  readonly applicationId?: string;
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
  /** the tags the template was created with (MGN returns them) */
  readonly tags: Readonly<Record<string, string>>;
}

/** A source server's own replication settings (GetReplicationConfiguration), the fields the flow sets. */
export interface ReplicationConfigurationView {
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
  /** Creates a replication template with the settings and tags (CreateReplicationConfigurationTemplate); its id. */
  createReplicationTemplate(settings: ReplicationTemplateSettings, tags: Readonly<Record<string, string>>): Promise<string>;
  /** A server's replication settings (GetReplicationConfiguration): a template change never reaches a server MGN knows. */
  getReplicationConfiguration(sourceServerId: string): Promise<ReplicationConfigurationView>;
  /** Writes the isolated-network replication settings of one server (UpdateReplicationConfiguration). */
  updateReplicationConfiguration(sourceServerId: string, settings: ReplicationTemplateSettings): Promise<void>;
  /** A server's general launch settings (GetLaunchConfiguration). */
  getLaunchConfiguration(sourceServerId: string): Promise<LaunchConfigurationView>;
  /** Writes the given general launch settings (UpdateLaunchConfiguration); fields left out stay as they are. */
  updateLaunchConfiguration(sourceServerId: string, update: LaunchConfigurationUpdate): Promise<void>;
  // MGN's own waves and applications (functions/lib/mgn-grouping.ts)
  /** Every MGN wave in the region, archived ones included (ListWaves has no name filter). */
  listMgnWaves(): Promise<MgnGroupView[]>;
  createMgnWave(name: string, description: string): Promise<MgnGroupView>;
  archiveMgnWave(waveId: string): Promise<void>;
  /** Every MGN application in the region, archived ones included. */
  listMgnApplications(): Promise<MgnGroupView[]>;
  createMgnApplication(name: string, description: string): Promise<MgnGroupView>;
  archiveMgnApplication(applicationId: string): Promise<void>;
  /** AssociateApplications: at most 50 application ids per call (the model's ApplicationIDs). */
  associateMgnApplications(waveId: string, applicationIds: readonly string[]): Promise<void>;
  /** AssociateSourceServers: at most 50 source server ids per call. */
  associateMgnSourceServers(applicationId: string, sourceServerIds: readonly string[]): Promise<void>;
}

/** An MGN wave or application (ListWaves / ListApplications). */
export interface MgnGroupView {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  readonly isArchived: boolean;
  /** an application's wave (Application.waveID) */
  readonly waveId?: string;
}

export type PostLaunchDeployment = 'TEST_AND_CUTOVER' | 'CUTOVER_ONLY' | 'TEST_ONLY';

/**
 * MGN's post-launch actions of a server. Only `deployment` is the flow's concern; the rest (SSM
 * documents, log destinations) is kept as MGN returned it, so writing `deployment` never drops it.
 */
export type PostLaunchActionsView = { readonly deployment?: PostLaunchDeployment } & Readonly<Record<string, unknown>>;

/** MGN's general launch settings of one source server (GetLaunchConfiguration). */
export interface LaunchConfigurationView {
  readonly sourceServerId: string;
  /** the EC2 launch template MGN created for the server and launches from (its default version) */
  readonly ec2LaunchTemplateId?: string;
  readonly launchDisposition?: string;
  /** NONE or BASIC */
  readonly rightSizing?: string;
  readonly copyPrivateIp?: boolean;
  readonly copyTags?: boolean;
  readonly osByol?: boolean;
  /** LEGACY_BIOS, UEFI or USE_SOURCE */
  readonly bootMode?: string;
  readonly postLaunchActions?: PostLaunchActionsView;
}

/** The general launch settings the flow writes (UpdateLaunchConfiguration); undefined fields are not sent. */
export interface LaunchConfigurationUpdate {
  readonly launchDisposition: 'STARTED';
  readonly rightSizing: 'NONE' | 'BASIC';
  readonly copyPrivateIp: boolean;
  readonly copyTags: boolean;
  readonly osByol?: boolean;
  readonly bootMode?: 'LEGACY_BIOS' | 'UEFI' | 'USE_SOURCE';
  readonly postLaunchActions?: PostLaunchActionsView;
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
  /** Writes a SecureString; `keyId` names the KMS key (alias) it is encrypted with, SSM's default key without one. */
  putSecureParameter(name: string, value: string, keyId?: string): Promise<void>;
  /**
   * The tags of managed instances (`mi-…`; SSM ListTagsForResource, ResourceType ManagedInstance), by id;
   * an id SSM does not know (InvalidResourceId) is left out.
   */
  managedInstanceTags(instanceIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>>;
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

export interface SubnetView {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone?: string;
  /** free IPv4 addresses (EC2's AvailableIpAddressCount), when EC2 says */
  readonly availableIpAddressCount?: number;
}

export interface SecurityGroupView {
  readonly groupId: string;
  readonly vpcId?: string;
}

export interface RouteView {
  /** the destination: an IPv4 or IPv6 CIDR block or a prefix list id */
  readonly destination: string;
  /** where it goes: igw-…, eigw-…, nat-…, pcx-…, tgw-…, vgw-…, vpce-…, local … */
  readonly target: string;
  /** active or blackhole */
  readonly state?: string;
}

export interface RouteTableView {
  readonly routeTableId: string;
  readonly vpcId: string;
  /** the VPC's main route table (it serves every subnet with no explicit association) */
  readonly main: boolean;
  /** subnets explicitly associated with it */
  readonly subnetIds: readonly string[];
  readonly routes: readonly RouteView[];
}

/** A launched instance as DescribeInstances shows it. */
export interface InstanceView {
  readonly instanceId: string;
  /** pending, running, stopped, terminated ... */
  readonly state: string;
  readonly subnetId?: string;
  readonly vpcId?: string;
  readonly privateIpAddress?: string;
  readonly instanceType?: string;
  readonly securityGroupIds: readonly string[];
  readonly instanceProfileArn?: string;
  /** The instance's tags (DescribeInstances tagSet). @default none known */
  readonly tags?: Readonly<Record<string, string>>;
}

/** The primary network interface (device index 0) of a launch template version. */
export interface TemplateNetworkInterface {
  readonly deviceIndex?: number;
  readonly subnetId?: string;
  readonly groups: readonly string[];
  readonly privateIpAddress?: string;
  readonly associatePublicIpAddress?: boolean;
  readonly deleteOnTermination?: boolean;
}

export interface TemplateTagSpecification {
  /** instance, volume, network-interface ... */
  readonly resourceType: string;
  readonly tags: Readonly<Record<string, string>>;
}

/** One version of an EC2 launch template, reduced to what MGN lets us set and what must stay unset. */
export interface LaunchTemplateVersionView {
  readonly launchTemplateId: string;
  readonly versionNumber: number;
  readonly networkInterfaces: readonly TemplateNetworkInterface[];
  readonly instanceType?: string;
  readonly instanceProfile?: { readonly name?: string; readonly arn?: string };
  readonly tagSpecifications: readonly TemplateTagSpecification[];
  /** instance-level security groups (ids and names): MGN's guide says leave them blank */
  readonly instanceSecurityGroups: readonly string[];
  readonly keyName?: string;
}

/** What a new launch template version sets over its source version (everything else is inherited). */
export interface LaunchTemplateChange {
  readonly networkInterface: {
    readonly subnetId: string;
    readonly groups: readonly string[];
    readonly privateIpAddress?: string;
  };
  readonly instanceType?: string;
  readonly instanceProfileName?: string;
  /** the complete tag specifications of the new version (they replace the source version's) */
  readonly tagSpecifications?: readonly TemplateTagSpecification[];
  readonly description: string;
}

export interface Ec2Port {
  /** Status of the given instances; instances EC2 does not know are left out. */
  describeInstanceStatus(instanceIds: readonly string[]): Promise<InstanceStatusView[]>;
  /** The given instances (DescribeInstances); instances EC2 does not know are left out. */
  describeInstances(instanceIds: readonly string[]): Promise<InstanceView[]>;
  /** The given subnets, in few calls; subnets that do not exist in the region are left out. */
  describeSubnets(subnetIds: readonly string[]): Promise<SubnetView[]>;
  /** The given security groups, in few calls; groups that do not exist in the region are left out. */
  describeSecurityGroups(groupIds: readonly string[]): Promise<SecurityGroupView[]>;
  /** Route tables explicitly associated with any of the subnets, and the main route tables of the VPCs. */
  describeRouteTables(query: { readonly subnetIds: readonly string[]; readonly mainOfVpcIds: readonly string[] }): Promise<RouteTableView[]>;
  /** The default version of a launch template (DescribeLaunchTemplateVersions, version $Default). */
  describeDefaultLaunchTemplateVersion(launchTemplateId: string): Promise<LaunchTemplateVersionView>;
  /** Creates a version from `sourceVersion` with `change` applied; returns the new version number. */
  createLaunchTemplateVersion(launchTemplateId: string, sourceVersion: number, change: LaunchTemplateChange): Promise<number>;
  /** Makes `version` the launch template's default version (ModifyLaunchTemplate). */
  setDefaultLaunchTemplateVersion(launchTemplateId: string, version: number): Promise<void>;
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

/** A JSON object with its ETag: the version a conditional write or delete names. */
export interface VersionedJson<T> {
  readonly value: T;
  readonly etag: string;
}

/** JSON objects in the stack's bucket, keyed as CONTRACTS.md says. */
export interface WaveStore {
  getJson<T>(key: string): Promise<T | undefined>;
  putJson(key: string, value: unknown): Promise<void>;
  /** Reads a JSON object from any bucket the function may read (an execution input's manifestLocation). */
  getJsonFrom<T>(bucket: string, key: string): Promise<T | undefined>;
  // Conditional requests (S3 If-None-Match / If-Match), for the wave's run lock:
  /** Reads a JSON object and its ETag; undefined when there is none. */
  getVersionedJson<T>(key: string): Promise<VersionedJson<T> | undefined>;
  /** Writes only if no object has the key; resolves the new ETag, or undefined when one exists. */
  createJson(key: string, value: unknown): Promise<string | undefined>;
  /** Overwrites only the version `etag`; resolves the new ETag, or undefined when the object changed or is gone. */
  replaceJson(key: string, value: unknown, etag: string): Promise<string | undefined>;
  /** Deletes only the version `etag`; false when the object changed or is gone. */
  deleteJsonVersion(key: string, etag: string): Promise<boolean>;
}

/** Step Functions, to tell whether an execution is still running. */
export interface ExecutionsPort {
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED or PENDING_REDRIVE; undefined when Step Functions has no such execution. */
  executionStatus(executionArn: string): Promise<string | undefined>;
}

/** TCP and HTTP reachability from where the orchestrator runs (inside the VPC). */
export interface NetworkPort {
  /** Resolves undefined when a TCP connection to host:port opens within timeoutMs, else the reason it did not. */
  tcpProbe(host: string, port: number, timeoutMs: number): Promise<string | undefined>;
  /** One GET of the URL (no redirect followed): the status it answered with, or why there was none. */
  httpProbe(url: string, timeoutMs: number): Promise<{ status: number } | { error: string }>;
}

/** The logger the core writes to (Powertools Logger satisfies it). */
export interface LogPort {
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

/** What every step's core gets. */
/** Service Quotas in one region (GetServiceQuota). */
export interface QuotasPort {
  /**
   * The applied value of MGN's quota on source servers in active replication (Service Quotas
   * service code `mgn`, quota code `L-9A599620`; 150 unless increased) in the port's region.
   */
  replicatingServersQuota(): Promise<number>;
}

export interface FlowDeps {
  readonly mgn: MgnPort;
  /** Service Quotas in the wave's target region */
  readonly quotas: QuotasPort;
  readonly ssm: (region: string) => SsmPort;
  /** EC2 in the wave's target region */
  readonly ec2: Ec2Port;
  /** EC2 in any region: a source instance is read in its own region (rightSizing "in-aws") */
  readonly ec2In: (region: string) => Ec2Port;
  readonly sts: StsPort;
  readonly notifier: NotifierPort;
  readonly store: WaveStore;
  readonly executions: ExecutionsPort;
  readonly network: NetworkPort;
  readonly now: () => Date;
  readonly log: LogPort;
  readonly config: FlowConfig;
  /** the wave's CloudWatch metrics (functions/lib/observability.ts); absent in unit tests of the core */
  readonly metrics?: WaveMetricsPort;
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
  /**
   * Instance profiles of the account's own that a wave may name (deploy config launchInstanceProfiles):
   * the launch steps may pass their roles to EC2. Unset: no check (outside a deployed stack).
   */
  readonly launchInstanceProfiles?: readonly string[];
  /** The tag an instance must carry for Run Command (deploy config allowedTag). @default mgn-orchestrator:allowed = true */
  readonly allowedTag?: AllowedTag;
  /** The KMS key (alias name) encrypting staged installer credentials; unset: SSM's default key (aws/ssm). */
  readonly installerCredentialsKey?: string;
}

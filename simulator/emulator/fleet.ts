/**
 * The emulated fleet: SSM managed instances, Run Command invocations, MGN source servers with their
 * replication and lifecycle, launch jobs, and the EC2 instances they launch, all on the virtual
 * clock. Service handlers (mgn.ts, ssm.ts, ec2.ts) translate wire requests into calls here; every
 * rule about what may happen when (preconditions, quotas, faults) lives in this file.
 */
import { DEFAULT_DOCUMENT_NAMES } from '../../functions/lib/installer';
import type { ServerSpec, WaveManifest } from '../../functions/lib/manifest';
import { INSTANCE_TYPE } from '../../functions/lib/manifest';
import type { DeployConfig } from '../../infra/config';
import type { DocumentNames } from '../../infra/ssm-documents';
import type { VirtualClock } from '../clock';
import {
  cidrContainsIp,
  cidrRange,
  isReservedAddress,
  networkFromDeployConfig,
  defaultDeployConfig,
  numberToIp,
  sourceRegionNetwork,
  ssmUnreachable,
  type InstanceProfile,
  type RegionNetwork,
  type Subnet,
} from '../network';
import { SCENARIO_DEFAULTS, type FaultKind, type Scenario } from '../scenario';
import { DocumentRegistry, type DocumentKind, type ParameterRule } from './documents';
import { ApiError } from './errors';
import { EventQueue } from './events';
import { INSTALLER_PARAMETER_ROOT, installerCredentialsKeyAlias } from '../../functions/lib/installer-credentials';
import { MGN_CREATOR, templateTags, type LaunchTemplate, type LaunchTemplateData } from './launch-templates';
import { SeededRandom } from './random';
import { STACK_TEMPLATE_TAG } from '../../functions/lib/flow/preflight';
import { InvalidInputError } from '../../functions/lib/validation';

/** The SSM document names the emulator interprets (the stack's, configurable like its env). */
export type { DocumentNames };

export const DEFAULT_DOCUMENTS: DocumentNames = DEFAULT_DOCUMENT_NAMES;

/** SSM PingStatus of a managed instance (DescribeInstanceInformation). */
export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export const ACCOUNT_ID = '111122223333';

/** How long things take on the virtual clock, in seconds. */
export const TIMINGS = {
  /** a Run Command invocation leaves Pending this long after SendCommand */
  commandDelivery: 2,
  precheck: 15,
  shellScript: 5,
  /** each of the 11 data replication initiation steps */
  initiationStep: 20,
  creatingSnapshot: 60,
  /** share of the initial sync done when a `replication-stalls` server stalls */
  stallFraction: 0.4,
  jobStart: 10,
  snapshot: 60,
  conversion: 240,
  launch: 30,
  /** EC2: pending -> running */
  instancePending: 30,
  /** EC2: running -> status checks ok and SSM agent Online */
  boot: 90,
  terminate: 30,
  /** CONTINUOUS replication lag */
  continuousLagSeconds: 1,
} as const;

/** Quotas from DESIGN section 4 (not adjustable ones fixed, account ones from the scenario). */
export const LIMITS = {
  serversPerJob: 200,
  serversInActiveJobs: 200,
  concurrentJobs: 20,
} as const;

export const INITIATION_STEPS = [
  'WAIT',
  'CREATE_SECURITY_GROUP',
  'LAUNCH_REPLICATION_SERVER',
  'BOOT_REPLICATION_SERVER',
  'AUTHENTICATE_WITH_SERVICE',
  'DOWNLOAD_REPLICATION_SOFTWARE',
  'CREATE_STAGING_DISKS',
  'ATTACH_STAGING_DISKS',
  'PAIR_REPLICATION_SERVER_WITH_AGENT',
  'CONNECT_AGENT_TO_REPLICATION_SERVER',
  'START_DATA_TRANSFER',
] as const;

export type Platform = 'Linux' | 'Windows';
export type LifeCycleState =
  | 'STOPPED'
  | 'NOT_READY'
  | 'READY_FOR_TEST'
  | 'TESTING'
  | 'READY_FOR_CUTOVER'
  | 'CUTTING_OVER'
  | 'CUTOVER'
  | 'DISCONNECTED'
  | 'DISCOVERED'
  | 'PENDING_INSTALLATION';
export type ReplicationState = 'INITIATING' | 'INITIAL_SYNC' | 'CREATING_SNAPSHOT' | 'CONTINUOUS' | 'STALLED' | 'DISCONNECTED';

/** One manifest server with the scenario's numbers resolved. */
export interface ServerRecord {
  readonly waveId: string;
  readonly spec: ServerSpec;
  readonly targetRegion: string;
  readonly endpoints: WaveManifest['endpoints'];
  readonly diskGiB: number;
  readonly bandwidthMbps: number;
  readonly installSeconds: number;
  readonly fault?: FaultKind;
  readonly platform: Platform;
  /** The source's private IP (copyPrivateIp gives the launched instance this address). */
  readonly sourceIp: string;
  sourceServerId?: string;
}

export interface ManagedInstance {
  readonly instanceId: string;
  readonly region: string;
  readonly platform: Platform;
  readonly resourceType: 'EC2Instance' | 'ManagedInstance';
  readonly computerName: string;
  readonly ipAddress: string;
  readonly registeredAt: number;
  /** the manifest server this instance is the source of */
  readonly source?: ServerRecord;
  /** the EC2 instance MGN launched, when this is a test or cutover instance */
  readonly launched?: Ec2Instance;
  /** Online unless the SSM agent stopped answering (the `agent-offline` fault) */
  pingStatus: PingStatus;
  /** The managed instance's own tags (SSM ListTagsForResource, ResourceType ManagedInstance); an EC2 instance's are on the instance. */
  readonly tags: Record<string, string>;
  /** the last time the agent answered, when it is no longer Online */
  lastPingAt?: number;
}

export interface Ec2Instance {
  readonly instanceId: string;
  readonly region: string;
  readonly platform: Platform;
  readonly launchedAt: number;
  readonly privateIp: string;
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly vpcId: string;
  readonly availabilityZone: string;
  readonly instanceType: string;
  readonly tags: Record<string, string>;
  readonly purpose: 'source' | 'test' | 'cutover';
  readonly iamInstanceProfile?: InstanceProfile;
  /** DescribeInstances bootMode: from the launch configuration's bootMode */
  readonly bootMode?: 'legacy-bios' | 'uefi' | 'uefi-preferred';
  /** licensing.osByol of the launch configuration (Windows: BYOL usage operation) */
  readonly byol?: boolean;
  readonly sourceServerId?: string;
  readonly record?: ServerRecord;
  /** launchDisposition STOPPED: the instance stops once it is created */
  readonly launchStopped?: boolean;
  state: 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopped';
  statusOk: boolean;
  /** The instance status (reachability) check failed: the OS never came up (system status stays ok). */
  impaired?: boolean;
}

export interface ReplicatedDisk {
  readonly deviceName: string;
  readonly totalStorageBytes: number;
}

export interface SourceServer {
  readonly sourceServerID: string;
  readonly arn: string;
  readonly region: string;
  readonly record: ServerRecord;
  readonly addedAt: number;
  tags: Record<string, string>;
  userProvidedID?: string;
  readonly hints: { hostname: string; fqdn: string; awsInstanceID?: string };
  isArchived: boolean;
  lifeCycle: LifeCycleState;
  readonly disks: ReplicatedDisk[];
  replication: {
    state: ReplicationState;
    readonly replicatorId: string;
    initiationStart: number;
    syncStart: number;
    syncEnd: number;
    continuousAt: number;
    stalledAt?: number;
    error?: { error: string; rawError: string };
    lastSnapshotAt?: number;
    /** bumps on disconnect so scheduled replication changes of an earlier generation are dropped */
    generation: number;
  };
  lastTest: { initiated?: { at: number; jobID: string }; reverted?: number; finalized?: number };
  lastCutover: { initiated?: { at: number; jobID: string }; reverted?: number; finalized?: number };
  launchedInstance?: { ec2InstanceID: string; jobID: string; firstBoot: 'WAITING' | 'SUCCEEDED' | 'STOPPED'; purpose: 'test' | 'cutover' };
  readonly launchTemplateId: string;
  /** MGN's general launch settings (GetLaunchConfiguration / UpdateLaunchConfiguration). */
  launchConfiguration: LaunchConfiguration;
  /**
   * The server's own replication settings (GetReplicationConfiguration / UpdateReplicationConfiguration),
   * as the model names them: copied from the region's replication template when MGN added the server;
   * a later template change never reaches it.
   */
  replicationConfiguration: Record<string, unknown>;
}

/** MGN's replication settings when the region has no template (the console's defaults). */
export const DEFAULT_REPLICATION_SETTINGS: Readonly<Record<string, unknown>> = {
  associateDefaultSecurityGroup: true,
  replicationServersSecurityGroupsIDs: [],
  replicationServerInstanceType: 't3.small',
  useDedicatedReplicationServer: false,
  defaultLargeStagingDiskType: 'GP3',
  ebsEncryption: 'DEFAULT',
  bandwidthThrottling: 0,
  dataPlaneRouting: 'PRIVATE_IP',
  createPublicIP: false,
  stagingAreaTags: {},
  useFipsEndpoint: false,
  internetProtocol: 'IPV4',
  storeSnapshotOnLocalZone: false,
};

/** MGN's general launch settings of a source server, as the API names them. */
export interface LaunchConfiguration {
  name: string;
  launchDisposition: 'STOPPED' | 'STARTED';
  targetInstanceTypeRightSizingMethod: 'NONE' | 'BASIC';
  copyPrivateIp: boolean;
  copyTags: boolean;
  licensing: { osByol: boolean };
  bootMode: 'LEGACY_BIOS' | 'UEFI' | 'USE_SOURCE';
  postLaunchActions?: Record<string, unknown>;
  enableMapAutoTagging: boolean;
  mapAutoTaggingMpeID?: string;
}

/** A launch EC2 accepted: where the instance goes and what it is. */
interface LaunchPlan {
  readonly subnet: Subnet;
  readonly groupIds: readonly string[];
  /** given by the template or copyPrivateIp; otherwise EC2 picks one */
  readonly privateIp?: string;
  readonly instanceType: string;
  readonly profile?: InstanceProfile;
  readonly tags: Record<string, string>;
  readonly bootMode: NonNullable<Ec2Instance['bootMode']>;
  readonly byol: boolean;
  readonly stopped: boolean;
  /** MGN's post-launch actions installed the SSM agent on this launch */
  readonly ssmAgentInstalled: boolean;
}

/** What MGN reads when a job launches a server: its template's default version and its launch settings. */
interface LaunchSnapshot {
  readonly data: LaunchTemplateData;
  readonly templateId: string;
  readonly version: number;
  readonly configuration: LaunchConfiguration;
}

export type LaunchStatus = 'PENDING' | 'IN_PROGRESS' | 'LAUNCHED' | 'FAILED' | 'TERMINATED';
export type JobLogEvent =
  | 'JOB_START'
  | 'SNAPSHOT_START'
  | 'SNAPSHOT_END'
  | 'CONVERSION_START'
  | 'CONVERSION_END'
  | 'LAUNCH_START'
  | 'LAUNCH_FAILED'
  | 'CLEANUP_START'
  | 'CLEANUP_END'
  | 'JOB_END';

export interface Job {
  readonly jobID: string;
  readonly arn: string;
  readonly region: string;
  readonly type: 'LAUNCH' | 'TERMINATE';
  readonly initiatedBy: 'START_TEST' | 'START_CUTOVER' | 'TERMINATE';
  readonly createdAt: number;
  readonly tags: Record<string, string>;
  status: 'PENDING' | 'STARTED' | 'COMPLETED';
  endAt?: number;
  readonly participants: { sourceServerID: string; launchStatus: LaunchStatus; launchedEc2InstanceID?: string }[];
  readonly logs: { at: number; event: JobLogEvent; sourceServerID?: string; targetInstanceID?: string; rawError?: string }[];
}

export interface Invocation {
  readonly commandId: string;
  readonly instanceId: string;
  readonly startAt: number;
  readonly endAt: number;
  readonly success: boolean;
  readonly responseCode: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly pluginName: string;
}

export interface Command {
  readonly commandId: string;
  readonly region: string;
  readonly documentName: string;
  readonly parameters: Record<string, string[]>;
  readonly instanceIds: string[];
  readonly requestedAt: number;
  readonly comment?: string;
  readonly timeoutSeconds: number;
  readonly invocations: Map<string, Invocation>;
}

export type InvocationStatus = 'Pending' | 'InProgress' | 'Success' | 'Failed';

export interface Parameter {
  readonly name: string;
  /** SecureString: the KMS key it is encrypted with (as PutParameter named it); undefined for SSM's default aws/ssm */
  keyId?: string;
  type: 'String' | 'StringList' | 'SecureString';
  value: string;
  version: number;
  lastModified: number;
}

export interface ReplicationTemplate {
  readonly replicationConfigurationTemplateID: string;
  readonly arn: string;
  readonly region: string;
  settings: Record<string, unknown>;
  /** the tags it was created with (MGN answers them in every template it returns) */
  readonly tags?: Readonly<Record<string, string>>;
}

const GiB = 1024 ** 3;

/** What MGN's BASIC right-sizing chooses for the emulated sources (sourceProperties.recommendedInstanceType). */
export const RECOMMENDED_INSTANCE_TYPE = 'm5.large';
/** The type of an EC2 source's own instance unless the scenario says (servers.<name>.sourceInstanceType). */
export const SOURCE_INSTANCE_TYPE = 'm5.large';

export interface FleetOptions {
  readonly clock: VirtualClock;
  readonly seed: number;
  readonly documents: DocumentNames;
  /**
   * Where the stack's SSM documents exist: the deployment's target region and source regions (its
   * deploy config). Left out, each wave added deploys them to its target region and its EC2 sources'
   * regions, as a deploy config listing every source region of the waves would.
   */
  readonly documentRegions?: { readonly targetRegion: string; readonly sourceRegions: readonly string[] };
  /** MGN initialized (InitializeService done) in every region, or in none until InitializeService is called there */
  readonly initialized: boolean;
  /** The deploy config whose network the target region has (simulator/network.ts); default examples/deploy/cross-region.json. */
  readonly deployConfig?: DeployConfig;
  /** The scenario's network additions and test-only switches. */
  readonly scenario?: Scenario;
}

/** A replication-state string for managed instances' and servers' tidy views. */
/**
 * A source server that counts against the replicating-servers quota (mgn/L-9A599620): not archived,
 * its data replication not disconnected (the emulator never stops it otherwise), not cut over or disconnected.
 */
export const isReplicating = (s: SourceServer): boolean =>
  !s.isArchived && s.replication.state !== 'DISCONNECTED' && s.lifeCycle !== 'DISCONNECTED' && s.lifeCycle !== 'CUTOVER';

export class Fleet {
  /** Embedded in every STS credential handed out (scenario.sts.credentialCanary); "" for none. */
  credentialCanary = '';
  readonly clock: VirtualClock;
  readonly documents: DocumentNames;
  /** which SSM documents each region holds */
  readonly documentRegistry: DocumentRegistry;
  private readonly documentsFollowWaves: boolean;
  private readonly events = new EventQueue();
  private readonly ids: SeededRandom;
  /** MGN is initialized per account and region: every region, or only those InitializeService was called in */
  private readonly initializedEverywhere: boolean;
  private readonly initializedRegions = new Set<string>();

  readonly records: ServerRecord[] = [];
  /** keyed by `${region}/${instanceId}` */
  private readonly managed = new Map<string, ManagedInstance>();
  readonly sourceServers = new Map<string, SourceServer>();
  readonly jobs = new Map<string, Job>();
  /** The most source servers ever in active jobs at once (it can only grow when a job starts). */
  private peakServersInActiveJobs = 0;
  readonly instances = new Map<string, Ec2Instance>();
  readonly commands = new Map<string, Command>();
  readonly parameters = new Map<string, Parameter>(); // `${region}/${name}`
  readonly templates = new Map<string, ReplicationTemplate>();
  /** EC2 launch templates (MGN's, one per source server), by id */
  readonly launchTemplates = new Map<string, LaunchTemplate>();
  /** The deploy config the target region's network comes from. */
  readonly deployConfig: DeployConfig;
  /** The target region's network (the stack's and the scenario's resources). */
  readonly targetNetwork: RegionNetwork;
  private readonly networks = new Map<string, RegionNetwork>();
  /** subnet id -> private IPs held by instances that are not terminated */
  private readonly usedIps = new Map<string, Set<string>>();
  private readonly quotaByWave = new Map<string, number>();
  /** IAM's allowed-tag condition on SendCommand is enforced (a scenario's hostTags.enforced). */
  runCommandTagEnforced = false;
  private replicatingQuota: number = SCENARIO_DEFAULTS.replicatingServers;
  private onPremIps = 0;

  constructor(options: FleetOptions) {
    this.clock = options.clock;
    this.documents = options.documents;
    const where = options.documentRegions;
    this.documentRegistry = new DocumentRegistry(options.documents, where ? [where.targetRegion, ...where.sourceRegions] : []);
    this.documentsFollowWaves = !where;
    this.initializedEverywhere = options.initialized;
    this.ids = new SeededRandom((options.seed ^ 0x5eed1d5) >>> 0);
    this.deployConfig = options.deployConfig ?? defaultDeployConfig();
    this.targetNetwork = networkFromDeployConfig(this.deployConfig, options.scenario?.network);
    this.networks.set(this.targetNetwork.region, this.targetNetwork);
    this.clock.onAdvance((now) => this.events.runUntil(now));
    if (options.scenario?.replicationTemplate) this.seedDriftedTemplate(options.scenario.replicationTemplate);
  }

  /**
   * scenario.replicationTemplate: the stack's replication template as an earlier run created it (the
   * isolated-network settings and the console's defaults, tagged with the stack's staging subnet),
   * then edited in the MGN console to the scenario's settings. A staging subnet the console could not
   * have chosen (not in the target region) is a bad scenario.
   */
  private seedDriftedTemplate(drift: NonNullable<Scenario['replicationTemplate']>): void {
    const net = this.targetNetwork;
    const stack = net.stack;
    if (!stack) throw new InvalidInputError('scenario', ['replicationTemplate: the target region has no stack network to seed its template in']);
    if (drift.stagingAreaSubnetId !== undefined && !net.subnets.some((s) => s.subnetId === drift.stagingAreaSubnetId))
      throw new InvalidInputError('scenario', [
        `replicationTemplate.stagingAreaSubnetId: subnet ${drift.stagingAreaSubnetId} does not exist in ${net.region} (name one of the stack's subnets, or add it under network.subnets)`,
      ]);
    const id = this.newTemplateId();
    this.templates.set(id, {
      replicationConfigurationTemplateID: id,
      arn: `arn:aws:mgn:${net.region}:${ACCOUNT_ID}:replication-configuration-template/${id}`,
      region: net.region,
      settings: {
        stagingAreaSubnetId: stack.stagingSubnetId,
        associateDefaultSecurityGroup: false,
        replicationServersSecurityGroupsIDs: [stack.securityGroupIds.replication],
        replicationServerInstanceType: 't3.small',
        useDedicatedReplicationServer: false,
        defaultLargeStagingDiskType: 'GP3',
        ebsEncryption: 'DEFAULT',
        bandwidthThrottling: 0,
        dataPlaneRouting: 'PRIVATE_IP',
        createPublicIP: false,
        stagingAreaTags: {},
        ...drift,
      },
      tags: { [STACK_TEMPLATE_TAG]: stack.stagingSubnetId },
    });
  }

  now(): number {
    return this.clock.now();
  }

  /** Whether MGN was initialized in the region (InitializeService): until then it answers UninitializedAccountException. */
  isInitialized(region: string): boolean {
    return this.initializedEverywhere || this.initializedRegions.has(region);
  }

  initialize(region: string): void {
    this.initializedRegions.add(region);
  }

  /** The applied replicating-servers quota (Service Quotas mgn/L-9A599620) in a region. */
  replicatingQuotaIn(_region: string): number {
    return this.replicatingQuota;
  }

  /** Source servers in a region that count against the replicating-servers quota. */
  replicatingIn(region: string): number {
    return [...this.sourceServers.values()].filter((s) => s.region === region && isReplicating(s)).length;
  }

  nextEventTime(): number | undefined {
    return this.events.nextTime();
  }

  pendingEvents(): number {
    return this.events.size;
  }

  // ---------------------------------------------------------------- waves

  /** Loads a wave's servers as SSM managed instances (EC2 sources also as running EC2 instances). */
  addWave(manifest: WaveManifest, scenario: Scenario = {}): void {
    const defaults = { ...SCENARIO_DEFAULTS, ...scenario.defaults };
    if (scenario.quotas?.replicatingServers !== undefined) {
      this.quotaByWave.set(manifest.waveId, scenario.quotas.replicatingServers);
      this.replicatingQuota = Math.min(...this.quotaByWave.values());
    }
    if (scenario.hostTags?.enforced) this.runCommandTagEnforced = true;
    const allowed = this.deployConfig.allowedTag;
    const sourceTagsOf = (name: string): Record<string, string> => ({ ...(scenario.hostTags?.sources?.[name] ?? { [allowed.key]: allowed.value }) });
    if (this.documentsFollowWaves) {
      this.documentRegistry.deployTo(manifest.targetRegion);
      for (const spec of manifest.servers) if (spec.source.type === 'ec2') this.documentRegistry.deployTo(spec.source.region);
    }
    for (const spec of manifest.servers) {
      const overrides = scenario.servers?.[spec.name] ?? {};
      const record: ServerRecord = {
        waveId: manifest.waveId,
        spec,
        targetRegion: manifest.targetRegion,
        endpoints: manifest.endpoints,
        diskGiB: overrides.diskGiB ?? defaults.diskGiB,
        bandwidthMbps: overrides.bandwidthMbps ?? defaults.bandwidthMbps,
        installSeconds: overrides.installSeconds ?? defaults.installSeconds,
        fault: overrides.fault,
        platform: spec.os === 'windows' ? 'Windows' : 'Linux',
        sourceIp: '',
      };
      const region = spec.source.type === 'ec2' ? spec.source.region : manifest.targetRegion;
      const instanceId = spec.source.type === 'ec2' ? spec.source.instanceId : spec.source.managedInstanceId;
      const sourceSubnet = spec.source.type === 'ec2' ? this.sourceSubnet(region) : undefined;
      const ip = sourceSubnet ? this.allocateIp(sourceSubnet) : this.onPremisesIp();
      (record as { sourceIp: string }).sourceIp = ip;
      this.records.push(record);
      this.managed.set(`${region}/${instanceId}`, {
        instanceId,
        region,
        platform: record.platform,
        resourceType: spec.source.type === 'ec2' ? 'EC2Instance' : 'ManagedInstance',
        computerName: this.hostnameOf(spec).fqdn,
        ipAddress: ip,
        registeredAt: this.now(),
        source: record,
        pingStatus: 'Online',
        tags: spec.source.type === 'onprem' ? sourceTagsOf(spec.name) : {},
      });
      if (sourceSubnet) {
        const defaultGroup = this.network(region).securityGroups.find((g) => g.vpcId === sourceSubnet.vpcId && g.groupName === 'default')!;
        this.instances.set(instanceId, {
          instanceId,
          region,
          platform: record.platform,
          launchedAt: this.now() - 86400_000,
          privateIp: ip,
          subnetId: sourceSubnet.subnetId,
          securityGroupIds: [defaultGroup.groupId],
          vpcId: sourceSubnet.vpcId,
          availabilityZone: sourceSubnet.availabilityZone,
          instanceType: overrides.sourceInstanceType ?? SOURCE_INSTANCE_TYPE,
          tags: { Name: spec.name, ...sourceTagsOf(spec.name) },
          purpose: 'source',
          record,
          state: 'running',
          statusOk: true,
        });
      }
    }
  }

  private hostnameOf(spec: ServerSpec): { hostname: string; fqdn: string } {
    if (spec.source.type === 'onprem' && spec.source.hostname) {
      return { hostname: spec.source.hostname.split('.')[0], fqdn: spec.source.hostname };
    }
    return { hostname: spec.name, fqdn: spec.source.type === 'ec2' ? `${spec.name}.${spec.source.region}.compute.internal` : spec.name };
  }

  /** The next address of the sources' CIDR for an on-premises source (it is in no VPC of the account). */
  private onPremisesIp(): string {
    const { first, size } = cidrRange(this.deployConfig.sourceCidrs[0]);
    return numberToIp(first + 10 + (this.onPremIps++ % Math.max(1, size - 20)));
  }

  /** The subnet EC2 sources of a region sit in: a source VPC with the sources' CIDR (made on first use). */
  private sourceSubnet(region: string): Subnet {
    const net = this.network(region);
    const existing = net.subnets.find((s) => s.name === 'sources');
    if (existing) return existing;
    const sources = sourceRegionNetwork(region, this.deployConfig.sourceCidrs[0]);
    net.vpcs.push(...sources.vpcs);
    net.subnets.push(...sources.subnets);
    net.routeTables.push(...sources.routeTables);
    net.securityGroups.push(...sources.securityGroups);
    return sources.subnets[0];
  }

  /** The lowest free address of a subnet: not reserved by EC2, not held by an instance. */
  private allocateIp(subnet: Subnet): string {
    const used = this.ipsOf(subnet.subnetId);
    const { first, last } = cidrRange(subnet.cidrBlock);
    for (let n = first + 4; n < last; n++) {
      const ip = numberToIp(n);
      if (!used.has(ip)) {
        used.add(ip);
        return ip;
      }
    }
    throw new ApiError('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`);
  }

  private ipsOf(subnetId: string): Set<string> {
    let set = this.usedIps.get(subnetId);
    if (!set) this.usedIps.set(subnetId, (set = new Set()));
    return set;
  }

  /** Free addresses left in a subnet (DescribeSubnets availableIpAddressCount). */
  availableAddresses(subnet: Subnet): number {
    return cidrRange(subnet.cidrBlock).size - 5 - this.ipsOf(subnet.subnetId).size;
  }

  // ---------------------------------------------------------------- ids

  newSourceServerId(): string {
    return `s-${this.ids.hex(17)}`;
  }
  newJobId(): string {
    return `mgnjob-${this.ids.alnum(17)}`;
  }
  newInstanceId(): string {
    return `i-${this.ids.hex(17)}`;
  }
  newUuid(): string {
    return this.ids.uuid();
  }
  newTemplateId(): string {
    return `rct-${this.ids.alnum(17)}`;
  }
  randomHex(n: number): string {
    return this.ids.hex(n);
  }

  // ---------------------------------------------------------------- network

  /**
   * A region's network: the deploy config's (the stack's and the scenario's resources) in its region;
   * elsewhere only a source VPC, made on first use. No region has a default VPC.
   */
  network(region: string): RegionNetwork {
    let net = this.networks.get(region);
    if (!net) {
      net = { region, vpcs: [], subnets: [], routeTables: [], securityGroups: [], endpoints: [], instanceProfiles: [] };
      this.networks.set(region, net);
    }
    return net;
  }

  /** Instance profiles whose role the stack's launch steps may pass to EC2: the stack's own and the deploy config's launchInstanceProfiles. */
  passableInstanceProfiles(): ReadonlySet<string> {
    const stackProfile = this.targetNetwork.stack?.launchedInstanceProfileName;
    return new Set([...(stackProfile ? [stackProfile] : []), ...(this.deployConfig.launchInstanceProfiles ?? []).map((p) => p.name)]);
  }

  /** An IAM instance profile of the account by name or ARN (IAM is global). */
  instanceProfile(nameOrArn: { Name?: string; Arn?: string }): InstanceProfile | undefined {
    return this.targetNetwork.instanceProfiles.find((p) => (nameOrArn.Arn ? p.arn === nameOrArn.Arn : p.name === nameOrArn.Name));
  }

  // ---------------------------------------------------------------- SSM: instances

  managedInstances(region: string): ManagedInstance[] {
    return [...this.managed.values()].filter((m) => m.region === region).sort((a, b) => a.registeredAt - b.registeredAt || cmp(a.instanceId, b.instanceId));
  }

  managedInstance(region: string, instanceId: string): ManagedInstance | undefined {
    return this.managed.get(`${region}/${instanceId}`);
  }

  // ---------------------------------------------------------------- SSM: commands

  /**
   * Runs a document on instances. Validates like SSM: the document must exist in this region
   * (InvalidDocument), its parameters must be defined and match (InvalidParameters), and every
   * instance must be managed here and Online; one that is not fails the whole call with
   * InvalidInstanceId and nothing runs anywhere. Then schedules each invocation's outcome.
   */
  sendCommand(region: string, input: { documentName: string; instanceIds: string[]; parameters: Record<string, string[]>; comment?: string; timeoutSeconds?: number }): Command {
    this.authorizeRunCommand(region, input.instanceIds);
    const doc = this.documentRegistry.find(region, input.documentName);
    if (!doc) throw new ApiError('InvalidDocument', `Document ${input.documentName} does not exist in ${region} or is not available to account ${ACCOUNT_ID}.`);
    const params = checkDocumentParameters(doc.parameters, input.parameters);
    const seen = new Set<string>();
    const unreachable: string[] = [];
    for (const id of input.instanceIds) {
      if (seen.has(id)) throw new ApiError('DuplicateInstanceId', `Instance ${id} is listed more than once.`);
      seen.add(id);
      if (this.managedInstance(region, id)?.pingStatus !== 'Online') unreachable.push(id);
    }
    if (unreachable.length > 0) throw new ApiError('InvalidInstanceId', `Instances [[${unreachable.join(', ')}]] not in a valid state for account ${ACCOUNT_ID}`);
    const now = this.now();
    const command: Command = {
      commandId: this.newUuid(),
      region,
      documentName: input.documentName,
      parameters: params,
      instanceIds: [...input.instanceIds],
      requestedAt: now,
      comment: input.comment,
      timeoutSeconds: input.timeoutSeconds ?? 3600,
      invocations: new Map(),
    };
    for (const id of input.instanceIds) {
      const instance = this.managedInstance(region, id)!;
      const outcome = this.runDocument(doc.kind, instance, params, region);
      const startAt = now + TIMINGS.commandDelivery * 1000;
      const invocation: Invocation = {
        commandId: command.commandId,
        instanceId: id,
        startAt,
        endAt: startAt + outcome.seconds * 1000,
        success: outcome.success,
        responseCode: outcome.success ? 0 : 1,
        stdout: outcome.stdout,
        stderr: outcome.stderr,
        pluginName: outcome.pluginName,
      };
      command.invocations.set(id, invocation);
      if (outcome.onComplete) {
        const done = outcome.onComplete;
        this.events.schedule(invocation.endAt, (at) => done(at, invocation));
      } else {
        this.events.schedule(invocation.endAt, () => undefined);
      }
    }
    this.commands.set(command.commandId, command);
    return command;
  }

  /**
   * Whether a KMS key named by PutParameter's KeyId exists in a region: SSM's default `alias/aws/ssm`
   * everywhere, and the stack's installer-credentials key (by alias name or alias ARN) in each region
   * the stack deploys to, which is where its documents are (the main stack and each source region's
   * documents stack create both; infra/constructs/installer-credentials-key.ts).
   */
  kmsKeyExists(region: string, keyId: string): boolean {
    if (keyId === 'alias/aws/ssm') return true;
    if (!this.documentRegistry.regions().includes(region)) return false;
    const alias = installerCredentialsKeyAlias(this.deployConfig.stackName);
    return keyId === alias || keyId === `arn:aws:kms:${region}:${ACCOUNT_ID}:${alias}`;
  }

  /** Whether the key is the stack's installer-credentials key, whose policy lets only hosts decrypt. */
  isInstallerCredentialsKey(region: string, keyId: string | undefined): boolean {
    return keyId !== undefined && keyId !== 'alias/aws/ssm' && this.kmsKeyExists(region, keyId);
  }

  /** A managed instance's own tags, in whichever region it is registered. */
  managedInstanceTags(instanceId: string): Record<string, string> | undefined {
    return [...this.managed.values()].find((m) => m.instanceId === instanceId)?.tags;
  }

  /** The tags IAM reads for `ssm:resourceTag/…` on a Run Command target: an EC2 instance's own, a managed instance's own. */
  targetTags(region: string, instanceId: string): Record<string, string> | undefined {
    if (instanceId.startsWith('mi-')) return this.managedInstance(region, instanceId)?.tags;
    const instance = this.instances.get(instanceId);
    return instance && instance.region === region ? instance.tags : undefined;
  }

  /**
   * IAM before SSM looks at anything: with the scenario's hostTags.enforced, the caller's roles allow
   * ssm:SendCommand on an instance or managed instance only when it carries the deploy config's
   * allowedTag (infra/step-permissions.ts), and IAM authorises every resource a request names, so one
   * untagged target denies the whole call.
   */
  private authorizeRunCommand(region: string, instanceIds: readonly string[]): void {
    if (!this.runCommandTagEnforced) return;
    const { key, value } = this.deployConfig.allowedTag;
    const denied = instanceIds.find((id) => this.targetTags(region, id)?.[key] !== value);
    if (denied === undefined) return;
    const resource = denied.startsWith('mi-') ? `arn:aws:ssm:${region}:${ACCOUNT_ID}:managed-instance/${denied}` : `arn:aws:ec2:${region}:${ACCOUNT_ID}:instance/${denied}`;
    throw new ApiError(
      'AccessDeniedException',
      `User: arn:aws:sts::${ACCOUNT_ID}:assumed-role/MgnOrchestratorStep/step is not authorized to perform: ssm:SendCommand on resource: ${resource} because no identity-based policy allows the ssm:SendCommand action`,
    );
  }

  /** The SSM agent of a managed instance stops answering (or answers again). */
  setPingStatus(region: string, instanceId: string, status: PingStatus, at = this.now()): void {
    const m = this.managedInstance(region, instanceId);
    if (!m) throw new Error(`no managed instance ${instanceId} in ${region}`);
    if (m.pingStatus === 'Online' && status !== 'Online') m.lastPingAt = at;
    m.pingStatus = status;
  }

  invocationStatus(inv: Invocation): InvocationStatus {
    const now = this.now();
    if (now < inv.startAt) return 'Pending';
    if (now < inv.endAt) return 'InProgress';
    return inv.success ? 'Success' : 'Failed';
  }

  commandStatus(command: Command): 'Pending' | 'InProgress' | 'Success' | 'Failed' {
    const statuses = [...command.invocations.values()].map((i) => this.invocationStatus(i));
    if (statuses.every((s) => s === 'Pending')) return 'Pending';
    if (statuses.some((s) => s === 'Pending' || s === 'InProgress')) return 'InProgress';
    return statuses.some((s) => s === 'Failed') ? 'Failed' : 'Success';
  }

  private runDocument(
    kind: DocumentKind,
    instance: ManagedInstance,
    params: Record<string, string[]>,
    region: string,
  ): { seconds: number; success: boolean; stdout: string; stderr: string; pluginName: string; onComplete?: (at: number, invocation: Invocation) => void } {
    const one = (name: string) => params[name]?.[0] ?? '';
    const wrongPlatform = (want: Platform, plugin: string) => ({
      seconds: 1,
      success: false,
      stdout: '',
      stderr: `Step execution skipped: the ${plugin} plugin does not support platform ${instance.platform} (document is for ${want}).`,
      pluginName: plugin,
    });
    switch (kind) {
      case 'precheck': {
        const pluginName = instance.platform === 'Windows' ? 'PrecheckWindows' : 'PrecheckLinux';
        const mgn = one('mgnEndpoint');
        const s3 = one('s3Endpoint');
        const checks = [
          `dns ${mgn}`,
          `dns ${s3}`,
          `tcp ${mgn}:443`,
          `tcp ${s3}:443`,
          ...(instance.platform === 'Windows' ? ['disk C: >= 2 GB free'] : ['disk / >= 2 GB free', 'disk /tmp >= 500 MB free']),
        ];
        const fails = instance.source?.fault === 'precheck-fails';
        const lines = checks.map((c) => `PASS ${c}`);
        if (fails) lines[3] = `FAIL tcp ${s3}:443: connection timed out after 5 seconds (is TCP 443 to the S3 interface endpoint allowed?)`;
        // agent-offline: the host passes its precheck, then its SSM agent stops answering (a reboot that hangs, a stopped service)
        const onComplete =
          instance.source?.fault === 'agent-offline' ? (at: number) => this.setPingStatus(region, instance.instanceId, 'ConnectionLost', at) : undefined;
        return { seconds: TIMINGS.precheck, success: !fails, stdout: `${lines.join('\n')}\n`, stderr: '', pluginName, onComplete };
      }
      case 'install-linux':
      case 'install-windows': {
        const want: Platform = kind === 'install-linux' ? 'Linux' : 'Windows';
        const pluginName = want === 'Linux' ? 'InstallAgentLinux' : 'InstallAgentWindows';
        if (instance.platform !== want) return wrongPlatform(want, pluginName);
        return this.runInstall(instance, params, pluginName, region);
      }
      case 'shell':
      case 'powershell': {
        const want: Platform = kind === 'shell' ? 'Linux' : 'Windows';
        const pluginName = kind === 'shell' ? 'aws:runShellScript' : 'aws:runPowerShellScript';
        if (instance.platform !== want) return wrongPlatform(want, pluginName);
        const launched = instance.launched;
        if (launched && failsItsChecks(launched)) {
          const check = checkName(launched.record!.spec);
          return {
            seconds: TIMINGS.shellScript,
            success: false,
            stdout: `PASS boot\nFAIL ${check}: check did not pass on the ${launched.purpose} instance\n`,
            stderr: `smoke check ${check} failed\n`,
            pluginName,
          };
        }
        const commands = params.commands ?? [];
        return { seconds: TIMINGS.shellScript, success: true, stdout: commands.length ? `ran ${commands.length} command(s)\n` : '', stderr: '', pluginName };
      }
    }
  }

  private runInstall(
    instance: ManagedInstance,
    params: Record<string, string[]>,
    pluginName: string,
    _commandRegion: string,
  ): { seconds: number; success: boolean; stdout: string; stderr: string; pluginName: string; onComplete?: (at: number, invocation: Invocation) => void } {
    const one = (name: string) => params[name]?.[0] ?? '';
    const record = instance.source;
    const seconds = record?.installSeconds ?? SCENARIO_DEFAULTS.installSeconds;
    const region = one('region');
    const head = [
      'The installation of the AWS Replication Agent has started.',
      `Identifying volumes for replication.`,
      `Downloading the AWS Replication Agent onto the source server... `,
    ];
    const fail = (tail: string[]) => ({
      seconds,
      success: false,
      stdout: [...head, ...tail, 'Installation failed.'].join('\n') + '\n',
      stderr: `${tail[tail.length - 1]}\n`,
      pluginName,
    });
    if (!record) return fail(['Error: this host is not a source server of any loaded wave (emulator: no manifest entry).']);
    if (!endpointIn(one('mgnEndpoint'), 'mgn', region))
      return fail([`Error: cannot connect to the MGN endpoint ${one('mgnEndpoint')} for region ${region}: name does not resolve.`]);
    if (!endpointIn(one('s3Endpoint'), 's3', region))
      return fail([`Error: failed to download installation files from ${one('s3Endpoint')}: name does not resolve.`]);
    const credentials = one('credentialsParameter');
    if (credentials) {
      // The host reads the SecureString with the AWS CLI in the region the document names. An isolated
      // host reaches SSM only in its own region (its VPC's endpoint, or the target VPC's for on-premises).
      const credentialsRegion = one('credentialsRegion');
      if (!credentialsRegion) return fail(['FAIL credentials: no region for the credentials parameter ' + credentials + ' (a SecureString is read in the region it was written in)']);
      if (credentialsRegion !== instance.region)
        return fail([`Error: could not read installer credentials: Could not connect to the endpoint URL: "https://ssm.${credentialsRegion}.amazonaws.com/" (this host reaches SSM only in ${instance.region})`]);
      if (!this.parameters.has(`${credentialsRegion}/${credentials}`))
        return fail([`Error: could not read installer credentials: An error occurred (ParameterNotFound) when calling the GetParameter operation: Parameter ${credentials} not found in ${credentialsRegion}.`]);
      // The host decrypts through SSM with its own credentials: the stack key's policy admits host
      // credentials only for parameters under INSTALLER_PARAMETER_ROOT (encryption context PARAMETER_ARN).
      const parameter = this.parameters.get(`${credentialsRegion}/${credentials}`)!;
      if (this.isInstallerCredentialsKey(credentialsRegion, parameter.keyId) && !credentials.startsWith(`${INSTALLER_PARAMETER_ROOT}/`))
        return fail([`Error: could not read installer credentials: An error occurred (AccessDeniedException) when calling the GetParameter operation: the key policy of ${parameter.keyId} does not allow kms:Decrypt under the encryption context PARAMETER_ARN of ${credentials}.`]);
    } else if (instance.resourceType === 'ManagedInstance') {
      // No instance profile on an on-premises host: the installer would ask for keys, and --no-prompt forbids asking.
      return fail([
        'Error: no AWS credentials: this server is not an EC2 instance with an instance profile, and --no-prompt prevents asking for an AWS Access Key ID and Secret Access Key; pass --aws-access-key-id, --aws-secret-access-key and --aws-session-token (installer-role credentials).',
      ]);
    }
    if (record.fault === 'install-fails')
      return fail([
        'Finished.',
        'Installing the AWS Replication Agent onto the source server... ',
        'Error: Failed to download installation files: SSL connection to the S3 endpoint reset by peer (errno 104).',
        'Error: installer exited with code 1.',
      ]);
    const tags = parseTags(one('tags'));
    const devices = one('devices') ? one('devices').split(',') : [];
    const userProvidedId = one('userProvidedId') || undefined;
    return {
      seconds,
      success: true, // provisional: the quota check at registration may still fail it
      stdout: [...head, 'Finished.', 'Installing the AWS Replication Agent onto the source server... Finished.', 'Syncing the source server with the Application Migration Service Console... Finished.', 'The following is the source server ID: (pending)', 'The AWS Replication Agent was successfully installed.'].join('\n') + '\n',
      stderr: '',
      pluginName,
      onComplete: (at, invocation) => this.completeInstall(invocation, record, region, tags, devices, userProvidedId, at),
    };
  }

  /** Registers the source server when the installer finishes (or fails the invocation on the quota). */
  private completeInstall(
    invocation: Invocation,
    record: ServerRecord,
    region: string,
    tags: Record<string, string>,
    devices: string[],
    userProvidedId: string | undefined,
    at: number,
  ): void {
    const existing = record.sourceServerId ? this.sourceServers.get(record.sourceServerId) : undefined;
    if (existing && isReplicating(existing) && existing.region === region) {
      // re-running the installer on a registered host keeps its source server (the agent re-registers)
      this.finishInstallOutput(invocation, existing.sourceServerID);
      return;
    }
    const replicating = this.replicatingIn(region);
    if (replicating >= this.replicatingQuota) {
      {
        const message = `Error: ServiceQuotaExceededException: the account has reached the quota of ${this.replicatingQuota} replicating source servers in ${region}; request a quota increase or archive servers.`;
        Object.assign(invocation, {
          success: false,
          responseCode: 1,
          stdout: invocation.stdout.replace(/Syncing the source server[\s\S]*$/, `${message}\nInstallation failed.\n`),
          stderr: `${message}\n`,
        });
      }
      return;
    }
    const server = this.registerSourceServer(record, region, tags, devices, userProvidedId, at);
    this.finishInstallOutput(invocation, server.sourceServerID);
  }

  private finishInstallOutput(invocation: Invocation, id: string): void {
    Object.assign(invocation, { stdout: invocation.stdout.replace('(pending)', id) });
  }

  registerSourceServer(record: ServerRecord, region: string, tags: Record<string, string>, devices: string[], userProvidedId: string | undefined, at: number): SourceServer {
    const id = this.newSourceServerId();
    const names = hostDevices(record, devices);
    const perDisk = Math.round((record.diskGiB * GiB) / names.length);
    const totalBytes = perDisk * names.length;
    const initiationStart = at;
    const syncStart = at + INITIATION_STEPS.length * TIMINGS.initiationStep * 1000;
    const syncSeconds = (totalBytes * 8) / (record.bandwidthMbps * 1e6);
    const syncEnd = syncStart + Math.ceil(syncSeconds * 1000);
    const continuousAt = syncEnd + TIMINGS.creatingSnapshot * 1000;
    const host = this.hostnameOf(record.spec);
    const server: SourceServer = {
      sourceServerID: id,
      arn: `arn:aws:mgn:${region}:${ACCOUNT_ID}:source-server/${id}`,
      region,
      record,
      addedAt: at,
      tags,
      userProvidedID: userProvidedId,
      hints: { ...host, ...(record.spec.source.type === 'ec2' ? { awsInstanceID: record.spec.source.instanceId } : {}) },
      isArchived: false,
      lifeCycle: 'NOT_READY',
      disks: names.map((deviceName) => ({ deviceName, totalStorageBytes: perDisk })),
      replication: { state: 'INITIATING', replicatorId: `i-${this.ids.hex(17)}`, initiationStart, syncStart, syncEnd, continuousAt, generation: 0 },
      lastTest: {},
      lastCutover: {},
      launchTemplateId: `lt-${this.ids.hex(17)}`,
      launchConfiguration: {
        name: host.hostname,
        launchDisposition: 'STARTED',
        targetInstanceTypeRightSizingMethod: 'BASIC',
        copyPrivateIp: false,
        copyTags: true,
        licensing: { osByol: false },
        bootMode: 'USE_SOURCE',
        enableMapAutoTagging: false,
      },
      replicationConfiguration: this.newReplicationConfiguration(region, host.hostname, names),
    };
    record.sourceServerId = id;
    this.sourceServers.set(id, server);
    this.createLaunchTemplate(server, at);
    const gen = server.replication.generation;
    const live = () => server.replication.generation === gen && server.replication.state !== 'STALLED';
    this.events.schedule(syncStart, () => {
      if (live()) server.replication.state = 'INITIAL_SYNC';
    });
    if (record.fault === 'replication-stalls') {
      const stallAt = syncStart + Math.round((syncEnd - syncStart) * TIMINGS.stallFraction);
      this.events.schedule(stallAt, (t) => {
        if (!live()) return;
        server.replication.state = 'STALLED';
        server.replication.stalledAt = t;
        server.replication.error = {
          error: 'UNSTABLE_NETWORK',
          rawError: `Connection between the AWS Replication Agent and replication server ${server.replication.replicatorId} on TCP 1500 keeps dropping; data transfer stopped.`,
        };
      });
      return server;
    }
    this.events.schedule(syncEnd, () => {
      if (live()) server.replication.state = 'CREATING_SNAPSHOT';
    });
    this.events.schedule(continuousAt, (t) => {
      if (!live()) return;
      server.replication.state = 'CONTINUOUS';
      server.replication.lastSnapshotAt = t;
      if (server.lifeCycle === 'NOT_READY') server.lifeCycle = 'READY_FOR_TEST';
    });
    return server;
  }

  /**
   * The EC2 launch template MGN creates for a source server when it is added (MGN user guide, "Launch
   * settings": "Launch settings, including the EC2 launch template, are automatically created each
   * time you add a source server"), tagged as MGN's. Its default version has the right-sized instance
   * type, the disks and a primary network interface with no public IP, and names no subnet ("EC2
   * launch template": EC2 then uses the default VPC, and fails where there is none).
   */
  private createLaunchTemplate(server: SourceServer, at: number): void {
    const windows = server.record.platform === 'Windows';
    const data: LaunchTemplateData = {
      InstanceType: RECOMMENDED_INSTANCE_TYPE,
      NetworkInterfaces: [{ DeviceIndex: 0, AssociatePublicIpAddress: false, DeleteOnTermination: true }],
      BlockDeviceMappings: server.disks.map((d, i) => ({
        DeviceName: i === 0 ? (windows ? '/dev/sda1' : '/dev/xvda') : `/dev/xvd${String.fromCharCode(98 + ((i - 1) % 25))}`,
        Ebs: { VolumeSize: Math.max(1, Math.ceil(d.totalStorageBytes / GiB)), VolumeType: 'gp3', DeleteOnTermination: true },
      })),
      TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Name', Value: server.hints.hostname }] }],
    };
    const template: LaunchTemplate = {
      launchTemplateId: server.launchTemplateId,
      launchTemplateName: `created-and-used-by-application-migration-service-${server.sourceServerID}`,
      region: server.region,
      createdAt: at,
      createdBy: MGN_CREATOR,
      tags: { AWSApplicationMigrationServiceManaged: 'mgn.amazonaws.com', AWSApplicationMigrationServiceSourceServerID: server.sourceServerID },
      defaultVersion: 1,
      versions: [{ versionNumber: 1, createdAt: at, createdBy: MGN_CREATOR, data }],
      tokens: new Map(),
    };
    this.launchTemplates.set(template.launchTemplateId, template);
  }

  // ---------------------------------------------------------------- MGN

  serversIn(region: string): SourceServer[] {
    return [...this.sourceServers.values()].filter((s) => s.region === region).sort((a, b) => a.addedAt - b.addedAt || cmp(a.sourceServerID, b.sourceServerID));
  }

  /** A new server's replication settings: those of the region's (first) replication template, else MGN's defaults. */
  private newReplicationConfiguration(region: string, name: string, devices: readonly string[]): Record<string, unknown> {
    const template = [...this.templates.values()].find((t) => t.region === region);
    const replicatedDisks = devices.map((deviceName, i) => ({ deviceName, isBootDisk: i === 0, stagingDiskType: 'AUTO' }));
    return structuredClone({ ...DEFAULT_REPLICATION_SETTINGS, ...template?.settings, name, replicatedDisks });
  }

  server(region: string, id: string): SourceServer {
    const s = this.sourceServers.get(id);
    if (!s || s.region !== region)
      throw new ApiError('ResourceNotFoundException', `Source server ${id} not found.`, 404, { resourceId: id, resourceType: 'SOURCE_SERVER' });
    return s;
  }

  /** Byte progress of the initial sync, interpolated on the clock. */
  replicatedBytes(s: SourceServer, disk: ReplicatedDisk): number {
    const r = s.replication;
    const now = this.now();
    if (r.state === 'DISCONNECTED') return 0;
    if (now <= r.syncStart) return 0;
    const until = r.state === 'STALLED' && r.stalledAt !== undefined ? r.stalledAt : now;
    if (until >= r.syncEnd) return disk.totalStorageBytes;
    return Math.floor((disk.totalStorageBytes * (until - r.syncStart)) / (r.syncEnd - r.syncStart));
  }

  activeJobs(region?: string): Job[] {
    return [...this.jobs.values()].filter((j) => j.status !== 'COMPLETED' && (!region || j.region === region));
  }

  serversInActiveJobs(): number {
    return this.activeJobs().reduce((n, j) => n + j.participants.length, 0);
  }

  /** The account-wide peak of servers in active jobs so far (MGN's limit is 200). */
  maxServersInActiveJobs(): number {
    return this.peakServersInActiveJobs;
  }

  /**
   * Job operations list no ResourceNotFoundException in the model: an unknown id is a
   * ValidationException naming the field.
   */
  private jobServers(region: string, ids: string[]): SourceServer[] {
    if (new Set(ids).size !== ids.length)
      throw new ApiError('ValidationException', 'sourceServerIDs lists a source server more than once.', 400, {
        reason: 'fieldValidationFailed',
        fieldList: [{ name: 'sourceServerIDs', message: 'duplicate source server ID' }],
      });
    return ids.map((id) => {
      const s = this.sourceServers.get(id);
      if (!s || s.region !== region)
        throw new ApiError('ValidationException', `Source server ${id} not found in ${region}.`, 400, {
          reason: 'fieldValidationFailed',
          fieldList: [{ name: 'sourceServerIDs', message: `source server ${id} not found` }],
        });
      return s;
    });
  }

  /**
   * StartTest / StartCutover: checks every server's state and the job quotas first, then launches.
   * StartTest needs CONTINUOUS replication and READY_FOR_TEST, TESTING or READY_FOR_CUTOVER.
   * StartCutover needs CONTINUOUS replication and READY_FOR_CUTOVER, or (as real MGN allows a
   * cutover without a finalised test) TESTING or READY_FOR_TEST. Either sets the lifecycle
   * (TESTING / CUTTING_OVER) at once; a failed launch puts the server back where it was.
   */
  startLaunch(region: string, kind: 'test' | 'cutover', ids: string[], tags: Record<string, string>): Job {
    const servers = this.jobServers(region, ids);
    this.checkJobQuotas(ids);
    const busy = new Set(this.activeJobs().flatMap((j) => j.participants.map((p) => p.sourceServerID)));
    for (const s of servers) {
      if (busy.has(s.sourceServerID)) throw conflict(s, `Source server ${s.sourceServerID} is already participating in an active job.`);
      if (s.isArchived) throw conflict(s, `Source server ${s.sourceServerID} is archived.`);
      if (kind === 'test') {
        if (s.replication.state !== 'CONTINUOUS')
          throw conflict(s, `Cannot launch a test instance for source server ${s.sourceServerID}: data replication state is ${s.replication.state}, must be CONTINUOUS.`);
        if (!['READY_FOR_TEST', 'TESTING', 'READY_FOR_CUTOVER'].includes(s.lifeCycle))
          throw conflict(s, `Cannot launch a test instance for source server ${s.sourceServerID} in life cycle state ${s.lifeCycle}.`);
      } else {
        if (!['READY_FOR_CUTOVER', 'TESTING', 'READY_FOR_TEST'].includes(s.lifeCycle))
          throw conflict(s, `Cannot launch a cutover instance for source server ${s.sourceServerID} in life cycle state ${s.lifeCycle}.`);
        if (s.replication.state !== 'CONTINUOUS')
          throw conflict(s, `Cannot launch a cutover instance for source server ${s.sourceServerID}: data replication state is ${s.replication.state}, must be CONTINUOUS.`);
      }
    }
    const at = this.now();
    const job = this.newJob(region, 'LAUNCH', kind === 'test' ? 'START_TEST' : 'START_CUTOVER', ids, tags, at);
    for (const s of servers) {
      const before = s.lifeCycle;
      if (kind === 'test') {
        s.lifeCycle = 'TESTING';
        s.lastTest = { initiated: { at, jobID: job.jobID } };
      } else {
        s.lifeCycle = 'CUTTING_OVER';
        s.lastCutover = { initiated: { at, jobID: job.jobID } };
      }
      this.scheduleLaunch(job, s, kind, before, this.launchSnapshot(s));
    }
    this.scheduleJobEnd(job);
    return job;
  }

  terminateTargetInstances(region: string, ids: string[], tags: Record<string, string>): Job {
    const servers = this.jobServers(region, ids);
    this.checkJobQuotas(ids);
    for (const s of servers) {
      if (['TESTING', 'CUTTING_OVER', 'CUTOVER'].includes(s.lifeCycle))
        throw conflict(s, `Cannot terminate target instances of source server ${s.sourceServerID} in life cycle state ${s.lifeCycle}.`);
    }
    const at = this.now();
    const job = this.newJob(region, 'TERMINATE', 'TERMINATE', ids, tags, at);
    job.participants.forEach((p, i) => {
      const s = servers[i];
      const instanceId = s.launchedInstance?.ec2InstanceID;
      this.events.schedule(at + TIMINGS.jobStart * 1000, (t) => {
        p.launchStatus = 'IN_PROGRESS';
        job.logs.push({ at: t, event: 'CLEANUP_START', sourceServerID: s.sourceServerID });
        if (instanceId) this.terminateInstance(instanceId, t);
      });
      this.events.schedule(at + (TIMINGS.jobStart + TIMINGS.terminate) * 1000, (t) => {
        p.launchStatus = 'TERMINATED';
        if (instanceId) p.launchedEc2InstanceID = instanceId;
        if (s.launchedInstance?.ec2InstanceID === instanceId) s.launchedInstance = undefined;
        job.logs.push({ at: t, event: 'CLEANUP_END', sourceServerID: s.sourceServerID, ...(instanceId ? { targetInstanceID: instanceId } : {}) });
      });
    });
    this.scheduleJobEnd(job);
    return job;
  }

  private checkJobQuotas(ids: string[]): void {
    if (this.activeJobs().length >= LIMITS.concurrentJobs)
      throw new ApiError('ServiceQuotaExceededException', `Cannot start a job: ${LIMITS.concurrentJobs} jobs are already active.`, 402, {
        quotaCode: 'L-CONCURRENT-JOBS',
        serviceCode: 'mgn',
        quotaValue: LIMITS.concurrentJobs,
        resourceType: 'JOB',
      });
    const active = this.serversInActiveJobs();
    if (active + ids.length > LIMITS.serversInActiveJobs)
      throw new ApiError(
        'ServiceQuotaExceededException',
        `Cannot start a job for ${ids.length} source servers: ${active} source servers are already in active jobs and at most ${LIMITS.serversInActiveJobs} may be in active jobs at once.`,
        402,
        { quotaCode: 'L-SERVERS-IN-ACTIVE-JOBS', serviceCode: 'mgn', quotaValue: LIMITS.serversInActiveJobs, resourceType: 'SOURCE_SERVER' },
      );
  }

  private newJob(region: string, type: Job['type'], initiatedBy: Job['initiatedBy'], ids: string[], tags: Record<string, string>, at: number): Job {
    const jobID = this.newJobId();
    const job: Job = {
      jobID,
      arn: `arn:aws:mgn:${region}:${ACCOUNT_ID}:job/${jobID}`,
      region,
      type,
      initiatedBy,
      createdAt: at,
      tags,
      status: 'PENDING',
      participants: ids.map((sourceServerID) => ({ sourceServerID, launchStatus: 'PENDING' as LaunchStatus })),
      logs: [],
    };
    this.jobs.set(jobID, job);
    this.peakServersInActiveJobs = Math.max(this.peakServersInActiveJobs, this.serversInActiveJobs());
    this.events.schedule(at + TIMINGS.jobStart * 1000, (t) => {
      job.status = 'STARTED';
      job.logs.unshift({ at: t, event: 'JOB_START' });
    });
    return job;
  }

  private scheduleJobEnd(job: Job): void {
    const check = (t: number) => {
      if (job.status === 'COMPLETED') return;
      if (job.participants.every((p) => p.launchStatus === 'LAUNCHED' || p.launchStatus === 'FAILED' || p.launchStatus === 'TERMINATED')) {
        job.status = 'COMPLETED';
        job.endAt = t;
        job.logs.push({ at: t, event: 'JOB_END' });
      } else {
        this.events.schedule(t + 1000, check);
      }
    };
    const longest = job.type === 'LAUNCH' ? TIMINGS.jobStart + TIMINGS.snapshot + TIMINGS.conversion + 40 + TIMINGS.launch : TIMINGS.jobStart + TIMINGS.terminate;
    this.events.schedule(job.createdAt + (longest + 1) * 1000, check);
  }

  /** What MGN launches a server with: its template's default version and its launch settings, read when the job starts. */
  private launchSnapshot(s: SourceServer): LaunchSnapshot {
    const template = this.launchTemplates.get(s.launchTemplateId)!;
    const version = template.versions[template.defaultVersion - 1];
    return { data: version.data, templateId: template.launchTemplateId, version: version.versionNumber, configuration: structuredClone(s.launchConfiguration) };
  }

  private scheduleLaunch(job: Job, s: SourceServer, kind: 'test' | 'cutover', before: LifeCycleState, snapshot: LaunchSnapshot): void {
    const p = job.participants.find((x) => x.sourceServerID === s.sourceServerID)!;
    const jitter = (job.participants.indexOf(p) % 5) * 10;
    const t0 = job.createdAt + TIMINGS.jobStart * 1000;
    const snapEnd = t0 + TIMINGS.snapshot * 1000;
    const convEnd = snapEnd + (TIMINGS.conversion + jitter) * 1000;
    const launchAt = convEnd + TIMINGS.launch * 1000;
    const sid = s.sourceServerID;
    this.events.schedule(t0, (t) => {
      p.launchStatus = 'IN_PROGRESS';
      job.logs.push({ at: t, event: 'SNAPSHOT_START', sourceServerID: sid });
    });
    this.events.schedule(snapEnd, (t) => {
      job.logs.push({ at: t, event: 'SNAPSHOT_END', sourceServerID: sid });
      job.logs.push({ at: t, event: 'CONVERSION_START', sourceServerID: sid });
    });
    this.events.schedule(convEnd, (t) => {
      job.logs.push({ at: t, event: 'CONVERSION_END', sourceServerID: sid });
      job.logs.push({ at: t, event: 'LAUNCH_START', sourceServerID: sid });
    });
    this.events.schedule(launchAt, (t) => {
      const fail = (rawError: string) => {
        p.launchStatus = 'FAILED';
        job.logs.push({ at: t, event: 'LAUNCH_FAILED', sourceServerID: sid, rawError });
        // a failed launch leaves the server where it was before the job
        s.lifeCycle = before;
      };
      const fault = s.record.fault;
      if ((kind === 'test' && fault === 'test-launch-fails') || (kind === 'cutover' && fault === 'cutover-launch-fails'))
        return fail(`Failed to launch ${kind} instance: InsufficientInstanceCapacity in ${s.region}a for instance type m5.large.`);
      // a new test launch replaces the previous test instance (MGN lets it go before it launches the new one)
      if (s.launchedInstance && s.launchedInstance.purpose === 'test') this.terminateInstance(s.launchedInstance.ec2InstanceID, t, true);
      const plan = this.resolveLaunch(s, kind, snapshot);
      if ('error' in plan) return fail(plan.error);
      const instance = this.launchInstance(s, kind, t, plan, job.jobID);
      p.launchStatus = 'LAUNCHED';
      p.launchedEc2InstanceID = instance.instanceId;
      s.launchedInstance = { ec2InstanceID: instance.instanceId, jobID: job.jobID, firstBoot: 'WAITING', purpose: kind };
    });
  }

  /**
   * RunInstances as MGN calls it with the server's launch template (default version) and launch
   * settings, refused as EC2 refuses it. Each refusal is EC2's error code and message, which MGN
   * puts in the job log's LAUNCH_FAILED rawError:
   * - no subnet: the default VPC would be used, and there is none (VPCIdNotSpecified, "No default VPC for this user");
   * - network interfaces with instance-level security groups (InvalidParameterCombination);
   * - a subnet, group or instance profile that does not exist (InvalidSubnetID.NotFound, InvalidGroup.NotFound, InvalidParameterValue);
   * - groups of another VPC than the subnet's (InvalidParameter, "... belong to different networks");
   * - a private IP outside the subnet, reserved by EC2, or held by another instance (InvalidParameterValue, InvalidIPAddress.InUse).
   * copyPrivateIp gives the instance the source's IP ("Make sure that the IP range of the subnet you set
   * in the EC2 Launch Template includes the private IP address", MGN user guide, "Copy private IP").
   */
  private resolveLaunch(s: SourceServer, kind: 'test' | 'cutover', snapshot: LaunchSnapshot): LaunchPlan | { error: string } {
    const { data, configuration } = snapshot;
    const refuse = (code: string, message: string) => ({ error: `${code}: ${message}` });
    const net = this.network(s.region);
    const interfaces = data.NetworkInterfaces ?? [];
    if (interfaces.length > 0 && ((data.SecurityGroupIds?.length ?? 0) > 0 || (data.SecurityGroups?.length ?? 0) > 0))
      return refuse('InvalidParameterCombination', 'Network interfaces and an instance-level security groups may not be specified on the same request');
    const primary = interfaces.find((n) => (n.DeviceIndex ?? 0) === 0) ?? interfaces[0];
    const subnetId = primary?.SubnetId;
    if (!subnetId) return refuse('VPCIdNotSpecified', 'No default VPC for this user');
    const subnet = net.subnets.find((x) => x.subnetId === subnetId);
    if (!subnet) return refuse('InvalidSubnetID.NotFound', `The subnet ID '${subnetId}' does not exist`);
    let groupIds = [...(primary?.Groups ?? data.SecurityGroupIds ?? [])];
    for (const g of groupIds) {
      const group = net.securityGroups.find((x) => x.groupId === g);
      if (!group) return refuse('InvalidGroup.NotFound', `The security group '${g}' does not exist in VPC '${subnet.vpcId}'`);
      if (group.vpcId !== subnet.vpcId) return refuse('InvalidParameter', `Security group ${g} and subnet ${subnet.subnetId} belong to different networks.`);
    }
    // no group given: EC2 uses the VPC's default security group
    if (groupIds.length === 0) groupIds = net.securityGroups.filter((x) => x.vpcId === subnet.vpcId && x.groupName === 'default').map((x) => x.groupId);
    let profile: InstanceProfile | undefined;
    if (data.IamInstanceProfile && (data.IamInstanceProfile.Name || data.IamInstanceProfile.Arn)) {
      profile = this.instanceProfile(data.IamInstanceProfile);
      if (!profile) {
        const [param, value] = data.IamInstanceProfile.Arn ? ['iamInstanceProfile.arn', data.IamInstanceProfile.Arn] : ['iamInstanceProfile.name', data.IamInstanceProfile.Name];
        return refuse('InvalidParameterValue', `Value (${value}) for parameter ${param} is invalid. Invalid IAM Instance Profile ${param.endsWith('arn') ? 'ARN' : 'name'}`);
      }
      // MGN launches with the caller's permissions, and a launch with an instance profile passes its
      // role to EC2 (iam:PassRole, AWSApplicationMigrationEC2Access). The callers are the stack's launch
      // steps, whose roles may pass the launched-instance role and the deploy config's launchInstanceProfiles.
      if (!this.passableInstanceProfiles().has(profile.name))
        return refuse(
          'UnauthorizedOperation',
          `You are not authorized to perform this operation. The caller is not authorized to perform: iam:PassRole on the role of instance profile ${profile.name} ` +
            `(the stack's launch steps may pass only ${[...this.passableInstanceProfiles()].join(', ')})`,
        );
    }
    const privateIp = configuration.copyPrivateIp ? s.record.sourceIp : primary?.PrivateIpAddress ?? primary?.PrivateIpAddresses?.find((a) => a.Primary)?.PrivateIpAddress;
    if (privateIp !== undefined) {
      if (!/^(\d{1,3})(\.\d{1,3}){3}$/.test(privateIp) || privateIp.split('.').some((o) => Number(o) > 255))
        return refuse('InvalidParameterValue', `Value (${privateIp}) for parameter privateIpAddress is invalid. ${privateIp} is not a valid IPv4 address`);
      if (!cidrContainsIp(subnet.cidrBlock, privateIp)) return refuse('InvalidParameterValue', `Address ${privateIp} does not fall within the subnet's address range`);
      if (isReservedAddress(subnet.cidrBlock, privateIp)) return refuse('InvalidParameterValue', `Address ${privateIp} is reserved in subnet ${subnet.subnetId} (the first four and the last address of a subnet are reserved)`);
      if (this.ipsOf(subnet.subnetId).has(privateIp)) return refuse('InvalidIPAddress.InUse', `Address ${privateIp} is in use.`);
    }
    const templateType = data.InstanceType ?? 'm1.small'; // EC2's default when none is given
    const instanceType = configuration.targetInstanceTypeRightSizingMethod === 'BASIC' ? RECOMMENDED_INSTANCE_TYPE : templateType;
    if (!INSTANCE_TYPE.test(instanceType)) return refuse('InvalidParameterValue', `Invalid value '${instanceType}' for InstanceType.`);
    if (this.availableAddresses(subnet) <= 0 && privateIp === undefined)
      return refuse('InsufficientFreeAddressesInSubnet', `There are not enough free addresses in subnet '${subnet.subnetId}' to satisfy the requested number of instances.`);
    const deployment = configuration.postLaunchActions?.deployment;
    return {
      subnet,
      groupIds,
      privateIp,
      instanceType,
      profile,
      tags: { ...templateTags(data, 'instance'), ...(configuration.copyTags ? s.tags : {}) },
      bootMode: configuration.bootMode === 'LEGACY_BIOS' ? 'legacy-bios' : configuration.bootMode === 'UEFI' ? 'uefi' : 'uefi-preferred',
      byol: configuration.licensing.osByol,
      stopped: configuration.launchDisposition === 'STOPPED',
      ssmAgentInstalled: deployment === 'TEST_AND_CUTOVER' || (deployment === 'TEST_ONLY' && kind === 'test') || (deployment === 'CUTOVER_ONLY' && kind === 'cutover'),
    };
  }

  private launchInstance(s: SourceServer, purpose: 'test' | 'cutover', at: number, plan: LaunchPlan, jobId: string): Ec2Instance {
    const privateIp = plan.privateIp ?? this.allocateIp(plan.subnet);
    this.ipsOf(plan.subnet.subnetId).add(privateIp);
    const instance: Ec2Instance = {
      instanceId: this.newInstanceId(),
      region: s.region,
      platform: s.record.platform,
      launchedAt: at,
      privateIp,
      subnetId: plan.subnet.subnetId,
      securityGroupIds: plan.groupIds,
      vpcId: plan.subnet.vpcId,
      availabilityZone: plan.subnet.availabilityZone,
      instanceType: plan.instanceType,
      tags: {
        Name: s.record.spec.name,
        ...plan.tags,
        AWSApplicationMigrationServiceManaged: 'mgn.amazonaws.com',
        AWSApplicationMigrationServiceSourceServerID: s.sourceServerID,
        'mgn.amazonaws.com-job': jobId,
        'mgn.amazonaws.com-source-server': s.sourceServerID,
      },
      purpose,
      iamInstanceProfile: plan.profile,
      bootMode: plan.bootMode,
      byol: plan.byol,
      launchStopped: plan.stopped,
      sourceServerId: s.sourceServerID,
      record: s.record,
      state: 'pending',
      statusOk: false,
    };
    this.instances.set(instance.instanceId, instance);
    this.events.schedule(at + TIMINGS.instancePending * 1000, () => {
      if (instance.state === 'pending') instance.state = plan.stopped ? 'stopped' : 'running';
    });
    this.events.schedule(at + (TIMINGS.instancePending + TIMINGS.boot) * 1000, (t) => {
      if (instance.state !== 'running') return;
      if (failsItsChecks(instance) && !s.record.spec.checks?.length) {
        // No smoke checks to fail: the instance fails the one check every server gets, EC2's reachability check.
        instance.impaired = true;
        return;
      }
      instance.statusOk = true;
      if (s.launchedInstance?.ec2InstanceID === instance.instanceId) s.launchedInstance.firstBoot = 'SUCCEEDED';
      if (this.ssmOfflineReason(instance, plan.ssmAgentInstalled) !== undefined) return;
      this.managed.set(`${instance.region}/${instance.instanceId}`, {
        instanceId: instance.instanceId,
        region: instance.region,
        platform: instance.platform,
        resourceType: 'EC2Instance',
        tags: {},
        computerName: this.hostnameOf(s.record.spec).fqdn,
        ipAddress: instance.privateIp,
        registeredAt: t,
        launched: instance,
        pingStatus: 'Online',
      });
    });
    return instance;
  }

  /**
   * Why a launched instance never comes Online in SSM as its own i- id, or undefined when it does.
   * The SSM agent needs an instance profile whose role allows it (AmazonSSMManagedInstanceCore) and,
   * with no internet, the ssm, ssmmessages and ec2messages interface endpoints in the instance's VPC,
   * reachable on TCP 443 through the security groups. A clone of an on-premises (mi-) source carries
   * the source's hybrid registration, which the agent prefers over the instance profile: it registers
   * as the EC2 instance only when MGN's post-launch actions installed the agent for this launch kind
   * (launch configuration postLaunchActions.deployment).
   */
  ssmOfflineReason(instance: Ec2Instance, ssmAgentInstalled: boolean): string | undefined {
    if (instance.record?.spec.source.type === 'onprem' && !ssmAgentInstalled)
      return 'the clone of an on-premises source keeps its hybrid (mi-) registration: no post-launch actions installed the SSM agent for this launch';
    if (!instance.iamInstanceProfile) return 'the instance has no instance profile';
    if (!instance.iamInstanceProfile.ssmAgent) return `instance profile ${instance.iamInstanceProfile.name} does not allow the SSM agent`;
    return ssmUnreachable(this.network(instance.region), { vpcId: instance.vpcId, ip: instance.privateIp, groupIds: instance.securityGroupIds });
  }

  /**
   * EC2 TerminateInstances and MGN cleanup: shutting-down now, terminated a little later, when its
   * private IP is free again (at once when MGN replaces the instance: it waits for the termination).
   */
  terminateInstance(instanceId: string, at: number, releaseAddressNow = false): Ec2Instance | undefined {
    const instance = this.instances.get(instanceId);
    if (!instance || instance.state === 'terminated' || instance.state === 'shutting-down') return instance;
    instance.state = 'shutting-down';
    instance.statusOk = false;
    this.managed.delete(`${instance.region}/${instance.instanceId}`);
    const release = () => this.usedIps.get(instance.subnetId)?.delete(instance.privateIp);
    if (releaseAddressNow) release();
    this.events.schedule(at + TIMINGS.terminate * 1000, () => {
      instance.state = 'terminated';
      release();
    });
    return instance;
  }

  /**
   * ChangeServerLifeCycleState. Allowed moves (documented choice, close to the console's actions):
   * READY_FOR_TEST from TESTING or READY_FOR_CUTOVER ("revert to ready for testing"),
   * READY_FOR_CUTOVER from TESTING ("mark as ready for cutover", needs a launched test instance), or
   * from READY_FOR_TEST when the server is launchable (CONTINUOUS replication): the API reference says
   * the call "only works if the Source Server is already launchable", which is how a wave skips testing,
   * READY_FOR_CUTOVER from CUTTING_OVER with a launched cutover instance ("Revert to ready for
   * cutover", MGN user guide "Reverting a cutover": lifeCycle.lastCutover.reverted is stamped; the
   * cutover instance stays until TerminateTargetInstances) while replication still runs (the API
   * reference: the call "only works if the Source Server is already launchable
   * (dataReplicationInfo.lagDuration is not null)"): once finalized (CUTOVER) there is no way back,
   * CUTOVER from CUTTING_OVER (needs a launched cutover instance).
   */
  changeLifeCycle(region: string, id: string, state: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' | 'CUTOVER'): SourceServer {
    const s = this.server(region, id);
    const inJob = this.activeJobs().some((j) => j.participants.some((p) => p.sourceServerID === id));
    const refuse = (why: string) => conflict(s, `Cannot change life cycle state of source server ${id} from ${s.lifeCycle} to ${state}: ${why}.`);
    if (inJob) throw refuse('it is participating in an active job');
    const at = this.now();
    switch (state) {
      case 'READY_FOR_TEST':
        if (s.lifeCycle !== 'TESTING' && s.lifeCycle !== 'READY_FOR_CUTOVER') throw refuse('allowed only from TESTING or READY_FOR_CUTOVER');
        s.lifeCycle = 'READY_FOR_TEST';
        s.lastTest.reverted = at;
        break;
      case 'READY_FOR_CUTOVER':
        if (s.lifeCycle === 'READY_FOR_TEST') {
          if (s.replication.state !== 'CONTINUOUS') throw refuse(`the server is not launchable yet (data replication ${s.replication.state})`);
        } else if (s.lifeCycle === 'CUTTING_OVER') {
          // reverting a cutover that was not finalized
          if (!s.launchedInstance || s.launchedInstance.purpose !== 'cutover') throw refuse('no cutover instance was launched');
          if (s.replication.state !== 'CONTINUOUS' && s.replication.state !== 'STALLED')
            throw refuse(`the server is not launchable (data replication ${s.replication.state}, no lag duration)`);
          s.lifeCycle = 'READY_FOR_CUTOVER';
          s.lastCutover.reverted = at;
          break;
        } else {
          if (s.lifeCycle !== 'TESTING') throw refuse('allowed only from TESTING, CUTTING_OVER or a launchable READY_FOR_TEST');
          if (!s.launchedInstance || s.launchedInstance.purpose !== 'test') throw refuse('no test instance was launched');
        }
        s.lifeCycle = 'READY_FOR_CUTOVER';
        s.lastTest.finalized = at;
        break;
      case 'CUTOVER':
        if (s.lifeCycle !== 'CUTTING_OVER') throw refuse('allowed only from CUTTING_OVER');
        if (!s.launchedInstance || s.launchedInstance.purpose !== 'cutover') throw refuse('no cutover instance was launched');
        s.lifeCycle = 'CUTOVER';
        break;
    }
    return s;
  }

  /** FinalizeCutover: CUTTING_OVER with a launched cutover instance -> CUTOVER, replication torn down. */
  finalizeCutover(region: string, id: string): SourceServer {
    const s = this.server(region, id);
    if (s.lifeCycle !== 'CUTTING_OVER' || s.launchedInstance?.purpose !== 'cutover')
      throw conflict(s, `Cannot finalize cutover of source server ${id} in life cycle state ${s.lifeCycle}: a cutover instance must have been launched (CUTTING_OVER).`);
    if (this.activeJobs().some((j) => j.participants.some((p) => p.sourceServerID === id)))
      throw conflict(s, `Cannot finalize cutover of source server ${id}: its cutover job is still running.`);
    s.lifeCycle = 'CUTOVER';
    s.lastCutover.finalized = this.now();
    this.stopReplication(s);
    return s;
  }

  markAsArchived(region: string, id: string): SourceServer {
    const s = this.server(region, id);
    if (s.lifeCycle !== 'DISCONNECTED' && s.lifeCycle !== 'CUTOVER')
      throw conflict(s, `Cannot archive source server ${id} in life cycle state ${s.lifeCycle}: only DISCONNECTED or CUTOVER servers can be archived.`);
    s.isArchived = true;
    return s;
  }

  disconnectFromService(region: string, id: string): SourceServer {
    const s = this.server(region, id);
    if (this.activeJobs().some((j) => j.participants.some((p) => p.sourceServerID === id)))
      throw conflict(s, `Cannot disconnect source server ${id}: it is participating in an active job.`);
    if (s.lifeCycle === 'TESTING' || s.lifeCycle === 'CUTTING_OVER')
      throw conflict(s, `Cannot disconnect source server ${id} in life cycle state ${s.lifeCycle}: finalize or revert first.`);
    if (s.lifeCycle !== 'CUTOVER') s.lifeCycle = 'DISCONNECTED';
    this.stopReplication(s);
    return s;
  }

  private stopReplication(s: SourceServer): void {
    s.replication.generation++;
    s.replication.state = 'DISCONNECTED';
    s.replication.error = undefined;
  }

  // ---------------------------------------------------------------- summary

  /** A small summary for `GET /_emulator/state` and progress displays. */
  summary(): Record<string, unknown> {
    const byLifecycle: Record<string, number> = {};
    const byReplication: Record<string, number> = {};
    for (const s of this.sourceServers.values()) {
      byLifecycle[s.lifeCycle] = (byLifecycle[s.lifeCycle] ?? 0) + 1;
      byReplication[s.replication.state] = (byReplication[s.replication.state] ?? 0) + 1;
    }
    const next = this.nextEventTime();
    return {
      now: new Date(this.now()).toISOString(),
      nextEventTime: next === undefined ? null : new Date(next).toISOString(),
      waves: [...new Set(this.records.map((r) => r.waveId))],
      servers: this.records.length,
      managedInstances: this.managed.size,
      sourceServers: { total: this.sourceServers.size, byLifecycle, byReplication },
      jobs: { total: this.jobs.size, active: this.activeJobs().length, serversInActiveJobs: this.serversInActiveJobs() },
      instances: [...this.instances.values()].filter((i) => i.purpose !== 'source').reduce<Record<string, number>>((acc, i) => {
        acc[i.state] = (acc[i.state] ?? 0) + 1;
        return acc;
      }, {}),
      commands: this.commands.size,
    };
  }
}

function conflict(s: SourceServer, message: string): ApiError {
  return new ApiError('ConflictException', message, 409, {
    resourceId: s.sourceServerID,
    resourceType: 'SOURCE_SERVER',
    errors: [{ message, code: s.lifeCycle, resourceId: s.sourceServerID, resourceType: 'SOURCE_SERVER' }],
  });
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Whether `dns` is an endpoint-specific interface endpoint name for `service` in `region`. */
function endpointIn(dns: string, service: string, region: string): boolean {
  const m = /^(?:\*\.)?vpce-[0-9a-f]{8,17}-[0-9a-z]{8}(?:-[a-z0-9-]+)?\.([a-z0-9-]+)\.([a-z0-9-]+)\.vpce\.amazonaws\.com$/.exec(dns.toLowerCase());
  return !!m && m[1] === service && m[2] === region;
}

function parseTags(text: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const pair of text.split(',')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    if (eq > 0) tags[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return tags;
}

function hostDevices(record: ServerRecord, devices: string[]): string[] {
  if (devices.length > 0) return devices;
  if (record.spec.devices?.length) return record.spec.devices;
  return record.platform === 'Windows' ? ['C:'] : ['/dev/xvda'];
}

/** The name a smoke check failure reports: the manifest's first check, else the boot check. */
/**
 * A launched instance whose server's fault fails its checks: the test instance of a test-check-fails
 * server, the cutover instance of a cutover-check-fails one. It fails the first smoke check.
 */
export const failsItsChecks = (i: Pick<Ec2Instance, 'purpose' | 'record'>): boolean =>
  (i.purpose === 'test' && i.record?.fault === 'test-check-fails') || (i.purpose === 'cutover' && i.record?.fault === 'cutover-check-fails');

export function checkName(spec: ServerSpec): string {
  const c = spec.checks?.[0];
  if (!c) return 'boot';
  if (c.type === 'tcp') return `tcp:${c.port}`;
  if (c.type === 'http') return `http:${c.url}`;
  return `service:${c.name}`;
}

/** Document parameters as SSM checks them: no unknown ones, required ones present, values matching allowedPattern. */
function checkDocumentParameters(spec: Readonly<Record<string, ParameterRule>>, given: Record<string, string[]>): Record<string, string[]> {
  for (const name of Object.keys(given)) {
    if (!(name in spec)) throw new ApiError('InvalidParameters', `Parameter "${name}" is not defined in the document; allowed: ${Object.keys(spec).join(', ')}.`);
  }
  const out: Record<string, string[]> = {};
  for (const [name, rule] of Object.entries(spec)) {
    const values = given[name];
    if (values === undefined) {
      if (rule.required) throw new ApiError('InvalidParameters', `Parameter "${name}" is required by the document but was not supplied.`);
      out[name] = rule.list ? [] : [''];
      continue;
    }
    if (!rule.list && values.length !== 1) throw new ApiError('InvalidParameters', `Parameter "${name}" takes exactly one value.`);
    for (const v of values) {
      if (!rule.pattern.test(v)) throw new ApiError('InvalidParameters', `Parameter "${name}" value ${JSON.stringify(v)} failed to satisfy constraint: does not match the document's allowedPattern.`);
    }
    out[name] = values;
  }
  return out;
}

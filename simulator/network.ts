/**
 * The simulated account's target-region network, from a deploy config (infra/config.ts): the VPC, its
 * subnet tiers (orchestrator, staging, endpoint, test, cutover), route tables, interface and gateway
 * endpoints, the security groups the stack creates, and the launched-instance profile. Ids of what
 * `mode: "new"` would create are deterministic (a hash of stack, region and resource), so a run is
 * repeatable and its report names the same ids every time. There is no default VPC.
 *
 * The layout mirrors infra/: CDK allocates the new VPC's subnets in the order of its subnet
 * configuration, one subnet per AZ, each the next aligned block of its mask (aws-cdk-lib
 * NetworkBuilder); the stack's endpoint list and security group rules are those of
 * infra/constructs/service-endpoints.ts, replication-security.ts and orchestrator-functions.ts.
 * test/simulator/network.test.ts holds this file to a synthesized stack.
 *
 * A scenario may add network resources for tests (`scenario.network`): VPCs, subnets (with routes),
 * security groups and instance profiles. They are validated against the network like the rest of
 * the scenario; a problem names its field.
 */
import { subnetLayout, type SubnetTierName } from '../infra/subnet-layout';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { DEFAULT_CONFIG_FILE, loadDeployConfig, type DeployConfig, type ExistingSubnetConfig } from '../infra/config';
import { InvalidInputError } from '../functions/lib/validation';
import type { ScenarioNetwork } from './scenario';

export type SubnetTier = 'orchestrator' | 'staging' | 'endpoint' | 'test' | 'cutover';
export const SUBNET_TIERS: readonly SubnetTier[] = ['orchestrator', 'staging', 'endpoint', 'test', 'cutover'];

/** The account the emulator answers for (owner of every resource). */
export const NETWORK_ACCOUNT_ID = '111122223333';

/**
 * Interface endpoints every deployment gets (infra/constructs/service-endpoints.ts
 * INTERFACE_ENDPOINT_SERVICES; a test holds the two lists equal), plus execute-api for a PRIVATE API.
 */
export const STACK_INTERFACE_SERVICES = ['mgn', 'ec2', 's3', 'ssm', 'ssmmessages', 'ec2messages', 'states', 'sts', 'sns', 'events', 'logs', 'kms', 'servicequotas', 'xray'] as const;

/**
 * The endpoints behind their own security groups (infra/constructs/service-endpoints.ts
 * ENDPOINT_GROUPS; a test holds the two equal): every other endpoint is in the `endpoints` group
 * (the agent's and Run Command's, open to the sources).
 */
export const SEPARATE_ENDPOINT_GROUPS = {
  ec2: ['ec2'],
  orchestrator: ['states', 'sts', 'sns', 'events', 'logs', 'kms', 'servicequotas', 'xray'],
} as const;

/** The endpoints the SSM agent of a launched instance needs in its VPC (SSM user guide, "VPC endpoints"). */
export const SSM_AGENT_SERVICES = ['ssm', 'ssmmessages', 'ec2messages'] as const;

export interface Vpc {
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly name: string;
}

export interface Subnet {
  readonly subnetId: string;
  readonly vpcId: string;
  readonly cidrBlock: string;
  readonly availabilityZone: string;
  readonly routeTableId: string;
  readonly name: string;
  /** The stack tier it belongs to; none for subnets a scenario adds. */
  readonly tier?: SubnetTier;
}

export interface Route {
  readonly destinationCidrBlock?: string;
  readonly destinationPrefixListId?: string;
  /** "local", an igw-, or a vpce- (gateway endpoint) */
  readonly gatewayId?: string;
  readonly natGatewayId?: string;
  readonly vpcPeeringConnectionId?: string;
  readonly transitGatewayId?: string;
  readonly origin: 'CreateRouteTable' | 'CreateRoute';
}

export interface RouteTable {
  readonly routeTableId: string;
  readonly vpcId: string;
  readonly main: boolean;
  readonly routes: Route[];
  readonly subnetIds: string[];
  readonly name: string;
}

/** One security group rule: TCP/UDP ports or every protocol ("-1"), to or from a CIDR, a group or a prefix list. */
export interface SecurityGroupRule {
  readonly protocol: 'tcp' | 'udp' | '-1';
  readonly fromPort?: number;
  readonly toPort?: number;
  readonly cidr?: string;
  readonly groupId?: string;
  readonly prefixListId?: string;
  readonly description?: string;
}

/**
 * The stack's groups: `orchestrator` on every Lambda, `probe` also on the verify steps (their TCP/HTTP
 * smoke checks to launched instances), `target` on launched instances unless the wave names others.
 */
export type SecurityGroupRole = 'replication' | 'endpoints' | 'orchestrator' | 'probe' | 'target' | 'default';

export interface SecurityGroup {
  readonly groupId: string;
  readonly groupName: string;
  readonly description: string;
  readonly vpcId: string;
  readonly ingress: SecurityGroupRule[];
  readonly egress: SecurityGroupRule[];
  /** Which of the stack's groups it is; none for groups a scenario adds. */
  readonly role?: SecurityGroupRole;
}

export interface VpcEndpoint {
  readonly vpcEndpointId: string;
  readonly vpcId: string;
  /** com.amazonaws.<region>.<service> */
  readonly serviceName: string;
  readonly type: 'Interface' | 'Gateway';
  readonly subnetIds: string[];
  readonly groupIds: string[];
  readonly routeTableIds: string[];
  readonly privateDnsEnabled: boolean;
  /** Endpoint-specific regional DNS name (interface endpoints). */
  readonly dnsName?: string;
}

export interface InstanceProfile {
  readonly name: string;
  readonly arn: string;
  readonly id: string;
  /** Its role carries what the SSM agent needs (AmazonSSMManagedInstanceCore). */
  readonly ssmAgent: boolean;
}

/** The ids of everything the simulated stack created, as its outputs and the Lambdas' environment name them. */
export interface StackNetwork {
  readonly stackName: string;
  readonly region: string;
  readonly mode: 'new' | 'existing';
  readonly vpcId: string;
  readonly vpcCidr: string;
  readonly subnetIds: Readonly<Record<SubnetTier, readonly string[]>>;
  /** STAGING_SUBNET_ID: the first staging subnet. */
  readonly stagingSubnetId: string;
  readonly securityGroupIds: Readonly<Record<Exclude<SecurityGroupRole, 'default'>, string>>;
  readonly launchedInstanceProfileName: string;
  readonly routeTableIds: readonly string[];
  /** service name suffix (ssm, mgn, …, "s3-gateway") -> vpce- id */
  readonly vpcEndpointIds: Readonly<Record<string, string>>;
}

/** Everything in one region: the stack's network and whatever a scenario added. */
export interface RegionNetwork {
  readonly region: string;
  readonly vpcs: Vpc[];
  readonly subnets: Subnet[];
  readonly routeTables: RouteTable[];
  readonly securityGroups: SecurityGroup[];
  readonly endpoints: VpcEndpoint[];
  /** IAM instance profiles of the account (IAM is global; listed with the network that uses them). */
  readonly instanceProfiles: InstanceProfile[];
  /** Set for the region the deploy config deploys to. */
  readonly stack?: StackNetwork;
}

// ------------------------------------------------------------------ IPv4

export function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

export function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/** First and last address of a CIDR block. */
export function cidrRange(cidr: string): { first: number; last: number; size: number } {
  const [ip, maskText] = cidr.split('/');
  const mask = Number(maskText);
  const size = 2 ** (32 - mask);
  const first = Math.floor(ipToNumber(ip) / size) * size;
  return { first, last: first + size - 1, size };
}

export const cidrContainsIp = (cidr: string, ip: string): boolean => {
  const { first, last } = cidrRange(cidr);
  const n = ipToNumber(ip);
  return n >= first && n <= last;
};

export const cidrContainsCidr = (outer: string, inner: string): boolean => {
  const o = cidrRange(outer);
  const i = cidrRange(inner);
  return i.first >= o.first && i.last <= o.last;
};

export const cidrsOverlap = (a: string, b: string): boolean => {
  const x = cidrRange(a);
  const y = cidrRange(b);
  return x.first <= y.last && y.first <= x.last;
};

/** EC2 reserves the first four addresses and the last one of every subnet (VPC user guide, "Subnet CIDR blocks"). */
export function isReservedAddress(subnetCidr: string, ip: string): boolean {
  const { first, last } = cidrRange(subnetCidr);
  const n = ipToNumber(ip);
  return n < first + 4 || n === last;
}

// ------------------------------------------------------------------ ids

/** 17 lowercase hex digits from a key (SHA-256), starting with 0: the shape of today's EC2 resource ids. */
export function hashHex17(key: string): string {
  return `0${createHash('sha256').update(key).digest('hex').slice(0, 16)}`;
}

const idOf = (prefix: string, key: string) => `${prefix}-${hashHex17(key)}`;

/** The AZ id EC2 reports for an AZ name (ap-south-1a -> aps1-az1): stable, letter order. */
export function availabilityZoneId(zone: string): string {
  const m = /^([a-z]{2})(-gov|-iso[a-z]?)?-([a-z]+)-([0-9]{1,2})([a-z])$/.exec(zone);
  if (!m) return `${zone}-az1`;
  const [, country, , area, number, letter] = m;
  return `${country}${area[0]}${number}-az${letter.charCodeAt(0) - 96}`;
}

// ------------------------------------------------------------------ deploy configs

/** The deploy config `mgnctl simulate` and `mgnctl emulator` use unless given --deploy-config. */
export const DEFAULT_DEPLOY_CONFIG_PATH = join(__dirname, '..', DEFAULT_CONFIG_FILE);

let defaultConfig: DeployConfig | undefined;

/**
 * The default deploy config (examples/deploy/cross-region.json); with `region`, the same network
 * moved to that region (its AZ letters kept), for programmatic emulators whose waves target another
 * region. The CLI never moves it: there a region mismatch is an error.
 */
export function defaultDeployConfig(region?: string): DeployConfig {
  defaultConfig ??= loadDeployConfig(DEFAULT_DEPLOY_CONFIG_PATH);
  return region && region !== defaultConfig.region ? moveDeployConfig(defaultConfig, region) : defaultConfig;
}

/** A `mode: "new"` deploy config in another region: same CIDRs and AZ letters, sources of other regions kept. */
export function moveDeployConfig(config: DeployConfig, region: string): DeployConfig {
  if (config.network.mode !== 'new') throw new Error('only a mode "new" deploy config can be moved to another region');
  return {
    ...config,
    region,
    network: { ...config.network, availabilityZones: config.network.availabilityZones.map((z) => `${region}${z.slice(config.region.length)}`) },
    sourceRegions: config.sourceRegions.filter((s) => s.region !== region),
    // the prefix list is regional: the moved network gets its region's stand-in
    s3PrefixListId: standInS3PrefixList(region),
  };
}

// ------------------------------------------------------------------ the stack's network

const STACK_NEW_TIERS: readonly { tier: SubnetTier; group: string; layoutTier: SubnetTierName }[] = [
  { tier: 'orchestrator', group: 'orchestrator', layoutTier: 'orchestrator' },
  { tier: 'staging', group: 'staging', layoutTier: 'staging' },
  { tier: 'endpoint', group: 'endpoints', layoutTier: 'endpoints' },
  { tier: 'test', group: 'test', layoutTier: 'test' },
  { tier: 'cutover', group: 'cutover', layoutTier: 'cutover' },
];

/** `network.targetSubnets` of `mode: "existing"` (required by infra/config.ts once the stack has the tiers). */
function existingTargetSubnets(network: DeployConfig['network']): { test: ExistingSubnetConfig[]; cutover: ExistingSubnetConfig[] } {
  const target = (network as { targetSubnets?: { test?: ExistingSubnetConfig[]; cutover?: ExistingSubnetConfig[] } }).targetSubnets;
  return { test: target?.test ?? [], cutover: target?.cutover ?? [] };
}

/** The S3 managed prefix list of a region (the config's, or a stable stand-in). */
const standInS3PrefixList = (region: string) => idOf('pl', `s3-prefix-list/${region}`).slice(0, 11);
const s3PrefixList = (config: DeployConfig) => config.s3PrefixListId ?? standInS3PrefixList(config.region);

/**
 * The deploy config's network in its region, as the stack would leave it. `extra` (a scenario's
 * network additions) is validated and added; problems throw InvalidInputError naming each field.
 */
export function networkFromDeployConfig(config: DeployConfig, extra?: ScenarioNetwork): RegionNetwork {
  const region = config.region;
  const key = (what: string) => `${config.stackName}/${region}/${what}`;
  const vpcs: Vpc[] = [];
  const subnets: Subnet[] = [];
  const routeTables: RouteTable[] = [];

  let vpcId: string;
  let vpcCidr: string;
  if (config.network.mode === 'new') {
    const network = config.network;
    vpcId = idOf('vpc', key('vpc'));
    vpcCidr = network.cidr;
    // The same layout the CDK app allocates (infra/subnet-layout.ts), so the two networks cannot drift.
    const layout = subnetLayout(config);
    for (const t of STACK_NEW_TIERS)
      layout[t.layoutTier].forEach((planned, i) => {
        const subnetId = idOf('subnet', key(`${t.group}/${i}`));
        const routeTableId = idOf('rtb', key(`${t.group}/${i}`));
        const name = `${config.stackName}/Network/Vpc/${t.group}Subnet${i + 1}`;
        subnets.push({ subnetId, vpcId, cidrBlock: planned.cidr, availabilityZone: planned.availabilityZone, routeTableId, name, tier: t.tier });
        routeTables.push({ routeTableId, vpcId, main: false, routes: [], subnetIds: [subnetId], name });
      });
  } else {
    const network = config.network;
    vpcId = network.vpcId;
    vpcCidr = network.vpcCidr;
    const target = existingTargetSubnets(network);
    const tiers: [SubnetTier, ExistingSubnetConfig[]][] = [
      ['orchestrator', network.orchestratorSubnets],
      ['staging', network.stagingSubnets],
      ['endpoint', network.endpointSubnets],
      ['test', target.test],
      ['cutover', target.cutover],
    ];
    for (const [tier, list] of tiers)
      list.forEach((s, i) => {
        if (subnets.some((x) => x.subnetId === s.subnetId)) return; // one subnet may serve two tiers
        subnets.push({ subnetId: s.subnetId, vpcId, cidrBlock: s.cidr, availabilityZone: s.availabilityZone, routeTableId: s.routeTableId, name: `${tier}-${i + 1}`, tier });
        const table = routeTables.find((t) => t.routeTableId === s.routeTableId);
        if (table) table.subnetIds.push(s.subnetId);
        else routeTables.push({ routeTableId: s.routeTableId, vpcId, main: false, routes: [], subnetIds: [s.subnetId], name: s.routeTableId });
      });
  }
  vpcs.push({ vpcId, cidrBlock: vpcCidr, name: `${config.stackName}/Network/Vpc` });
  // Every VPC has a main route table (local route only); the stack's subnets use their own tables.
  routeTables.push({ routeTableId: idOf('rtb', key('main')), vpcId, main: true, routes: [], subnetIds: [], name: `${config.stackName} main` });

  const tierIds = (tier: SubnetTier) => subnets.filter((s) => s.tier === tier).map((s) => s.subnetId);
  const tierCidrs = (tier: SubnetTier) => subnets.filter((s) => s.tier === tier).map((s) => s.cidrBlock);
  const tierTables = (tiers: SubnetTier[]) => [...new Set(subnets.filter((s) => s.tier && tiers.includes(s.tier)).map((s) => s.routeTableId))];

  // ---- endpoints (ServiceEndpoints)
  const endpointIds: Record<string, string> = {};
  const groupId = (role: SecurityGroupRole) => idOf('sg', key(`sg/${role}`));
  const sg = {
    replication: groupId('replication'),
    endpoints: groupId('endpoints'),
    orchestrator: groupId('orchestrator'),
    probe: groupId('probe'),
    target: groupId('target'),
  };
  // the EC2 endpoint and the orchestrator's own endpoints each have their own group (ServiceEndpoints)
  const separateGroup = { ec2: idOf('sg', key('sg/ec2-endpoint')), orchestrator: idOf('sg', key('sg/orchestrator-endpoints')) };
  const groupOfService = (service: string): string =>
    (Object.keys(SEPARATE_ENDPOINT_GROUPS) as (keyof typeof SEPARATE_ENDPOINT_GROUPS)[])
      .filter((g) => (SEPARATE_ENDPOINT_GROUPS[g] as readonly string[]).includes(service))
      .map((g) => separateGroup[g])[0] ?? sg.endpoints;
  const endpoints: VpcEndpoint[] = [];
  const s3Gateway = idOf('vpce', key('endpoint/s3-gateway'));
  endpointIds['s3-gateway'] = s3Gateway;
  endpoints.push({
    vpcEndpointId: s3Gateway,
    vpcId,
    serviceName: `com.amazonaws.${region}.s3`,
    type: 'Gateway',
    subnetIds: [],
    groupIds: [],
    routeTableIds: tierTables(['staging']),
    privateDnsEnabled: false,
  });
  const services: string[] = [...STACK_INTERFACE_SERVICES, ...(config.api.enabled && config.api.endpointType === 'PRIVATE' ? ['execute-api'] : [])];
  for (const service of services) {
    const id = idOf('vpce', key(`endpoint/${service}`));
    endpointIds[service] = id;
    endpoints.push({
      vpcEndpointId: id,
      vpcId,
      serviceName: `com.amazonaws.${region}.${service}`,
      type: 'Interface',
      subnetIds: tierIds('endpoint'),
      groupIds: [groupOfService(service)],
      routeTableIds: [],
      privateDnsEnabled: true,
      dnsName: `${id}-${hashHex17(`${id}/dns`).slice(0, 8)}.${service}.${region}.vpce.amazonaws.com`,
    });
  }

  // ---- routes: local everywhere; S3 gateway on the staging tables; peering and TGW to the sources on the
  // orchestrator, staging and endpoint tables and, in a new VPC, the cutover tables (a cutover instance
  // serves the source's clients). Test tables get none: a test clone stays off the source network. The
  // tables of an existing VPC's target subnets are the operator's and stay as they are.
  const sourceRouteTables = tierTables(config.network.mode === 'new' ? ['orchestrator', 'staging', 'endpoint', 'cutover'] : ['orchestrator', 'staging', 'endpoint']);
  const stackTables = tierTables([...SUBNET_TIERS]);
  for (const t of routeTables) {
    t.routes.push({ destinationCidrBlock: vpcCidr, gatewayId: 'local', origin: 'CreateRouteTable' });
    if (!stackTables.includes(t.routeTableId)) continue;
    if (tierTables(['staging']).includes(t.routeTableId))
      t.routes.push({ destinationPrefixListId: s3PrefixList(config), gatewayId: s3Gateway, origin: 'CreateRoute' });
    if (!sourceRouteTables.includes(t.routeTableId)) continue;
    for (const p of config.connectivity.peering)
      t.routes.push({ destinationCidrBlock: p.destinationCidr, vpcPeeringConnectionId: p.peeringConnectionId, origin: 'CreateRoute' });
    const tgw = config.connectivity.transitGateway;
    if (tgw) for (const cidr of tgw.destinationCidrs) t.routes.push({ destinationCidrBlock: cidr, transitGatewayId: tgw.transitGatewayId, origin: 'CreateRoute' });
  }

  // ---- security groups (ReplicationSecurity, ServiceEndpoints, OrchestratorFunctions, the target group)
  const https = (peer: Partial<SecurityGroupRule>, description: string): SecurityGroupRule => ({ protocol: 'tcp', fromPort: 443, toPort: 443, description, ...peer });
  const securityGroups: SecurityGroup[] = [
    {
      groupId: idOf('sg', key('sg/default')),
      groupName: 'default',
      description: 'default VPC security group',
      vpcId,
      role: 'default',
      ingress: [{ protocol: '-1', groupId: idOf('sg', key('sg/default')), description: 'members of the group' }],
      egress: [{ protocol: '-1', cidr: '0.0.0.0/0' }],
    },
    {
      groupId: sg.replication,
      groupName: `${config.stackName}-ReplicationSecurityGroup`,
      description: 'MGN replication servers: TCP 1500 from the source servers',
      vpcId,
      role: 'replication',
      ingress: config.sourceCidrs.map((cidr) => ({ protocol: 'tcp', fromPort: 1500, toPort: 1500, cidr, description: `replication data from sources ${cidr}` })),
      egress: [
        https({ groupId: sg.endpoints }, 'MGN, EC2 and S3 interface endpoints'),
        https({ groupId: separateGroup.ec2 }, 'MGN, EC2 and S3 interface endpoints'),
        https({ prefixListId: s3PrefixList(config) }, 'S3 gateway endpoint'),
      ],
    },
    {
      groupId: sg.endpoints,
      groupName: `${config.stackName}-EndpointsSecurityGroup`,
      description: 'Interface endpoints: TCP 443 from sources, staging, orchestrator and target subnets',
      vpcId,
      role: 'endpoints',
      ingress: [
        ...config.sourceCidrs.map((cidr) => https({ cidr }, `source servers ${cidr}`)),
        ...tierCidrs('staging').map((cidr) => https({ cidr }, `staging subnet ${cidr}`)),
        ...tierCidrs('orchestrator').map((cidr) => https({ cidr }, `orchestrator subnet ${cidr}`)),
        ...[...tierCidrs('test'), ...tierCidrs('cutover')].map((cidr) => https({ cidr }, `target subnet ${cidr}`)),
        https({ groupId: sg.replication }, 'MGN, EC2 and S3 interface endpoints'),
        https({ groupId: sg.orchestrator }, 'AWS APIs through the interface endpoints'),
      ],
      egress: [],
    },
    {
      groupId: separateGroup.ec2,
      groupName: `${config.stackName}-Ec2EndpointSecurityGroup`,
      description: 'EC2 endpoint: TCP 443 from the staging (replication, conversion) and orchestrator subnets',
      vpcId,
      ingress: [
        ...tierCidrs('staging').map((cidr) => https({ cidr }, `staging subnet ${cidr}`)),
        ...tierCidrs('orchestrator').map((cidr) => https({ cidr }, `orchestrator subnet ${cidr}`)),
        https({ groupId: sg.replication }, 'MGN, EC2 and S3 interface endpoints'),
        https({ groupId: sg.orchestrator }, 'AWS APIs through the interface endpoints'),
      ],
      egress: [],
    },
    {
      groupId: separateGroup.orchestrator,
      groupName: `${config.stackName}-OrchestratorEndpointsSecurityGroup`,
      description: 'Endpoints only the orchestrator uses (states, sts, sns, events, logs, kms, servicequotas): TCP 443 from its subnets',
      vpcId,
      ingress: [
        ...tierCidrs('orchestrator').map((cidr) => https({ cidr }, `orchestrator subnet ${cidr}`)),
        https({ groupId: sg.orchestrator }, 'AWS APIs through the interface endpoints'),
      ],
      egress: [],
    },
    {
      groupId: sg.orchestrator,
      groupName: `${config.stackName}-FunctionsSecurityGroup`,
      description: 'Orchestrator Lambdas: TCP 443 to the interface endpoints',
      vpcId,
      role: 'orchestrator',
      ingress: [],
      egress: [
        https({ groupId: sg.endpoints }, 'AWS APIs through the interface endpoints'),
        https({ groupId: separateGroup.ec2 }, 'AWS APIs through the interface endpoints'),
        https({ groupId: separateGroup.orchestrator }, 'AWS APIs through the interface endpoints'),
        ...config.sourceRegions.map((s) => https({ cidr: s.ssmEndpointCidr }, `SSM endpoint in ${s.region}`)),
      ],
    },
    {
      groupId: sg.probe,
      groupName: `${config.stackName}-ProbeSecurityGroup`,
      description: 'Verify steps: TCP smoke checks to test and cutover instances',
      vpcId,
      role: 'probe',
      ingress: [],
      egress: [...tierCidrs('test'), ...tierCidrs('cutover')].map((cidr) => ({ protocol: 'tcp' as const, fromPort: 0, toPort: 65535, cidr, description: `smoke checks to ${cidr}` })),
    },
    {
      groupId: sg.target,
      groupName: `${config.stackName}-TargetSecurityGroup`,
      description: 'MGN test and cutover instances: TCP 443 to the VPC endpoints (SSM agent)',
      vpcId,
      role: 'target',
      ingress: [{ protocol: 'tcp', fromPort: 0, toPort: 65535, groupId: sg.probe, description: 'smoke checks from the verify steps' }],
      egress: [https({ groupId: sg.endpoints }, 'SSM agent to the ssm, ssmmessages and ec2messages endpoints')],
    },
  ];

  const profileName = `${config.stackName}-LaunchedInstanceProfile`;
  const instanceProfiles: InstanceProfile[] = [instanceProfile(profileName, true)];

  const stack: StackNetwork = {
    stackName: config.stackName,
    region,
    mode: config.network.mode,
    vpcId,
    vpcCidr,
    subnetIds: Object.fromEntries(SUBNET_TIERS.map((t) => [t, tierIds(t)])) as Record<SubnetTier, string[]>,
    stagingSubnetId: tierIds('staging')[0],
    securityGroupIds: sg,
    launchedInstanceProfileName: profileName,
    routeTableIds: stackTables,
    vpcEndpointIds: endpointIds,
  };
  const net: RegionNetwork = { region, vpcs, subnets, routeTables, securityGroups, endpoints, instanceProfiles, stack };
  if (extra) addScenarioNetwork(net, extra);
  // the deploy config's launchInstanceProfiles exist in the account (a scenario may describe them itself)
  for (const p of config.launchInstanceProfiles ?? [])
    if (!net.instanceProfiles.some((x) => x.name === p.name)) net.instanceProfiles.push(instanceProfile(p.name, true));
  return net;
}

export function instanceProfile(name: string, ssmAgent: boolean): InstanceProfile {
  const id = `AIPA${hashHex17(`instance-profile/${name}`).toUpperCase()}`.slice(0, 21);
  return { name, arn: `arn:aws:iam::${NETWORK_ACCOUNT_ID}:instance-profile/${name}`, id, ssmAgent };
}

/**
 * A region that is not the deploy config's: a source VPC (the sources' CIDR) holding EC2 sources,
 * with a default security group; no stack, no endpoints, no default VPC.
 */
export function sourceRegionNetwork(region: string, sourceCidr: string): RegionNetwork {
  const key = (what: string) => `sources/${region}/${what}`;
  const vpcId = idOf('vpc', key('vpc'));
  const routeTableId = idOf('rtb', key('main'));
  const subnetId = idOf('subnet', key('subnet'));
  const defaultGroup = idOf('sg', key('sg/default'));
  return {
    region,
    vpcs: [{ vpcId, cidrBlock: sourceCidr, name: 'source VPC' }],
    subnets: [{ subnetId, vpcId, cidrBlock: sourceCidr, availabilityZone: `${region}a`, routeTableId, name: 'sources' }],
    routeTables: [{ routeTableId, vpcId, main: true, routes: [{ destinationCidrBlock: sourceCidr, gatewayId: 'local', origin: 'CreateRouteTable' }], subnetIds: [subnetId], name: 'source VPC main' }],
    securityGroups: [
      {
        groupId: defaultGroup,
        groupName: 'default',
        description: 'default VPC security group',
        vpcId,
        role: 'default',
        ingress: [{ protocol: '-1', groupId: defaultGroup }],
        egress: [{ protocol: '-1', cidr: '0.0.0.0/0' }],
      },
    ],
    endpoints: [],
    instanceProfiles: [],
  };
}

/** One line per kind of resource the simulated stack created (also report.json `network`). */
export function networkSummary(stack: StackNetwork): string[] {
  const ids = (list: readonly string[]) => (list.length ? list.join(', ') : '(none)');
  return [
    `network (${stack.region}): VPC ${stack.vpcId} ${stack.vpcCidr}, no default VPC`,
    `  test subnets ${ids(stack.subnetIds.test)}; cutover subnets ${ids(stack.subnetIds.cutover)}`,
    `  staging subnet ${stack.stagingSubnetId}; orchestrator subnets ${ids(stack.subnetIds.orchestrator)}; endpoint subnets ${ids(stack.subnetIds.endpoint)}`,
    `  security groups: target ${stack.securityGroupIds.target}, replication ${stack.securityGroupIds.replication}, endpoints ${stack.securityGroupIds.endpoints}, orchestrator ${stack.securityGroupIds.orchestrator}, probe ${stack.securityGroupIds.probe}`,
    `  launched-instance profile ${stack.launchedInstanceProfileName}; ${Object.keys(stack.vpcEndpointIds).length} VPC endpoints`,
  ];
}

// ------------------------------------------------------------------ scenario additions

/**
 * Adds a scenario's network resources to the region, checking them as EC2 would have when they were
 * created: ids unique, every VPC reference known, subnet CIDRs inside their VPC and not overlapping,
 * AZs of the region, routes to known targets. Throws InvalidInputError naming every problem.
 */
export function addScenarioNetwork(net: RegionNetwork, extra: ScenarioNetwork): void {
  const problems: string[] = [];
  const taken = new Set<string>([...net.vpcs.map((v) => v.vpcId), ...net.subnets.map((s) => s.subnetId), ...net.securityGroups.map((g) => g.groupId)]);
  const claim = (id: string, path: string) => {
    if (taken.has(id)) problems.push(`${path}: ${id} is already used by another resource of the network`);
    taken.add(id);
  };
  const defaultVpc = net.stack?.vpcId ?? net.vpcs[0]?.vpcId;

  (extra.vpcs ?? []).forEach((v, i) => {
    const path = `network.vpcs[${i}]`;
    claim(v.vpcId, `${path}.vpcId`);
    const name = v.name ?? v.vpcId;
    net.vpcs.push({ vpcId: v.vpcId, cidrBlock: v.cidr, name });
    const routeTableId = idOf('rtb', `scenario/${v.vpcId}/main`);
    net.routeTables.push({ routeTableId, vpcId: v.vpcId, main: true, routes: [{ destinationCidrBlock: v.cidr, gatewayId: 'local', origin: 'CreateRouteTable' }], subnetIds: [], name: `${name} main` });
    const groupId = idOf('sg', `scenario/${v.vpcId}/default`);
    net.securityGroups.push({ groupId, groupName: 'default', description: 'default VPC security group', vpcId: v.vpcId, role: 'default', ingress: [{ protocol: '-1', groupId }], egress: [{ protocol: '-1', cidr: '0.0.0.0/0' }] });
  });
  const vpcOf = (id: string | undefined, path: string): Vpc | undefined => {
    const vpcId = id ?? defaultVpc;
    const vpc = net.vpcs.find((v) => v.vpcId === vpcId);
    if (!vpc) problems.push(`${path}: VPC ${vpcId ?? '(none)'} is neither the stack's VPC nor one of network.vpcs`);
    return vpc;
  };

  (extra.subnets ?? []).forEach((s, i) => {
    const path = `network.subnets[${i}]`;
    claim(s.subnetId, `${path}.subnetId`);
    const vpc = vpcOf(s.vpcId, `${path}.vpcId`);
    if (!s.availabilityZone.startsWith(net.region) || !/^[a-z]$/.test(s.availabilityZone.slice(net.region.length)))
      problems.push(`${path}.availabilityZone: ${s.availabilityZone} is not an availability zone of ${net.region}`);
    if (!vpc) return;
    if (!cidrContainsCidr(vpc.cidrBlock, s.cidr)) problems.push(`${path}.cidr: ${s.cidr} is not inside VPC ${vpc.vpcId} (${vpc.cidrBlock})`);
    const clash = net.subnets.find((x) => x.vpcId === vpc.vpcId && cidrsOverlap(x.cidrBlock, s.cidr));
    if (clash) problems.push(`${path}.cidr: ${s.cidr} overlaps subnet ${clash.subnetId} (${clash.cidrBlock})`);
    const routeTableId = idOf('rtb', `scenario/${s.subnetId}`);
    const routes: Route[] = [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }];
    (s.routes ?? []).forEach((r, j) => {
      const t = r.target;
      const base = { destinationCidrBlock: r.destination, origin: 'CreateRoute' as const };
      if (t.startsWith('igw-')) routes.push({ ...base, gatewayId: t });
      else if (t.startsWith('nat-')) routes.push({ ...base, natGatewayId: t });
      else if (t.startsWith('pcx-')) routes.push({ ...base, vpcPeeringConnectionId: t });
      else if (t.startsWith('tgw-')) routes.push({ ...base, transitGatewayId: t });
      else problems.push(`${path}.routes[${j}].target: ${t} is not an igw-, nat-, pcx- or tgw- id`);
      if (cidrsOverlap(r.destination, vpc.cidrBlock) && r.destination !== '0.0.0.0/0')
        problems.push(`${path}.routes[${j}].destination: ${r.destination} overlaps the VPC's own CIDR ${vpc.cidrBlock} (the local route)`);
    });
    net.subnets.push({ subnetId: s.subnetId, vpcId: vpc.vpcId, cidrBlock: s.cidr, availabilityZone: s.availabilityZone, routeTableId, name: s.name ?? s.subnetId });
    net.routeTables.push({ routeTableId, vpcId: vpc.vpcId, main: false, routes, subnetIds: [s.subnetId], name: s.name ?? s.subnetId });
  });

  (extra.securityGroups ?? []).forEach((g, i) => {
    const path = `network.securityGroups[${i}]`;
    claim(g.groupId, `${path}.groupId`);
    const vpc = vpcOf(g.vpcId, `${path}.vpcId`);
    if (!vpc) return;
    if (net.securityGroups.some((x) => x.vpcId === vpc.vpcId && x.groupName === g.name))
      problems.push(`${path}.name: VPC ${vpc.vpcId} already has a security group named ${JSON.stringify(g.name)}`);
    const rule = (r: NonNullable<typeof g.ingress>[number]): SecurityGroupRule => ({
      protocol: r.protocol,
      ...(r.fromPort !== undefined ? { fromPort: r.fromPort } : {}),
      ...(r.toPort !== undefined ? { toPort: r.toPort } : {}),
      ...(r.cidr ? { cidr: r.cidr } : {}),
      ...(r.groupId ? { groupId: r.groupId } : {}),
    });
    net.securityGroups.push({
      groupId: g.groupId,
      groupName: g.name,
      description: g.description ?? g.name,
      vpcId: vpc.vpcId,
      ingress: (g.ingress ?? []).map(rule),
      // a new security group allows all outbound traffic until told otherwise (VPC user guide)
      egress: g.egress ? g.egress.map(rule) : [{ protocol: '-1', cidr: '0.0.0.0/0' }],
    });
  });
  (extra.securityGroups ?? []).forEach((g, i) =>
    [...(g.ingress ?? []), ...(g.egress ?? [])].forEach((r) => {
      if (r.groupId && !net.securityGroups.some((x) => x.groupId === r.groupId))
        problems.push(`network.securityGroups[${i}]: a rule names security group ${r.groupId}, which does not exist`);
    }),
  );

  const roleOrId = (value: string) => (net.stack && Object.hasOwn(net.stack.securityGroupIds, value) ? net.stack.securityGroupIds[value as keyof StackNetwork['securityGroupIds']] : value);
  (extra.securityGroupRules ?? []).forEach((r, i) => {
    const path = `network.securityGroupRules[${i}]`;
    const group = net.securityGroups.find((g) => g.groupId === roleOrId(r.group));
    if (!group) return problems.push(`${path}.group: security group ${r.group} does not exist`);
    const peer = r.groupId === undefined ? undefined : roleOrId(r.groupId);
    if (peer !== undefined && !net.securityGroups.some((g) => g.groupId === peer)) return problems.push(`${path}.groupId: security group ${r.groupId} does not exist`);
    const rule: SecurityGroupRule = {
      protocol: r.protocol,
      ...(r.fromPort !== undefined ? { fromPort: r.fromPort } : {}),
      ...(r.toPort !== undefined ? { toPort: r.toPort } : {}),
      ...(r.cidr ? { cidr: r.cidr } : {}),
      ...(peer ? { groupId: peer } : {}),
      description: 'added by the scenario',
    };
    (r.direction === 'ingress' ? group.ingress : group.egress).push(rule);
  });

  (extra.instanceProfiles ?? []).forEach((p, i) => {
    if (net.instanceProfiles.some((x) => x.name === p.name)) problems.push(`network.instanceProfiles[${i}].name: ${p.name} already exists`);
    else net.instanceProfiles.push(instanceProfile(p.name, p.ssmAgent ?? true));
  });

  if (problems.length) throw new InvalidInputError('scenario', problems);
}

// ------------------------------------------------------------------ reachability

/** Whether a rule admits `protocol`/`port` from or to a peer (its address and its security groups). */
function ruleAdmits(rule: SecurityGroupRule, port: number, peer: { ip: string; groupIds: readonly string[] }): boolean {
  if (rule.protocol !== '-1') {
    if (rule.protocol !== 'tcp') return false;
    if (rule.fromPort !== undefined && port < rule.fromPort) return false;
    if (rule.toPort !== undefined && port > rule.toPort) return false;
  }
  if (rule.cidr) return cidrContainsIp(rule.cidr, peer.ip);
  if (rule.groupId) return peer.groupIds.includes(rule.groupId);
  return false; // prefix lists name AWS service ranges, never an instance
}

/**
 * Whether a TCP connection from one ENI to another in the same VPC gets through security groups:
 * one egress rule of the source's groups and one ingress rule of the destination's (groups are
 * stateful, so the answer needs nothing more). Network ACLs are the VPC default (allow all).
 */
export function tcpAllowed(
  net: RegionNetwork,
  from: { ip: string; groupIds: readonly string[] },
  to: { ip: string; groupIds: readonly string[] },
  port: number,
): boolean {
  const groups = (ids: readonly string[]) => ids.map((id) => net.securityGroups.find((g) => g.groupId === id)).filter((g): g is SecurityGroup => !!g);
  const out = groups(from.groupIds).some((g) => g.egress.some((r) => ruleAdmits(r, port, to)));
  const inbound = groups(to.groupIds).some((g) => g.ingress.some((r) => ruleAdmits(r, port, from)));
  return out && inbound;
}

/** Interface endpoints of `service` in a VPC. */
export const interfaceEndpoints = (net: RegionNetwork, vpcId: string, service: string): VpcEndpoint[] =>
  net.endpoints.filter((e) => e.vpcId === vpcId && e.type === 'Interface' && e.serviceName === `com.amazonaws.${net.region}.${service}`);

/**
 * Why an instance's SSM agent cannot reach SSM through the VPC's endpoints, or undefined when it can:
 * the ssm, ssmmessages and ec2messages interface endpoints must be in its VPC and TCP 443 to them
 * must get through its security groups and theirs.
 */
export function ssmUnreachable(net: RegionNetwork, instance: { vpcId: string; ip: string; groupIds: readonly string[] }): string | undefined {
  for (const service of SSM_AGENT_SERVICES) {
    const endpoints = interfaceEndpoints(net, instance.vpcId, service);
    if (endpoints.length === 0) return `VPC ${instance.vpcId} has no ${service} interface endpoint`;
    const reachable = endpoints.some((e) => {
      const subnet = net.subnets.find((s) => e.subnetIds.includes(s.subnetId));
      const ip = subnet ? numberToIp(cidrRange(subnet.cidrBlock).first + 4) : '0.0.0.0';
      return tcpAllowed(net, instance, { ip, groupIds: e.groupIds }, 443);
    });
    if (!reachable) return `TCP 443 from the instance to the ${service} endpoint is not allowed by the security groups`;
  }
  return undefined;
}

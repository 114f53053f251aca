/**
 * EC2 (ec2 query protocol): form-encoded `Action=...`, XML answers in the 2016-11-15 namespace.
 * Instances are the fleet's EC2 sources and the instances MGN launched; VPCs, subnets, route tables,
 * endpoints and security groups are each region's network (simulator/network.ts); launch templates
 * are MGN's, one per source server (launch-templates.ts).
 *
 * Filters are checked by name for each operation whatever the data: a name the operation does not
 * document is refused with InvalidParameterValue, as EC2 does. Filter values may use * and ?.
 */
import { ApiError } from './errors';
import { ACCOUNT_ID, type Ec2Instance, type Fleet } from './fleet';
import {
  latestVersion,
  overlay,
  parseLaunchTemplateData,
  renderTemplate,
  renderTemplateVersion,
  type LaunchTemplate,
  type LaunchTemplateData,
  type LaunchTemplateVersion,
} from './launch-templates';
import type { Context } from './mgn';
import type { XmlValue } from './protocols';
import { asObject, asStringList, decodeToken, encodeToken, iso } from './validate';
import { availabilityZoneId, type RegionNetwork, type Route, type RouteTable, type SecurityGroup, type SecurityGroupRule, type Subnet, type Vpc, type VpcEndpoint } from '../network';

type Obj = Record<string, unknown>;

export interface QueryOperation {
  readonly mutating?: boolean;
  run(input: Obj, ctx: Context): XmlValue;
}

/** The EC2 error codes the emulator answers with (EC2's model lists no errors; see the EC2 API "Error codes" page). */
export const EC2_ERROR_CODES = [
  'InvalidInstanceID.NotFound',
  'InvalidInstanceID.Malformed',
  'InvalidSubnetID.NotFound',
  'InvalidSubnetID.Malformed',
  'InvalidGroup.NotFound',
  'InvalidGroupId.Malformed',
  'InvalidRouteTableID.NotFound',
  'InvalidRouteTableId.Malformed',
  'InvalidVpcID.NotFound',
  'InvalidVpcID.Malformed',
  'InvalidVpcEndpointId.NotFound',
  'InvalidVpcEndpointId.Malformed',
  'InvalidLaunchTemplateId.Malformed',
  'InvalidLaunchTemplateId.NotFound',
  'InvalidLaunchTemplateId.VersionNotFound',
  'InvalidLaunchTemplateName.NotFoundException',
  'InvalidLaunchTemplateName.MalformedException',
  'MaxTemplateVersionLimitExceeded',
  'IdempotentParameterMismatch',
  'VPCIdNotSpecified',
  'InvalidParameter',
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'MissingParameter',
  'UnknownParameter',
  'InvalidFilter',
  'InvalidPaginationToken',
  'InvalidAction',
  'DryRunOperation',
  'RequestLimitExceeded',
  'InternalError',
] as const;

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
const SUBNET_ID = /^subnet-([0-9a-f]{8}|[0-9a-f]{17})$/;
const GROUP_ID = /^sg-([0-9a-f]{8}|[0-9a-f]{17})$/;
const ROUTE_TABLE_ID = /^rtb-([0-9a-f]{8}|[0-9a-f]{17})$/;
const VPC_ID = /^vpc-([0-9a-f]{8}|[0-9a-f]{17})$/;
const VPC_ENDPOINT_ID = /^vpce-([0-9a-f]{8}|[0-9a-f]{17})$/;
const LAUNCH_TEMPLATE_ID = /^lt-[0-9a-f]{17}$/;
/** LaunchTemplateName in the model: 3-128 of letters, digits and ( ) . - / _ */
const LAUNCH_TEMPLATE_NAME = /^[a-zA-Z0-9().\-/_]{3,128}$/;
/** Launch template versions per template (EC2 user guide, "Launch template restrictions"). */
const MAX_TEMPLATE_VERSIONS = 10000;
const STATE_CODES: Record<Ec2Instance['state'], number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48, stopped: 80 };

const list = (input: Obj, key: string): string[] => asStringList(input[key]);

function maxResults(input: Obj, min: number, max: number): number | undefined {
  if (input.MaxResults === undefined) return undefined;
  const n = Number(input.MaxResults);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new ApiError('InvalidParameterValue', `Value ( ${String(input.MaxResults)} ) for parameter maxResults is invalid. Expecting a value between ${min} and ${max}.`);
  return n;
}

function paginate<T>(items: T[], input: Obj, max: number | undefined, salt: string): { page: T[]; nextToken?: string } {
  const offset = decodeToken(input.NextToken as string | undefined, salt);
  if (offset === undefined) throw new ApiError('InvalidPaginationToken', `Invalid pagination token: ${String(input.NextToken)}`);
  if (max === undefined) return { page: items.slice(offset) };
  return { page: items.slice(offset, offset + max), nextToken: offset + max < items.length ? encodeToken(offset + max, salt) : undefined };
}

function dryRun(input: Obj): void {
  if (input.DryRun === 'true') throw new ApiError('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
}

/** Ids looked up as EC2 does: the first malformed id, then every unknown id, named in the error. */
function byIds<T>(ids: string[], pattern: RegExp, find: (id: string) => T | undefined, malformed: string, notFound: string, what: (missing: string[]) => string): T[] {
  const bad = ids.find((id) => !pattern.test(id));
  if (bad !== undefined) throw new ApiError(malformed, `Invalid id: "${bad}"`);
  const missing = ids.filter((id) => find(id) === undefined);
  if (missing.length) throw new ApiError(notFound, what(missing));
  return [...new Set(ids)].map((id) => find(id)!);
}

// ------------------------------------------------------------------ filters

type FilterValue = string | number | boolean | undefined;
type Accessor<T> = (item: T) => FilterValue | readonly FilterValue[];

/** EC2 filter values match case-sensitively; `*` matches any run of characters and `?` one character. */
function valueMatches(pattern: string, value: string): boolean {
  if (!/[*?]/.test(pattern)) return pattern === value;
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  return re.test(value);
}

/**
 * Applies `Filter.N.Name` / `Filter.N.Value.M`: a name the table does not list (or a tag filter where
 * the resource has no tags) is InvalidParameterValue whether or not anything would match; an item
 * passes when every filter matches one of its values.
 */
function applyFilters<T>(items: T[], input: Obj, table: Record<string, Accessor<T>>, tags?: (item: T) => Record<string, string>): T[] {
  const filters = (Array.isArray(input.Filter) ? input.Filter : []).map((f, i) => {
    const o = asObject(f);
    const name = typeof o.Name === 'string' ? o.Name : '';
    if (!name) throw new ApiError('MissingParameter', `The request must contain the parameter Filter.${i + 1}.Name`);
    const values = asStringList(o.Value);
    if (values.length === 0) throw new ApiError('InvalidParameterValue', `The filter '${name}' needs at least one value (Filter.${i + 1}.Value.1)`);
    let accessor: Accessor<T> | undefined = table[name];
    if (!accessor && tags && name.startsWith('tag:') && name.length > 4) accessor = (item) => tags(item)[name.slice(4)];
    if (!accessor && tags && name === 'tag-key') accessor = (item) => Object.keys(tags(item));
    if (!accessor) throw new ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
    return { accessor, values };
  });
  return items.filter((item) =>
    filters.every(({ accessor, values }) => {
      const got = accessor(item);
      const all = (Array.isArray(got) ? got : [got]).filter((v): v is string | number | boolean => v !== undefined).map(String);
      return values.some((want) => all.some((v) => valueMatches(want, v)));
    }),
  );
}

const tagSet = (tags: Record<string, string>): XmlValue => Object.entries(tags).map(([key, value]) => ({ key, value }));

// ------------------------------------------------------------------ instances

/** Looks instances up by id as EC2 does: malformed ids and unknown ids are errors naming them. */
function instancesById(fleet: Fleet, region: string, ids: string[]): Ec2Instance[] {
  const bad = ids.filter((id) => !INSTANCE_ID.test(id));
  if (bad.length) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad[0]}"`);
  const missing = ids.filter((id) => fleet.instances.get(id)?.region !== region);
  if (missing.length)
    throw new ApiError('InvalidInstanceID.NotFound', `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`);
  return ids.map((id) => fleet.instances.get(id)!);
}

const INSTANCE_FILTERS: Record<string, Accessor<Ec2Instance>> = {
  'instance-id': (i) => i.instanceId,
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => STATE_CODES[i.state],
  'instance-type': (i) => i.instanceType,
  'availability-zone': (i) => i.availabilityZone,
  'subnet-id': (i) => i.subnetId,
  'vpc-id': (i) => i.vpcId,
  'private-ip-address': (i) => i.privateIp,
  'private-dns-name': (i) => privateDns(i),
  'network-interface.subnet-id': (i) => i.subnetId,
  'network-interface.vpc-id': (i) => i.vpcId,
  'network-interface.addresses.private-ip-address': (i) => i.privateIp,
  'network-interface.group-id': (i) => i.securityGroupIds,
  'instance.group-id': (i) => i.securityGroupIds,
  'iam-instance-profile.arn': (i) => i.iamInstanceProfile?.arn,
  'iam-instance-profile.id': (i) => i.iamInstanceProfile?.id,
  'owner-id': () => ACCOUNT_ID,
  'reservation-id': (i) => `r-${i.instanceId.slice(2)}`,
  'launch-time': (i) => iso(i.launchedAt),
  platform: (i) => (i.platform === 'Windows' ? 'windows' : undefined),
  'boot-mode': (i) => i.bootMode,
  'tenancy': () => 'default',
  'architecture': () => 'x86_64',
};

const privateDns = (i: Ec2Instance) => `ip-${i.privateIp.replace(/\./g, '-')}.${i.region}.compute.internal`;

function renderInstance(i: Ec2Instance, net: RegionNetwork): XmlValue {
  const windows = i.platform === 'Windows';
  const groups = i.securityGroupIds.map((groupId) => ({ groupId, groupName: net.securityGroups.find((g) => g.groupId === groupId)?.groupName ?? 'default' }));
  return {
    instanceId: i.instanceId,
    imageId: windows ? 'ami-0a1b2c3d4e5f60001' : 'ami-0a1b2c3d4e5f60002',
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    privateDnsName: i.state === 'terminated' ? '' : privateDns(i),
    dnsName: '',
    reason: i.state === 'terminated' || i.state === 'shutting-down' ? 'User initiated' : i.state === 'stopped' ? 'MGN launch disposition STOPPED' : '',
    amiLaunchIndex: 0,
    productCodes: [],
    instanceType: i.instanceType,
    launchTime: new Date(i.launchedAt).toISOString(),
    placement: { availabilityZone: i.availabilityZone, groupName: '', tenancy: 'default' },
    // the model's PlatformValues enum is "Windows" (the SDK's types follow it)
    ...(windows ? { platform: 'Windows' } : {}),
    monitoring: { state: 'disabled' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: i.privateIp,
    groupSet: groups,
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: windows ? '/dev/sda1' : '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    tagSet: tagSet(i.tags),
    hypervisor: 'xen',
    ...(i.iamInstanceProfile ? { iamInstanceProfile: { arn: i.iamInstanceProfile.arn, id: i.iamInstanceProfile.id } } : {}),
    networkInterfaceSet:
      i.state === 'terminated'
        ? []
        : [
            {
              networkInterfaceId: `eni-${i.instanceId.slice(2)}`,
              subnetId: i.subnetId,
              vpcId: i.vpcId,
              ownerId: ACCOUNT_ID,
              status: 'in-use',
              privateIpAddress: i.privateIp,
              privateDnsName: privateDns(i),
              sourceDestCheck: true,
              groupSet: groups,
              attachment: { attachmentId: `eni-attach-${i.instanceId.slice(2)}`, deviceIndex: 0, status: 'attached', attachTime: new Date(i.launchedAt).toISOString(), deleteOnTermination: true },
              privateIpAddressesSet: [{ privateIpAddress: i.privateIp, privateDnsName: privateDns(i), primary: true }],
              interfaceType: 'interface',
            },
          ],
    sourceDestCheck: true,
    ebsOptimized: false,
    enaSupport: true,
    bootMode: i.bootMode ?? 'uefi-preferred',
    platformDetails: windows ? (i.byol ? 'Windows BYOL' : 'Windows') : 'Linux/UNIX',
    usageOperation: windows ? (i.byol ? 'RunInstances:0800' : 'RunInstances:0002') : 'RunInstances',
  };
}

function statusSummary(i: Ec2Instance, check: 'system' | 'instance' = 'instance'): { status: string; details: XmlValue } {
  if (i.state !== 'running') return { status: 'not-applicable', details: [] };
  if (i.impaired)
    return check === 'instance'
      ? { status: 'impaired', details: [{ name: 'reachability', status: 'failed' }] }
      : { status: 'ok', details: [{ name: 'reachability', status: 'passed' }] };
  return i.statusOk
    ? { status: 'ok', details: [{ name: 'reachability', status: 'passed' }] }
    : { status: 'initializing', details: [{ name: 'reachability', status: 'initializing' }] };
}

const STATUS_FILTERS: Record<string, Accessor<Ec2Instance>> = {
  'instance-state-name': (i) => i.state,
  'instance-state-code': (i) => STATE_CODES[i.state],
  'instance-status.status': (i) => statusSummary(i).status,
  'instance-status.reachability': (i) => (i.state === 'running' ? (i.impaired ? 'failed' : i.statusOk ? 'passed' : 'initializing') : undefined),
  'system-status.status': (i) => statusSummary(i, 'system').status,
  'system-status.reachability': (i) => (i.state === 'running' ? (i.statusOk || i.impaired ? 'passed' : 'initializing') : undefined),
  'availability-zone': (i) => i.availabilityZone,
};

/** DescribeInstances / DescribeInstanceStatus: instance ids or MaxResults (5..1000), never both, as EC2 answers. */
function instanceQuery(input: Parameters<QueryOperation['run']>[0]): { ids: string[]; max: number | undefined } {
  dryRun(input);
  const ids = list(input, 'InstanceId');
  const max = maxResults(input, 5, 1000);
  if (ids.length && max !== undefined)
    throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  return { ids, max };
}

// ------------------------------------------------------------------ network

const subnetTags = (s: Subnet): Record<string, string> => ({
  Name: s.name,
  ...(s.tier ? { 'aws-cdk:subnet-name': s.tier === 'endpoint' ? 'endpoints' : s.tier, 'aws-cdk:subnet-type': 'Isolated' } : {}),
});

const SUBNET_FILTERS = (fleet: Fleet, region: string): Record<string, Accessor<Subnet>> => ({
  'availability-zone': (s) => s.availabilityZone,
  'availability-zone-id': (s) => availabilityZoneId(s.availabilityZone),
  'available-ip-address-count': (s) => fleet.availableAddresses(s),
  'cidr-block': (s) => s.cidrBlock,
  cidr: (s) => s.cidrBlock,
  cidrBlock: (s) => s.cidrBlock,
  // there is no default VPC, so no subnet is the default for its AZ
  'default-for-az': () => false,
  'enable-dns64': () => false,
  'ipv6-cidr-block-association.ipv6-cidr-block': () => undefined,
  'ipv6-cidr-block-association.association-id': () => undefined,
  'ipv6-cidr-block-association.state': () => undefined,
  'ipv6-native': () => false,
  'map-customer-owned-ip-on-launch': () => false,
  'map-public-ip-on-launch': () => false,
  'outpost-arn': () => undefined,
  'owner-id': () => ACCOUNT_ID,
  'private-dns-name-options-on-launch.hostname-type': () => 'ip-name',
  'private-dns-name-options-on-launch.enable-resource-name-dns-a-record': () => false,
  'private-dns-name-options-on-launch.enable-resource-name-dns-aaaa-record': () => false,
  state: () => 'available',
  'subnet-arn': (s) => `arn:aws:ec2:${region}:${ACCOUNT_ID}:subnet/${s.subnetId}`,
  'subnet-id': (s) => s.subnetId,
  'vpc-id': (s) => s.vpcId,
});

function renderSubnet(s: Subnet, fleet: Fleet, region: string): XmlValue {
  return {
    subnetId: s.subnetId,
    subnetArn: `arn:aws:ec2:${region}:${ACCOUNT_ID}:subnet/${s.subnetId}`,
    state: 'available',
    vpcId: s.vpcId,
    ownerId: ACCOUNT_ID,
    cidrBlock: s.cidrBlock,
    availableIpAddressCount: fleet.availableAddresses(s),
    availabilityZone: s.availabilityZone,
    availabilityZoneId: availabilityZoneId(s.availabilityZone),
    defaultForAz: false,
    mapPublicIpOnLaunch: false,
    mapCustomerOwnedIpOnLaunch: false,
    assignIpv6AddressOnCreation: false,
    ipv6CidrBlockAssociationSet: [],
    ipv6Native: false,
    enableDns64: false,
    privateDnsNameOptionsOnLaunch: { hostnameType: 'ip-name', enableResourceNameDnsARecord: false, enableResourceNameDnsAAAARecord: false },
    tagSet: tagSet(subnetTags(s)),
  };
}

const ruleFilters = (rules: (g: SecurityGroup) => SecurityGroupRule[]): Record<string, Accessor<SecurityGroup>> => ({
  cidr: (g) => rules(g).map((r) => r.cidr),
  'from-port': (g) => rules(g).map((r) => r.fromPort),
  'to-port': (g) => rules(g).map((r) => r.toPort),
  'group-id': (g) => rules(g).map((r) => r.groupId),
  'group-name': () => undefined,
  'ipv6-cidr': () => undefined,
  'prefix-list-id': (g) => rules(g).map((r) => r.prefixListId),
  protocol: (g) => rules(g).map((r) => r.protocol),
  'user-id': (g) => rules(g).map((r) => (r.groupId ? ACCOUNT_ID : undefined)),
});

const SECURITY_GROUP_FILTERS: Record<string, Accessor<SecurityGroup>> = {
  description: (g) => g.description,
  'group-id': (g) => g.groupId,
  'group-name': (g) => g.groupName,
  'owner-id': () => ACCOUNT_ID,
  'vpc-id': (g) => g.vpcId,
  ...Object.fromEntries(Object.entries(ruleFilters((g) => g.ingress)).map(([k, v]) => [`ip-permission.${k}`, v])),
  ...Object.fromEntries(Object.entries(ruleFilters((g) => g.egress)).map(([k, v]) => [`egress.ip-permission.${k}`, v])),
};

function renderPermissions(rules: SecurityGroupRule[]): XmlValue {
  return rules.map((r) => ({
    ipProtocol: r.protocol,
    ...(r.protocol === '-1' ? {} : { fromPort: r.fromPort, toPort: r.toPort }),
    groups: r.groupId ? [{ groupId: r.groupId, userId: ACCOUNT_ID, description: r.description }] : [],
    ipRanges: r.cidr ? [{ cidrIp: r.cidr, description: r.description }] : [],
    ipv6Ranges: [],
    prefixListIds: r.prefixListId ? [{ prefixListId: r.prefixListId, description: r.description }] : [],
  }));
}

function renderSecurityGroup(g: SecurityGroup, region: string): XmlValue {
  return {
    ownerId: ACCOUNT_ID,
    groupId: g.groupId,
    groupName: g.groupName,
    groupDescription: g.description,
    vpcId: g.vpcId,
    securityGroupArn: `arn:aws:ec2:${region}:${ACCOUNT_ID}:security-group/${g.groupId}`,
    ipPermissions: renderPermissions(g.ingress),
    ipPermissionsEgress: renderPermissions(g.egress),
    tagSet: [],
  };
}

const associationId = (t: RouteTable, subnetId: string | undefined) => `rtbassoc-${t.routeTableId.slice(4, 12)}${(subnetId ?? 'main').replace(/^subnet-/, '').slice(-9).padStart(9, '0')}`;

const ROUTE_TABLE_FILTERS: Record<string, Accessor<RouteTable>> = {
  'association.gateway-id': () => undefined,
  'association.route-table-association-id': (t) => (t.main ? [associationId(t, undefined)] : t.subnetIds.map((s) => associationId(t, s))),
  'association.route-table-id': (t) => t.routeTableId,
  'association.subnet-id': (t) => t.subnetIds,
  'association.main': (t) => t.main,
  'owner-id': () => ACCOUNT_ID,
  'route-table-id': (t) => t.routeTableId,
  'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock),
  'route.destination-ipv6-cidr-block': () => undefined,
  'route.destination-prefix-list-id': (t) => t.routes.map((r) => r.destinationPrefixListId),
  'route.egress-only-internet-gateway-id': () => undefined,
  'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
  'route.instance-id': () => undefined,
  'route.nat-gateway-id': (t) => t.routes.map((r) => r.natGatewayId),
  'route.transit-gateway-id': (t) => t.routes.map((r) => r.transitGatewayId),
  'route.origin': (t) => t.routes.map((r) => r.origin),
  'route.state': (t) => t.routes.map(() => 'active'),
  'route.vpc-peering-connection-id': (t) => t.routes.map((r) => r.vpcPeeringConnectionId),
  'vpc-id': (t) => t.vpcId,
};

function renderRoute(r: Route): XmlValue {
  return {
    destinationCidrBlock: r.destinationCidrBlock,
    destinationPrefixListId: r.destinationPrefixListId,
    gatewayId: r.gatewayId,
    natGatewayId: r.natGatewayId,
    transitGatewayId: r.transitGatewayId,
    vpcPeeringConnectionId: r.vpcPeeringConnectionId,
    state: 'active',
    origin: r.origin,
  };
}

function renderRouteTable(t: RouteTable): XmlValue {
  const associated = { associationState: { state: 'associated' } };
  return {
    routeTableId: t.routeTableId,
    vpcId: t.vpcId,
    ownerId: ACCOUNT_ID,
    routeSet: t.routes.map(renderRoute),
    associationSet: t.main
      ? [{ main: true, routeTableAssociationId: associationId(t, undefined), routeTableId: t.routeTableId, ...associated }]
      : t.subnetIds.map((subnetId) => ({ main: false, routeTableAssociationId: associationId(t, subnetId), routeTableId: t.routeTableId, subnetId, ...associated })),
    propagatingVgwSet: [],
    tagSet: tagSet({ Name: t.name }),
  };
}

const ENDPOINT_FILTERS = (region: string): Record<string, Accessor<VpcEndpoint>> => ({
  'ip-address-type': (e) => (e.type === 'Interface' ? 'ipv4' : undefined),
  'service-name': (e) => e.serviceName,
  'service-region': () => region,
  // the model's State enum (the wire of real EC2 says "available")
  state: () => 'Available',
  'vpc-id': (e) => e.vpcId,
  'vpc-endpoint-id': (e) => e.vpcEndpointId,
  'vpc-endpoint-type': (e) => e.type,
});

function renderEndpoint(e: VpcEndpoint, net: RegionNetwork, region: string): XmlValue {
  const service = e.serviceName.split('.').pop()!;
  return {
    vpcEndpointId: e.vpcEndpointId,
    vpcEndpointType: e.type,
    vpcId: e.vpcId,
    serviceName: e.serviceName,
    state: 'Available',
    policyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: '*', Action: '*', Resource: '*' }] }),
    routeTableIdSet: e.routeTableIds,
    subnetIdSet: e.subnetIds,
    groupSet: e.groupIds.map((groupId) => ({ groupId, groupName: net.securityGroups.find((g) => g.groupId === groupId)?.groupName ?? groupId })),
    ...(e.type === 'Interface' ? { ipAddressType: 'ipv4', dnsOptions: { dnsRecordIpType: 'ipv4' } } : {}),
    privateDnsEnabled: e.privateDnsEnabled,
    requesterManaged: false,
    networkInterfaceIdSet: e.type === 'Interface' ? e.subnetIds.map((s) => `eni-${e.vpcEndpointId.slice(5, 13)}${s.slice(-9)}`) : [],
    dnsEntrySet:
      e.type === 'Interface' && e.dnsName
        ? [
            { dnsName: e.dnsName, hostedZoneId: 'Z2ZZ0AMAZONAWS' },
            ...e.subnetIds.map((s) => {
              const zone = net.subnets.find((x) => x.subnetId === s)?.availabilityZone ?? region;
              return { dnsName: e.dnsName!.replace(`.${service}.`, `-${zone}.${service}.`), hostedZoneId: 'Z2ZZ0AMAZONAWS' };
            }),
            ...(e.privateDnsEnabled ? [{ dnsName: `${service}.${region}.amazonaws.com`, hostedZoneId: 'Z0PRIVATEDNS00' }] : []),
          ]
        : [],
    creationTimestamp: '2026-01-01T00:00:00.000Z',
    tagSet: [],
    ownerId: ACCOUNT_ID,
  };
}

const VPC_FILTERS: Record<string, Accessor<Vpc>> = {
  cidr: (v) => v.cidrBlock,
  'cidr-block-association.cidr-block': (v) => v.cidrBlock,
  'cidr-block-association.association-id': (v) => `vpc-cidr-assoc-${v.vpcId.slice(4)}`,
  'cidr-block-association.state': () => 'associated',
  'dhcp-options-id': () => 'dopt-0a1b2c3d4e5f60718',
  'ipv6-cidr-block-association.ipv6-cidr-block': () => undefined,
  'ipv6-cidr-block-association.ipv6-pool': () => undefined,
  'ipv6-cidr-block-association.association-id': () => undefined,
  'ipv6-cidr-block-association.state': () => undefined,
  // the simulated account has no default VPC (an isolated account deleted it)
  'is-default': () => false,
  'owner-id': () => ACCOUNT_ID,
  state: () => 'available',
  'vpc-id': (v) => v.vpcId,
};

function renderVpc(v: Vpc): XmlValue {
  return {
    vpcId: v.vpcId,
    ownerId: ACCOUNT_ID,
    state: 'available',
    cidrBlock: v.cidrBlock,
    cidrBlockAssociationSet: [{ associationId: `vpc-cidr-assoc-${v.vpcId.slice(4)}`, cidrBlock: v.cidrBlock, cidrBlockState: { state: 'associated' } }],
    ipv6CidrBlockAssociationSet: [],
    dhcpOptionsId: 'dopt-0a1b2c3d4e5f60718',
    instanceTenancy: 'default',
    isDefault: false,
    tagSet: tagSet({ Name: v.name }),
  };
}

// ------------------------------------------------------------------ launch templates

/** The template named by LaunchTemplateId or LaunchTemplateName (exactly one), in the caller's region. */
function templateOf(input: Obj, ctx: Context): LaunchTemplate {
  const id = input.LaunchTemplateId;
  const name = input.LaunchTemplateName;
  if (id !== undefined && name !== undefined)
    throw new ApiError('InvalidParameterCombination', 'The parameters LaunchTemplateId and LaunchTemplateName cannot be used together; specify one.');
  if (typeof id === 'string') {
    if (!LAUNCH_TEMPLATE_ID.test(id)) throw new ApiError('InvalidLaunchTemplateId.Malformed', `The launch template ID '${id}' is malformed; specify it in the form lt-xxxxxxxxxxxxxxxxx.`);
    const t = ctx.fleet.launchTemplates.get(id);
    if (!t || t.region !== ctx.region) throw new ApiError('InvalidLaunchTemplateId.NotFound', `The specified launch template, with template ID ${id}, does not exist.`);
    return t;
  }
  if (typeof name === 'string') {
    if (!LAUNCH_TEMPLATE_NAME.test(name))
      throw new ApiError('InvalidLaunchTemplateName.MalformedException', `The launch template name '${name}' is invalid: 3-128 letters, digits and ( ) . - / _`);
    const t = [...ctx.fleet.launchTemplates.values()].find((x) => x.region === ctx.region && x.launchTemplateName === name);
    if (!t) throw new ApiError('InvalidLaunchTemplateName.NotFoundException', `The specified launch template, with template name ${name}, does not exist.`);
    return t;
  }
  throw new ApiError('MissingParameter', 'The request must contain the parameter LaunchTemplateName or LaunchTemplateId');
}

/** A version number, $Latest or $Default of a template; VersionNotFound otherwise. */
function versionOf(t: LaunchTemplate, version: string, allowAliases: boolean): LaunchTemplateVersion {
  const n = version === '$Latest' && allowAliases ? latestVersion(t) : version === '$Default' && allowAliases ? t.defaultVersion : /^[0-9]+$/.test(version) ? Number(version) : NaN;
  const v = t.versions[n - 1];
  if (!v) throw new ApiError('InvalidLaunchTemplateId.VersionNotFound', `The specified launch template version ${version} does not exist for launch template ${t.launchTemplateId}.`);
  return v;
}

const VERSION_FILTERS = (fleet: Fleet): Record<string, Accessor<{ t: LaunchTemplate; v: LaunchTemplateVersion }>> => ({
  'create-time': ({ v }) => iso(v.createdAt),
  'ebs-optimized': ({ v }) => v.data.EbsOptimized,
  'http-endpoint': ({ v }) => v.data.MetadataOptions?.HttpEndpoint,
  'http-protocol-ipv4': () => undefined,
  'host-resource-group-arn': () => undefined,
  'http-tokens': ({ v }) => v.data.MetadataOptions?.HttpTokens,
  'iam-instance-profile': ({ v }) => v.data.IamInstanceProfile?.Arn ?? (v.data.IamInstanceProfile?.Name ? fleet.instanceProfile({ Name: v.data.IamInstanceProfile.Name })?.arn : undefined),
  'image-id': ({ v }) => v.data.ImageId,
  'instance-type': ({ v }) => v.data.InstanceType,
  'is-default-version': ({ t, v }) => t.defaultVersion === v.versionNumber,
  'license-configuration-arn': () => undefined,
  'network-card-index': () => undefined,
  'ram-disk-id': () => undefined,
});

/**
 * What EC2 reports about a new version it could not fully check (CreateLaunchTemplateVersion
 * `warning`): references to subnets, groups and instance profiles that do not exist, and network
 * interfaces combined with instance-level groups. The version is still created; a launch from it fails.
 */
function launchTemplateWarnings(data: LaunchTemplateData, ctx: Context): { code: string; message: string }[] {
  const net = ctx.fleet.network(ctx.region);
  const out: { code: string; message: string }[] = [];
  for (const ni of data.NetworkInterfaces ?? []) {
    if (ni.SubnetId && !net.subnets.some((s) => s.subnetId === ni.SubnetId)) out.push({ code: 'InvalidSubnetID.NotFound', message: `The subnet ID '${ni.SubnetId}' does not exist` });
    for (const g of ni.Groups ?? []) if (!net.securityGroups.some((x) => x.groupId === g)) out.push({ code: 'InvalidGroup.NotFound', message: `The security group '${g}' does not exist` });
  }
  for (const g of data.SecurityGroupIds ?? []) if (!net.securityGroups.some((x) => x.groupId === g)) out.push({ code: 'InvalidGroup.NotFound', message: `The security group '${g}' does not exist` });
  if ((data.NetworkInterfaces?.length ?? 0) > 0 && ((data.SecurityGroupIds?.length ?? 0) > 0 || (data.SecurityGroups?.length ?? 0) > 0))
    out.push({ code: 'InvalidParameterCombination', message: 'Network interfaces and an instance-level security groups may not be specified on the same request' });
  const profile = data.IamInstanceProfile;
  if (profile && (profile.Name || profile.Arn) && !ctx.fleet.instanceProfile(profile))
    out.push({ code: 'InvalidParameterValue', message: `Invalid IAM Instance Profile ${profile.Arn ? `ARN ${profile.Arn}` : `name ${profile.Name}`}` });
  return out;
}

// ------------------------------------------------------------------ operations

export const EC2_OPERATIONS: Record<string, QueryOperation> = {
  DescribeInstances: {
    run(input, ctx) {
      const { ids, max } = instanceQuery(input);
      let items = ids.length
        ? instancesById(ctx.fleet, ctx.region, ids)
        : [...ctx.fleet.instances.values()].filter((i) => i.region === ctx.region).sort((a, b) => a.launchedAt - b.launchedAt || (a.instanceId < b.instanceId ? -1 : 1));
      items = applyFilters(items, input, INSTANCE_FILTERS, (i) => i.tags);
      const { page, nextToken } = paginate(items, input, max, 'instances');
      const net = ctx.fleet.network(ctx.region);
      return {
        reservationSet: page.map((i) => ({
          reservationId: `r-${i.instanceId.slice(2)}`,
          ownerId: ACCOUNT_ID,
          ...(i.purpose !== 'source' ? { requesterId: '940372691376' } : {}),
          groupSet: [],
          instancesSet: [renderInstance(i, net)],
        })),
        nextToken,
      };
    },
  },

  DescribeInstanceStatus: {
    run(input, ctx) {
      const { ids, max } = instanceQuery(input);
      const all = input.IncludeAllInstances === 'true';
      let items = ids.length ? instancesById(ctx.fleet, ctx.region, ids) : [...ctx.fleet.instances.values()].filter((i) => i.region === ctx.region);
      items = items.filter((i) => all || i.state === 'running');
      items = applyFilters(items, input, STATUS_FILTERS);
      const { page, nextToken } = paginate(items, input, max, 'status');
      return {
        instanceStatusSet: page.map((i) => {
          const s = statusSummary(i);
          return {
            instanceId: i.instanceId,
            availabilityZone: i.availabilityZone,
            instanceState: { code: STATE_CODES[i.state], name: i.state },
            systemStatus: statusSummary(i, 'system'),
            instanceStatus: s,
            attachedEbsStatus: statusSummary(i, 'system'),
          };
        }),
        nextToken,
      };
    },
  },

  DescribeVpcs: {
    run(input, ctx) {
      dryRun(input);
      const net = ctx.fleet.network(ctx.region);
      const ids = list(input, 'VpcId');
      const found = byIds(ids, VPC_ID, (id) => net.vpcs.find((v) => v.vpcId === id), 'InvalidVpcID.Malformed', 'InvalidVpcID.NotFound', (m) => `The vpc ID '${m.join("', '")}' does not exist`);
      const items = applyFilters(ids.length ? found : net.vpcs, input, VPC_FILTERS, (v) => ({ Name: v.name }));
      const { page, nextToken } = paginate(items, input, maxResults(input, 5, 1000), 'vpcs');
      return { vpcSet: page.map(renderVpc), nextToken };
    },
  },

  DescribeSubnets: {
    run(input, ctx) {
      dryRun(input);
      const net = ctx.fleet.network(ctx.region);
      const ids = list(input, 'SubnetId');
      const found = byIds(ids, SUBNET_ID, (id) => net.subnets.find((s) => s.subnetId === id), 'InvalidSubnetID.Malformed', 'InvalidSubnetID.NotFound', (m) =>
        m.length === 1 ? `The subnet ID '${m[0]}' does not exist` : `The subnet IDs '${m.join(', ')}' do not exist`,
      );
      const items = applyFilters(ids.length ? found : net.subnets, input, SUBNET_FILTERS(ctx.fleet, ctx.region), subnetTags);
      const { page, nextToken } = paginate(items, input, maxResults(input, 5, 1000), 'subnets');
      return { subnetSet: page.map((s) => renderSubnet(s, ctx.fleet, ctx.region)), nextToken };
    },
  },

  DescribeSecurityGroups: {
    run(input, ctx) {
      dryRun(input);
      const net = ctx.fleet.network(ctx.region);
      const ids = list(input, 'GroupId');
      const names = list(input, 'GroupName');
      const max = maxResults(input, 5, 1000);
      if (max !== undefined && (ids.length || names.length))
        throw new ApiError('InvalidParameterCombination', 'The parameter groupIds and groupNames cannot be used with the parameter maxResults');
      // group names are looked up in the default VPC, and the account has none (use the group-name filter)
      if (names.length) throw new ApiError('VPCIdNotSpecified', 'No default VPC for this user');
      const found = byIds(ids, GROUP_ID, (id) => net.securityGroups.find((g) => g.groupId === id), 'InvalidGroupId.Malformed', 'InvalidGroup.NotFound', (m) => `The security group '${m.join("', '")}' does not exist`);
      const items = applyFilters(ids.length ? found : net.securityGroups, input, SECURITY_GROUP_FILTERS, () => ({}));
      const { page, nextToken } = paginate(items, input, max, 'groups');
      return { securityGroupInfo: page.map((g) => renderSecurityGroup(g, ctx.region)), nextToken };
    },
  },

  DescribeRouteTables: {
    run(input, ctx) {
      dryRun(input);
      const net = ctx.fleet.network(ctx.region);
      const ids = list(input, 'RouteTableId');
      const found = byIds(ids, ROUTE_TABLE_ID, (id) => net.routeTables.find((t) => t.routeTableId === id), 'InvalidRouteTableId.Malformed', 'InvalidRouteTableID.NotFound', (m) => `The routeTable ID '${m.join("', '")}' does not exist`);
      const items = applyFilters(ids.length ? found : net.routeTables, input, ROUTE_TABLE_FILTERS, (t) => ({ Name: t.name }));
      const { page, nextToken } = paginate(items, input, maxResults(input, 5, 100), 'routeTables');
      return { routeTableSet: page.map(renderRouteTable), nextToken };
    },
  },

  DescribeVpcEndpoints: {
    run(input, ctx) {
      dryRun(input);
      const net = ctx.fleet.network(ctx.region);
      const ids = list(input, 'VpcEndpointId');
      const found = byIds(ids, VPC_ENDPOINT_ID, (id) => net.endpoints.find((e) => e.vpcEndpointId === id), 'InvalidVpcEndpointId.Malformed', 'InvalidVpcEndpointId.NotFound', (m) => `The Vpc Endpoint Id '${m.join("', '")}' does not exist`);
      const items = applyFilters(ids.length ? found : net.endpoints, input, ENDPOINT_FILTERS(ctx.region), () => ({}));
      // "If the value is greater than 1,000, we return only 1,000 items" (DescribeVpcEndpoints)
      const max = input.MaxResults === undefined ? undefined : Math.min(1000, maxResults(input, 1, Number.MAX_SAFE_INTEGER)!);
      const { page, nextToken } = paginate(items, input, max, 'endpoints');
      return { vpcEndpointSet: page.map((e) => renderEndpoint(e, net, ctx.region)), nextToken };
    },
  },

  DescribeLaunchTemplateVersions: {
    run(input, ctx) {
      dryRun(input);
      const versions = list(input, 'LaunchTemplateVersion');
      const max = maxResults(input, 1, 200);
      const bound = (key: 'MinVersion' | 'MaxVersion') => {
        const v = input[key];
        if (v === undefined) return undefined;
        if (typeof v !== 'string' || !/^[0-9]+$/.test(v)) throw new ApiError('InvalidParameterValue', `Value (${String(v)}) for parameter ${key} is invalid. Expecting a version number.`);
        return Number(v);
      };
      const min = bound('MinVersion');
      const maxVersion = bound('MaxVersion');
      let pairs: { t: LaunchTemplate; v: LaunchTemplateVersion }[];
      if (input.LaunchTemplateId === undefined && input.LaunchTemplateName === undefined) {
        // without a template, only $Latest / $Default of every template may be asked for
        if (versions.length === 0 || versions.some((v) => v !== '$Latest' && v !== '$Default'))
          throw new ApiError('MissingParameter', 'The request must contain the parameter LaunchTemplateName or LaunchTemplateId (or ask for $Latest or $Default versions only)');
        pairs = [...ctx.fleet.launchTemplates.values()]
          .filter((t) => t.region === ctx.region)
          .flatMap((t) => [...new Set(versions.map((v) => versionOf(t, v, true)))].map((v) => ({ t, v })));
      } else {
        const t = templateOf(input, ctx);
        const chosen = versions.length ? [...new Set(versions.map((v) => versionOf(t, v, true)))] : [...t.versions];
        pairs = chosen.filter((v) => (min === undefined || v.versionNumber >= min) && (maxVersion === undefined || v.versionNumber <= maxVersion)).map((v) => ({ t, v }));
      }
      // latest first, as EC2 lists them
      pairs.sort((a, b) => (a.t.launchTemplateId < b.t.launchTemplateId ? -1 : a.t.launchTemplateId > b.t.launchTemplateId ? 1 : b.v.versionNumber - a.v.versionNumber));
      const items = applyFilters(pairs, input, VERSION_FILTERS(ctx.fleet));
      const { page, nextToken } = paginate(items, input, max, 'ltVersions');
      return { launchTemplateVersionSet: page.map(({ t, v }) => renderTemplateVersion(t, v)), nextToken };
    },
  },

  CreateLaunchTemplateVersion: {
    mutating: true,
    run(input, ctx) {
      dryRun(input);
      const t = templateOf(input, ctx);
      if (input.LaunchTemplateData === undefined) throw new ApiError('MissingParameter', 'The request must contain the parameter LaunchTemplateData');
      const description = input.VersionDescription;
      if (description !== undefined && (typeof description !== 'string' || description.length > 255))
        throw new ApiError('InvalidParameterValue', 'Value for parameter versionDescription is invalid: at most 255 characters.');
      const token = input.ClientToken;
      if (token !== undefined && (typeof token !== 'string' || token.length > 128 || !/^[\x20-\x7e]*$/.test(token)))
        throw new ApiError('InvalidParameterValue', 'Value for parameter clientToken is invalid: at most 128 ASCII characters.');
      // the request as EC2 compares it for idempotency (ClientToken excluded)
      const { ClientToken: _token, ...rest } = input;
      const request = JSON.stringify(rest);
      if (typeof token === 'string' && token !== '') {
        const seen = t.tokens.get(token);
        if (seen) {
          if (seen.request !== request) throw new ApiError('IdempotentParameterMismatch', 'The client token you have provided is associated with a request that is different from this one.');
          return { launchTemplateVersion: renderTemplateVersion(t, t.versions[seen.version - 1]) };
        }
      }
      let source: LaunchTemplateData = {};
      if (input.SourceVersion !== undefined) {
        const sv = input.SourceVersion;
        if (typeof sv !== 'string' || !/^[0-9]+$/.test(sv))
          throw new ApiError('InvalidParameterValue', `Value (${String(sv)}) for parameter sourceVersion is invalid. Expecting a version number.`);
        source = versionOf(t, sv, false).data;
      }
      const given = parseLaunchTemplateData(input.LaunchTemplateData);
      if (latestVersion(t) >= MAX_TEMPLATE_VERSIONS)
        throw new ApiError('MaxTemplateVersionLimitExceeded', `The launch template ${t.launchTemplateId} has ${MAX_TEMPLATE_VERSIONS} versions, the most it can have; delete some first.`);
      const data = input.SourceVersion !== undefined ? overlay(source, given) : given;
      const version: LaunchTemplateVersion = {
        versionNumber: latestVersion(t) + 1,
        ...(typeof description === 'string' ? { description } : {}),
        createdAt: ctx.fleet.now(),
        createdBy: `arn:aws:iam::${ACCOUNT_ID}:user/${ctx.accessKeyId}`,
        data,
      };
      t.versions.push(version);
      if (typeof token === 'string' && token !== '') t.tokens.set(token, { version: version.versionNumber, request });
      const warnings = launchTemplateWarnings(data, ctx);
      return {
        launchTemplateVersion: renderTemplateVersion(t, version),
        ...(warnings.length ? { warning: { errorSet: warnings } } : {}),
      };
    },
  },

  ModifyLaunchTemplate: {
    mutating: true,
    run(input, ctx) {
      dryRun(input);
      const t = templateOf(input, ctx);
      const wanted = input.SetDefaultVersion;
      if (wanted !== undefined) {
        if (typeof wanted !== 'string') throw new ApiError('InvalidParameterValue', 'Value for parameter defaultVersion is invalid. Expecting a version number.');
        t.defaultVersion = versionOf(t, wanted, false).versionNumber;
      }
      return { launchTemplate: renderTemplate(t) };
    },
  },

  TerminateInstances: {
    mutating: true,
    run(input, ctx) {
      dryRun(input);
      const ids = list(input, 'InstanceId');
      if (ids.length === 0) throw new ApiError('MissingParameter', 'The request must contain the parameter InstanceId');
      const instances = instancesById(ctx.fleet, ctx.region, ids);
      const now = ctx.fleet.now();
      return {
        instancesSet: instances.map((i) => {
          const previous = i.state;
          ctx.fleet.terminateInstance(i.instanceId, now);
          return {
            instanceId: i.instanceId,
            currentState: { code: STATE_CODES[i.state], name: i.state },
            previousState: { code: STATE_CODES[previous], name: previous },
          };
        }),
      };
    },
  },
};

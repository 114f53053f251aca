/**
 * EC2 (ec2 query protocol): form-encoded `Action=...`, XML answers in the 2016-11-15 namespace.
 * Instances are the fleet's EC2 sources and the instances MGN launched; subnets and security groups
 * are each region's emulated network.
 */
import { ApiError } from './errors';
import { ACCOUNT_ID, type Ec2Instance, type Fleet } from './fleet';
import type { Context } from './mgn';
import type { XmlValue } from './protocols';
import { asObject, asStringList, decodeToken, encodeToken } from './validate';

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
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'MissingParameter',
  'InvalidFilter',
  'InvalidPaginationToken',
  'InvalidAction',
  'DryRunOperation',
  'RequestLimitExceeded',
  'InternalError',
] as const;

const INSTANCE_ID = /^i-([0-9a-f]{8}|[0-9a-f]{17})$/;
const STATE_CODES: Record<Ec2Instance['state'], number> = { pending: 0, running: 16, 'shutting-down': 32, terminated: 48 };

const list = (input: Obj, key: string): string[] => asStringList(input[key]);
const filtersOf = (input: Obj): { name: string; values: string[] }[] =>
  (Array.isArray(input.Filter) ? input.Filter : []).map((f) => {
    const o = asObject(f);
    return { name: String(o.Name ?? ''), values: asStringList(o.Value) };
  });

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

/** Looks instances up by id as EC2 does: malformed ids and unknown ids are errors naming them. */
function instancesById(fleet: Fleet, region: string, ids: string[]): Ec2Instance[] {
  const bad = ids.filter((id) => !INSTANCE_ID.test(id));
  if (bad.length) throw new ApiError('InvalidInstanceID.Malformed', `Invalid id: "${bad[0]}"`);
  const missing = ids.filter((id) => fleet.instances.get(id)?.region !== region);
  if (missing.length)
    throw new ApiError('InvalidInstanceID.NotFound', `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`);
  return ids.map((id) => fleet.instances.get(id)!);
}

const INSTANCE_FILTERS = ['instance-id', 'instance-state-name', 'subnet-id', 'vpc-id', 'private-ip-address', 'tag-key'];

/** EC2 refuses an unknown filter name whatever the region holds: checked before any instance is looked at. */
function checkInstanceFilters(filters: { name: string }[]): void {
  for (const { name } of filters)
    if (!INSTANCE_FILTERS.includes(name) && !/^tag:.+/.test(name)) throw new ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
}

function instanceFilter(i: Ec2Instance, name: string, values: string[]): boolean {
  if (name === 'instance-id') return values.includes(i.instanceId);
  if (name === 'instance-state-name') return values.includes(i.state);
  if (name === 'subnet-id') return values.includes(i.subnetId);
  if (name === 'vpc-id') return values.includes(i.vpcId);
  if (name === 'private-ip-address') return values.includes(i.privateIp);
  if (name === 'tag-key') return values.some((v) => v in i.tags);
  if (name.startsWith('tag:')) return values.includes(i.tags[name.slice(4)]);
  throw new ApiError('InvalidParameterValue', `The filter '${name}' is invalid`);
}

function renderInstance(i: Ec2Instance): XmlValue {
  const windows = i.platform === 'Windows';
  const dns = `ip-${i.privateIp.replace(/\./g, '-')}.${i.region}.compute.internal`;
  return {
    instanceId: i.instanceId,
    imageId: windows ? 'ami-0a1b2c3d4e5f60001' : 'ami-0a1b2c3d4e5f60002',
    instanceState: { code: STATE_CODES[i.state], name: i.state },
    privateDnsName: i.state === 'terminated' ? '' : dns,
    dnsName: '',
    reason: i.state === 'terminated' || i.state === 'shutting-down' ? 'User initiated' : '',
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
    groupSet: [{ groupId: i.securityGroupId, groupName: 'default' }],
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: windows ? '/dev/sda1' : '/dev/xvda',
    blockDeviceMapping: [],
    virtualizationType: 'hvm',
    tagSet: Object.entries(i.tags).map(([key, value]) => ({ key, value })),
    hypervisor: 'xen',
    sourceDestCheck: true,
    ebsOptimized: false,
    enaSupport: true,
    bootMode: 'uefi-preferred',
    platformDetails: windows ? 'Windows' : 'Linux/UNIX',
    usageOperation: windows ? 'RunInstances:0002' : 'RunInstances',
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

/** DescribeInstances / DescribeInstanceStatus: instance ids or MaxResults (5..1000), never both, as EC2 answers. */
function instanceQuery(input: Parameters<QueryOperation['run']>[0]): { ids: string[]; max: number | undefined } {
  dryRun(input);
  const ids = list(input, 'InstanceId');
  const max = maxResults(input, 5, 1000);
  if (ids.length && max !== undefined)
    throw new ApiError('InvalidParameterCombination', 'The parameter instancesSet cannot be used with the parameter maxResults');
  return { ids, max };
}

export const EC2_OPERATIONS: Record<string, QueryOperation> = {
  DescribeInstances: {
    run(input, ctx) {
      const { ids, max } = instanceQuery(input);
      const filters = filtersOf(input);
      checkInstanceFilters(filters);
      let items = ids.length
        ? instancesById(ctx.fleet, ctx.region, ids)
        : [...ctx.fleet.instances.values()].filter((i) => i.region === ctx.region).sort((a, b) => a.launchedAt - b.launchedAt || (a.instanceId < b.instanceId ? -1 : 1));
      for (const f of filters) items = items.filter((i) => instanceFilter(i, f.name, f.values));
      const { page, nextToken } = paginate(items, input, max, 'instances');
      return {
        reservationSet: page.map((i) => ({
          reservationId: `r-${i.instanceId.slice(2)}`,
          ownerId: ACCOUNT_ID,
          ...(i.purpose !== 'source' ? { requesterId: '940372691376' } : {}),
          groupSet: [],
          instancesSet: [renderInstance(i)],
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
      for (const f of filtersOf(input)) {
        if (f.name === 'instance-state-name') items = items.filter((i) => f.values.includes(i.state));
        else if (f.name === 'instance-status.status') items = items.filter((i) => f.values.includes(statusSummary(i).status));
        else if (f.name === 'system-status.status') items = items.filter((i) => f.values.includes(statusSummary(i, 'system').status));
        else if (f.name === 'availability-zone') items = items.filter((i) => f.values.includes(i.availabilityZone));
        else throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      }
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

  DescribeSubnets: {
    run(input, ctx) {
      dryRun(input);
      const ids = list(input, 'SubnetId');
      const net = ctx.fleet.network(ctx.region);
      for (const id of ids) {
        if (!/^subnet-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidSubnetID.Malformed', `Invalid id: "${id}"`);
        if (!net.subnets.some((s) => s.subnetId === id)) throw new ApiError('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
      }
      let items = ids.length ? net.subnets.filter((s) => ids.includes(s.subnetId)) : net.subnets;
      for (const f of filtersOf(input)) {
        if (f.name === 'vpc-id') items = items.filter(() => f.values.includes(net.vpcId));
        else if (f.name === 'subnet-id') items = items.filter((s) => f.values.includes(s.subnetId));
        else if (f.name === 'availability-zone') items = items.filter((s) => f.values.includes(s.availabilityZone));
        else if (f.name === 'tag:Name') items = items.filter((s) => f.values.includes(s.name));
        else throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      }
      const { page, nextToken } = paginate(items, input, maxResults(input, 5, 1000), 'subnets');
      return {
        subnetSet: page.map((s) => ({
          subnetId: s.subnetId,
          subnetArn: `arn:aws:ec2:${ctx.region}:${ACCOUNT_ID}:subnet/${s.subnetId}`,
          state: 'available',
          vpcId: net.vpcId,
          ownerId: ACCOUNT_ID,
          cidrBlock: s.cidrBlock,
          availableIpAddressCount: 250,
          availabilityZone: s.availabilityZone,
          availabilityZoneId: `${ctx.region.replace(/-/g, '').slice(0, 4)}-az${s.availabilityZone.endsWith('a') ? 1 : 2}`,
          defaultForAz: false,
          mapPublicIpOnLaunch: false,
          assignIpv6AddressOnCreation: false,
          ipv6CidrBlockAssociationSet: [],
          tagSet: [{ key: 'Name', value: s.name }],
        })),
        nextToken,
      };
    },
  },

  DescribeSecurityGroups: {
    run(input, ctx) {
      dryRun(input);
      const ids = list(input, 'GroupId');
      const names = list(input, 'GroupName');
      const net = ctx.fleet.network(ctx.region);
      for (const id of ids) {
        if (!/^sg-[0-9a-f]{8,17}$/.test(id)) throw new ApiError('InvalidGroupId.Malformed', `Invalid id: "${id}" (expecting "sg-...")`);
        if (!net.securityGroups.some((g) => g.groupId === id)) throw new ApiError('InvalidGroup.NotFound', `The security group '${id}' does not exist`);
      }
      for (const n of names)
        if (!net.securityGroups.some((g) => g.groupName === n)) throw new ApiError('InvalidGroup.NotFound', `The security group '${n}' does not exist in default VPC`);
      let items = net.securityGroups.filter((g) => (!ids.length || ids.includes(g.groupId)) && (!names.length || names.includes(g.groupName)));
      for (const f of filtersOf(input)) {
        if (f.name === 'vpc-id') items = items.filter(() => f.values.includes(net.vpcId));
        else if (f.name === 'group-id') items = items.filter((g) => f.values.includes(g.groupId));
        else if (f.name === 'group-name') items = items.filter((g) => f.values.includes(g.groupName));
        else throw new ApiError('InvalidParameterValue', `The filter '${f.name}' is invalid`);
      }
      const { page, nextToken } = paginate(items, input, maxResults(input, 5, 1000), 'groups');
      return {
        securityGroupInfo: page.map((g) => ({
          ownerId: ACCOUNT_ID,
          groupId: g.groupId,
          groupName: g.groupName,
          groupDescription: g.description,
          vpcId: net.vpcId,
          securityGroupArn: `arn:aws:ec2:${ctx.region}:${ACCOUNT_ID}:security-group/${g.groupId}`,
          ipPermissions:
            g.groupName === 'mgn-replication'
              ? [{ ipProtocol: 'tcp', fromPort: 1500, toPort: 1500, groups: [], ipRanges: [{ cidrIp: '10.0.0.0/8' }], ipv6Ranges: [], prefixListIds: [] }]
              : [],
          ipPermissionsEgress: [{ ipProtocol: '-1', groups: [], ipRanges: [{ cidrIp: '10.0.0.0/8' }], ipv6Ranges: [], prefixListIds: [] }],
          tagSet: [],
        })),
        nextToken,
      };
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

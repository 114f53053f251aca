import { createHash } from 'node:crypto';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstanceStatusCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
  type Filter,
  type Instance,
  type LaunchTemplateVersion,
  type RequestLaunchTemplateData,
  type Route,
  type RouteTable,
} from '@aws-sdk/client-ec2';
import { asTryLater } from '../errors';
import type {
  Ec2Port,
  InstanceStatusView,
  InstanceView,
  LaunchTemplateChange,
  LaunchTemplateVersionView,
  RouteTableView,
  RouteView,
  SecurityGroupView,
  SubnetView,
} from '../ports';
import { chunk } from '../batching';
import { cachedBy, clientConfig } from './client-config';

export const MAX_IDS_PER_STATUS = 100;
/**
 * EC2 refuses too many values in one request's filters (FilterLimitExceeded; 200 in practice, the API
 * reference gives no number), so longer id lists are split.
 */
export const MAX_FILTER_VALUES = 200;

export const ec2ClientFor = cachedBy((region) => new EC2Client(clientConfig(region)));

const isNotFound = (error: unknown) => /InvalidInstanceID\.(NotFound|Malformed)/.test((error as { name?: string }).name ?? '');

/** Where a route goes, as one id (the first target EC2 reports). */
export function routeTarget(r: Route): string {
  return (
    r.GatewayId ??
    r.NatGatewayId ??
    r.EgressOnlyInternetGatewayId ??
    r.TransitGatewayId ??
    r.VpcPeeringConnectionId ??
    r.NetworkInterfaceId ??
    r.InstanceId ??
    r.LocalGatewayId ??
    r.CarrierGatewayId ??
    r.CoreNetworkArn ??
    'unknown'
  );
}

export function toRouteTableView(t: RouteTable): RouteTableView {
  const routes: RouteView[] = (t.Routes ?? []).map((r) => ({
    destination: r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock ?? r.DestinationPrefixListId ?? 'unknown',
    target: routeTarget(r),
    state: r.State,
  }));
  return {
    routeTableId: t.RouteTableId ?? '',
    vpcId: t.VpcId ?? '',
    main: (t.Associations ?? []).some((a) => a.Main === true),
    subnetIds: (t.Associations ?? []).map((a) => a.SubnetId).filter((id): id is string => Boolean(id)),
    routes,
  };
}

export function toInstanceView(i: Instance): InstanceView {
  return {
    instanceId: i.InstanceId ?? '',
    state: i.State?.Name ?? 'unknown',
    subnetId: i.SubnetId,
    vpcId: i.VpcId,
    privateIpAddress: i.PrivateIpAddress,
    instanceType: i.InstanceType,
    securityGroupIds: (i.SecurityGroups ?? []).map((g) => g.GroupId).filter((id): id is string => Boolean(id)),
    instanceProfileArn: i.IamInstanceProfile?.Arn,
    tags: Object.fromEntries((i.Tags ?? []).filter((t) => t.Key !== undefined).map((t) => [t.Key!, t.Value ?? ''])),
  };
}

export function toLaunchTemplateVersionView(v: LaunchTemplateVersion, launchTemplateId: string): LaunchTemplateVersionView {
  const d = v.LaunchTemplateData ?? {};
  return {
    launchTemplateId: v.LaunchTemplateId ?? launchTemplateId,
    versionNumber: v.VersionNumber ?? 0,
    networkInterfaces: (d.NetworkInterfaces ?? []).map((n) => ({
      deviceIndex: n.DeviceIndex,
      subnetId: n.SubnetId,
      groups: n.Groups ?? [],
      privateIpAddress: n.PrivateIpAddress,
      associatePublicIpAddress: n.AssociatePublicIpAddress,
      deleteOnTermination: n.DeleteOnTermination,
    })),
    instanceType: d.InstanceType,
    ...(d.IamInstanceProfile ? { instanceProfile: { name: d.IamInstanceProfile.Name, arn: d.IamInstanceProfile.Arn } } : {}),
    tagSpecifications: (d.TagSpecifications ?? []).map((t) => ({
      resourceType: t.ResourceType ?? '',
      tags: Object.fromEntries((t.Tags ?? []).map((tag) => [tag.Key ?? '', tag.Value ?? ''])),
    })),
    instanceSecurityGroups: [...(d.SecurityGroupIds ?? []), ...(d.SecurityGroups ?? [])],
    keyName: d.KeyName,
  };
}

/**
 * The launch template data of a new version over its source version. Only what MGN's guide lets us
 * set ("Full launch template setting review"): the primary network interface (security groups go
 * there, never at the instance level; no public IP), the instance type, the instance profile, tags.
 * Never a key pair.
 */
export function launchTemplateData(change: LaunchTemplateChange): RequestLaunchTemplateData {
  const ni = change.networkInterface;
  return {
    NetworkInterfaces: [
      {
        DeviceIndex: 0,
        SubnetId: ni.subnetId,
        Groups: [...ni.groups],
        ...(ni.privateIpAddress ? { PrivateIpAddress: ni.privateIpAddress } : {}),
        AssociatePublicIpAddress: false,
        // a fixed cutover IP must be free again when a failed instance is terminated and relaunched
        DeleteOnTermination: true,
      },
    ],
    ...(change.instanceType ? { InstanceType: change.instanceType as RequestLaunchTemplateData['InstanceType'] } : {}),
    ...(change.instanceProfileName ? { IamInstanceProfile: { Name: change.instanceProfileName } } : {}),
    ...(change.tagSpecifications
      ? {
          TagSpecifications: change.tagSpecifications.map((t) => ({
            ResourceType: t.resourceType as never,
            Tags: Object.entries(t.tags).map(([Key, Value]) => ({ Key, Value })),
          })),
        }
      : {}),
  };
}

/**
 * CreateLaunchTemplateVersion's idempotency token: the same change (and description) over the same
 * source version is the same request, so a step retried after a timeout gets the version it already created instead
 * of a second one. EC2 takes up to 64 ASCII characters.
 */
export const launchTemplateClientToken = (
  launchTemplateId: string,
  sourceVersion: number,
  description: string,
  data: RequestLaunchTemplateData,
): string => createHash('sha256').update(JSON.stringify([launchTemplateId, sourceVersion, description, data])).digest('hex').slice(0, 64);

export class SdkEc2Port implements Ec2Port {
  constructor(private readonly client: EC2Client) {}

  static forRegion(region: string): SdkEc2Port {
    return new SdkEc2Port(ec2ClientFor(region));
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw asTryLater(error, what);
    }
  }

  /** Pages through one Describe call with a filter, MAX_FILTER_VALUES values at a time. */
  private async filtered<T, P extends { NextToken?: string }>(
    what: string,
    name: string,
    values: readonly string[],
    send: (filters: Filter[], nextToken: string | undefined) => Promise<P>,
    items: (page: P) => readonly T[] | undefined,
    extra: Filter[] = [],
  ): Promise<T[]> {
    const out: T[] = [];
    for (const batch of chunk([...new Set(values)], MAX_FILTER_VALUES)) {
      let NextToken: string | undefined;
      do {
        const page = await this.call(what, () => send([{ Name: name, Values: batch }, ...extra], NextToken));
        out.push(...(items(page) ?? []));
        NextToken = page.NextToken;
      } while (NextToken);
    }
    return out;
  }

  private async describeStatus(ids: string[]): Promise<InstanceStatusView[]> {
    const out: InstanceStatusView[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true, NextToken }),
      );
      for (const s of page.InstanceStatuses ?? [])
        if (s.InstanceId)
          out.push({
            instanceId: s.InstanceId,
            state: s.InstanceState?.Name ?? 'unknown',
            systemStatus: s.SystemStatus?.Status ?? 'insufficient-data',
            instanceStatus: s.InstanceStatus?.Status ?? 'insufficient-data',
          });
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async describeInstanceStatus(instanceIds: readonly string[]): Promise<InstanceStatusView[]> {
    const out: InstanceStatusView[] = [];
    for (const batch of chunk(instanceIds, MAX_IDS_PER_STATUS)) {
      try {
        out.push(...(await this.describeStatus(batch)));
      } catch (error) {
        if (!isNotFound(error)) throw asTryLater(error, 'DescribeInstanceStatus');
        // One unknown id fails the whole call: ask one by one and leave the unknown ones out.
        for (const id of batch) {
          try {
            out.push(...(await this.describeStatus([id])));
          } catch (single) {
            if (!isNotFound(single)) throw asTryLater(single, 'DescribeInstanceStatus');
          }
        }
      }
    }
    return out;
  }

  // Lookups by filter rather than by id list: an id EC2 does not know is simply absent from the
  // answer, where InstanceIds/SubnetIds/GroupIds would fail the whole call with *.NotFound.

  async describeInstances(instanceIds: readonly string[]): Promise<InstanceView[]> {
    const reservations = await this.filtered(
      'DescribeInstances',
      'instance-id',
      instanceIds,
      (Filters, NextToken) => this.client.send(new DescribeInstancesCommand({ Filters, NextToken })),
      (page) => page.Reservations,
    );
    return reservations.flatMap((r) => (r.Instances ?? []).map(toInstanceView));
  }

  async describeSubnets(subnetIds: readonly string[]): Promise<SubnetView[]> {
    const subnets = await this.filtered(
      'DescribeSubnets',
      'subnet-id',
      subnetIds,
      (Filters, NextToken) => this.client.send(new DescribeSubnetsCommand({ Filters, NextToken })),
      (page) => page.Subnets,
    );
    return subnets.map((s) => ({
      subnetId: s.SubnetId ?? '',
      vpcId: s.VpcId ?? '',
      cidrBlock: s.CidrBlock ?? '',
      availabilityZone: s.AvailabilityZone,
      ...(s.AvailableIpAddressCount !== undefined ? { availableIpAddressCount: s.AvailableIpAddressCount } : {}),
    }));
  }

  async describeSecurityGroups(groupIds: readonly string[]): Promise<SecurityGroupView[]> {
    const groups = await this.filtered(
      'DescribeSecurityGroups',
      'group-id',
      groupIds,
      (Filters, NextToken) => this.client.send(new DescribeSecurityGroupsCommand({ Filters, NextToken })),
      (page) => page.SecurityGroups,
    );
    return groups.map((g) => ({ groupId: g.GroupId ?? '', vpcId: g.VpcId }));
  }

  async describeRouteTables(query: { subnetIds: readonly string[]; mainOfVpcIds: readonly string[] }): Promise<RouteTableView[]> {
    const send = (Filters: Filter[], NextToken: string | undefined) => this.client.send(new DescribeRouteTablesCommand({ Filters, NextToken }));
    const associated = await this.filtered('DescribeRouteTables', 'association.subnet-id', query.subnetIds, send, (page) => page.RouteTables);
    const main = await this.filtered('DescribeRouteTables', 'vpc-id', query.mainOfVpcIds, send, (page) => page.RouteTables, [
      { Name: 'association.main', Values: ['true'] },
    ]);
    const byId = new Map<string, RouteTableView>();
    for (const t of [...associated, ...main].map(toRouteTableView)) byId.set(t.routeTableId, t);
    return [...byId.values()];
  }

  async describeDefaultLaunchTemplateVersion(launchTemplateId: string): Promise<LaunchTemplateVersionView> {
    const res = await this.call('DescribeLaunchTemplateVersions', () =>
      this.client.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: launchTemplateId, Versions: ['$Default'] })),
    );
    const version = res.LaunchTemplateVersions?.[0];
    if (!version) throw new Error(`launch template ${launchTemplateId} has no default version`);
    return toLaunchTemplateVersionView(version, launchTemplateId);
  }

  async createLaunchTemplateVersion(launchTemplateId: string, sourceVersion: number, change: LaunchTemplateChange): Promise<number> {
    const data = launchTemplateData(change);
    const res = await this.call('CreateLaunchTemplateVersion', () =>
      this.client.send(
        new CreateLaunchTemplateVersionCommand({
          LaunchTemplateId: launchTemplateId,
          SourceVersion: String(sourceVersion),
          VersionDescription: change.description,
          ClientToken: launchTemplateClientToken(launchTemplateId, sourceVersion, change.description, data),
          LaunchTemplateData: data,
        }),
      ),
    );
    const version = res.LaunchTemplateVersion?.VersionNumber;
    if (version === undefined) throw new Error(`CreateLaunchTemplateVersion on ${launchTemplateId} answered no version number`);
    return version;
  }

  async setDefaultLaunchTemplateVersion(launchTemplateId: string, version: number): Promise<void> {
    await this.call('ModifyLaunchTemplate', () =>
      this.client.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: launchTemplateId, DefaultVersion: String(version) })),
    );
  }
}

/**
 * The SDK adapters behind launch settings, preflight's network reads and verification's instance
 * reads: the exact commands and inputs they send (aws-sdk-client-mock), and, for the writes, the
 * request on the wire held to the official botocore models (shared/aws-models), so they meet the
 * emulator, and AWS, exactly.
 */
import 'aws-sdk-client-mock-jest';
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import { MgnClient, ThrottlingException } from '@aws-sdk/client-mgn';
import { mockClient } from 'aws-sdk-client-mock';
import { launchTemplateClientToken, launchTemplateData, SdkEc2Port } from '../../../functions/lib/adapters/ec2';
import { SdkMgnPort } from '../../../functions/lib/adapters/mgn';
import { TryLaterError } from '../../../functions/lib/errors';
import type { LaunchTemplateChange } from '../../../functions/lib/ports';
import { GetLaunchConfigurationCommand, UpdateLaunchConfigurationCommand, mockMgn } from '../mgn-mock';

const CUTOVER_CHANGE: LaunchTemplateChange = {
  networkInterface: { subnetId: 'subnet-0c0000000000000c2', groups: ['sg-0a1b2c3d4e5f60001', 'sg-0b0000000000000b2'], privateIpAddress: '10.20.12.40' },
  instanceType: 'm6i.xlarge',
  instanceProfileName: 'MgnOrchestratorLaunchedInstance',
  tagSpecifications: [
    { resourceType: 'instance', tags: { Project: 'atlas' } },
    { resourceType: 'volume', tags: { Project: 'atlas' } },
  ],
  description: 'mgn-orchestrator: cutover launch of wave wave-7',
};

const awsError = (name: string, message: string) => Object.assign(new Error(message), { name, $metadata: {} });

describe('EC2 adapter: launch templates', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => ec2.reset());
  const port = new SdkEc2Port(new EC2Client({ region: 'eu-west-1' }));

  it('creates the version from the default one with exactly the network interface, type, profile and tags (no key pair, no instance-level groups)', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).resolves({ LaunchTemplateVersion: { LaunchTemplateId: 'lt-0123456789abcdef0', VersionNumber: 4 } });

    expect(await port.createLaunchTemplateVersion('lt-0123456789abcdef0', 3, CUTOVER_CHANGE)).toBe(4);

    expect(ec2).toHaveReceivedCommandTimes(CreateLaunchTemplateVersionCommand, 1);
    expect(ec2.commandCalls(CreateLaunchTemplateVersionCommand)[0].args[0].input).toEqual({
      LaunchTemplateId: 'lt-0123456789abcdef0',
      SourceVersion: '3',
      VersionDescription: 'mgn-orchestrator: cutover launch of wave wave-7',
      ClientToken: expect.stringMatching(/^[0-9a-f]{64}$/),
      LaunchTemplateData: {
        NetworkInterfaces: [
          {
            DeviceIndex: 0,
            SubnetId: 'subnet-0c0000000000000c2',
            Groups: ['sg-0a1b2c3d4e5f60001', 'sg-0b0000000000000b2'],
            PrivateIpAddress: '10.20.12.40',
            AssociatePublicIpAddress: false,
            DeleteOnTermination: true,
          },
        ],
        InstanceType: 'm6i.xlarge',
        IamInstanceProfile: { Name: 'MgnOrchestratorLaunchedInstance' },
        TagSpecifications: [
          { ResourceType: 'instance', Tags: [{ Key: 'Project', Value: 'atlas' }] },
          { ResourceType: 'volume', Tags: [{ Key: 'Project', Value: 'atlas' }] },
        ],
      },
    });
  });

  it('a test launch: no private IP, no type when MGN right-sizes, no tags when there are none', () => {
    expect(
      launchTemplateData({ networkInterface: { subnetId: 'subnet-0a0000000000000a1', groups: ['sg-0a1b2c3d4e5f60001'] }, description: 'd' }),
    ).toEqual({
      NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0a0000000000000a1', Groups: ['sg-0a1b2c3d4e5f60001'], AssociatePublicIpAddress: false, DeleteOnTermination: true }],
    });
  });

  it('one change over one source version is one idempotency token: a retried step gets the version it made, not a second one', () => {
    const data = launchTemplateData(CUTOVER_CHANGE);
    const token = launchTemplateClientToken('lt-0123456789abcdef0', 3, CUTOVER_CHANGE.description, data);
    expect(launchTemplateClientToken('lt-0123456789abcdef0', 3, CUTOVER_CHANGE.description, launchTemplateData(CUTOVER_CHANGE))).toBe(token);
    expect(launchTemplateClientToken('lt-0123456789abcdef0', 4, CUTOVER_CHANGE.description, data)).not.toBe(token);
    expect(launchTemplateClientToken('lt-0123456789abcdef0', 3, 'another wave', data)).not.toBe(token);
  });

  it('makes the version the default with ModifyLaunchTemplate and reads the default with $Default', async () => {
    ec2.on(ModifyLaunchTemplateCommand).resolves({});
    ec2.on(DescribeLaunchTemplateVersionsCommand).resolves({
      LaunchTemplateVersions: [
        {
          LaunchTemplateId: 'lt-0123456789abcdef0',
          VersionNumber: 4,
          DefaultVersion: true,
          LaunchTemplateData: {
            NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: 'subnet-0c0000000000000c2', Groups: ['sg-0a1b2c3d4e5f60001'], AssociatePublicIpAddress: false }],
            InstanceType: 'm6i.xlarge',
            IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/MgnOrchestratorLaunchedInstance' },
            TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'Project', Value: 'atlas' }] }],
            SecurityGroupIds: ['sg-0d0000000000000d1'],
            KeyName: 'ops',
          },
        },
      ],
    });

    await port.setDefaultLaunchTemplateVersion('lt-0123456789abcdef0', 4);
    const view = await port.describeDefaultLaunchTemplateVersion('lt-0123456789abcdef0');

    expect(ec2).toHaveReceivedCommandWith(ModifyLaunchTemplateCommand, { LaunchTemplateId: 'lt-0123456789abcdef0', DefaultVersion: '4' });
    expect(ec2).toHaveReceivedCommandWith(DescribeLaunchTemplateVersionsCommand, { LaunchTemplateId: 'lt-0123456789abcdef0', Versions: ['$Default'] });
    expect(view).toEqual({
      launchTemplateId: 'lt-0123456789abcdef0',
      versionNumber: 4,
      networkInterfaces: [{ deviceIndex: 0, subnetId: 'subnet-0c0000000000000c2', groups: ['sg-0a1b2c3d4e5f60001'], associatePublicIpAddress: false, privateIpAddress: undefined, deleteOnTermination: undefined }],
      instanceType: 'm6i.xlarge',
      instanceProfile: { name: undefined, arn: 'arn:aws:iam::123456789012:instance-profile/MgnOrchestratorLaunchedInstance' },
      tagSpecifications: [{ resourceType: 'instance', tags: { Project: 'atlas' } }],
      instanceSecurityGroups: ['sg-0d0000000000000d1'],
      keyName: 'ops',
    });
  });

  it('RequestLimitExceeded is "try later"; InvalidLaunchTemplateId.NotFound is a refusal that keeps its name', async () => {
    ec2.on(CreateLaunchTemplateVersionCommand).rejects(awsError('RequestLimitExceeded', 'Request limit exceeded.'));
    ec2.on(ModifyLaunchTemplateCommand).rejects(awsError('InvalidLaunchTemplateId.NotFound', 'The specified launch template, with template ID lt-0123456789abcdef0, does not exist.'));

    await expect(port.createLaunchTemplateVersion('lt-0123456789abcdef0', 1, CUTOVER_CHANGE)).rejects.toMatchObject({ name: 'TryLaterError', code: 'RequestLimitExceeded' });
    const refused = await port.setDefaultLaunchTemplateVersion('lt-0123456789abcdef0', 2).catch((e: unknown) => e);
    expect(refused).not.toBeInstanceOf(TryLaterError);
    expect(refused).toMatchObject({ name: 'InvalidLaunchTemplateId.NotFound' });
  });
});

describe('EC2 adapter: the target network and launched instances', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => ec2.reset());
  const port = new SdkEc2Port(new EC2Client({ region: 'eu-west-1' }));

  it('looks subnets and groups up by filter, at most 200 values a call, following NextToken; unknown ids are simply absent', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `subnet-${String(i).padStart(17, '0')}`);
    ec2.on(DescribeSubnetsCommand).callsFake((input) => {
      const values: string[] = input.Filters[0].Values;
      const known = values.filter((id) => !id.endsWith('7'));
      return input.NextToken
        ? { Subnets: [] }
        : { Subnets: known.map((id) => ({ SubnetId: id, VpcId: 'vpc-0f1e2d3c4b5a69788', CidrBlock: '10.20.1.0/24', AvailabilityZone: 'eu-west-1a', AvailableIpAddressCount: 251 })), NextToken: values.length === 50 ? 'more' : undefined };
    });
    ec2.on(DescribeSecurityGroupsCommand).resolves({ SecurityGroups: [{ GroupId: 'sg-0a1b2c3d4e5f60001', VpcId: 'vpc-0f1e2d3c4b5a69788' }] });

    const subnets = await port.describeSubnets([...ids, ids[0]]);
    const groups = await port.describeSecurityGroups(['sg-0a1b2c3d4e5f60001', 'sg-0404040404040404f']);

    expect(ec2.commandCalls(DescribeSubnetsCommand).map((c) => [c.args[0].input.Filters?.[0].Name, c.args[0].input.Filters?.[0].Values?.length, c.args[0].input.NextToken])).toEqual([
      ['subnet-id', 200, undefined],
      ['subnet-id', 200, undefined],
      ['subnet-id', 50, undefined],
      ['subnet-id', 50, 'more'],
    ]);
    expect(subnets).toHaveLength(405);
    expect(subnets[0]).toEqual({ subnetId: ids[0], vpcId: 'vpc-0f1e2d3c4b5a69788', cidrBlock: '10.20.1.0/24', availabilityZone: 'eu-west-1a', availableIpAddressCount: 251 });
    expect(ec2).toHaveReceivedCommandWith(DescribeSecurityGroupsCommand, { Filters: [{ Name: 'group-id', Values: ['sg-0a1b2c3d4e5f60001', 'sg-0404040404040404f'] }] });
    expect(groups).toEqual([{ groupId: 'sg-0a1b2c3d4e5f60001', vpcId: 'vpc-0f1e2d3c4b5a69788' }]);
  });

  it("reads the subnets' own route tables and their VPCs' main tables in two calls, with every route's target", async () => {
    const main = {
      RouteTableId: 'rtb-0a0000000000000m1',
      VpcId: 'vpc-0f1e2d3c4b5a69788',
      Associations: [{ Main: true, RouteTableId: 'rtb-0a0000000000000m1' }],
      Routes: [{ DestinationCidrBlock: '10.20.0.0/16', GatewayId: 'local', State: 'active' }],
    };
    const own = {
      RouteTableId: 'rtb-0e0000000000000e1',
      VpcId: 'vpc-0f1e2d3c4b5a69788',
      Associations: [{ SubnetId: 'subnet-0e0000000000000e1', Main: false }],
      Routes: [
        { DestinationCidrBlock: '0.0.0.0/0', NatGatewayId: 'nat-0a1b2c3d4e5f60718', State: 'active' },
        { DestinationIpv6CidrBlock: '::/0', EgressOnlyInternetGatewayId: 'eigw-0a1b2c3d4e5f60718', State: 'active' },
        { DestinationPrefixListId: 'pl-6ea54007', GatewayId: 'vpce-0a1b2c3d4e5f60718', State: 'active' },
        { DestinationCidrBlock: '10.30.0.0/16', TransitGatewayId: 'tgw-0a1b2c3d4e5f60718', State: 'blackhole' },
      ],
    };
    ec2.on(DescribeRouteTablesCommand).callsFake((input) => ({ RouteTables: input.Filters[0].Name === 'vpc-id' ? [main, own] : [own] }));

    const tables = await port.describeRouteTables({ subnetIds: ['subnet-0e0000000000000e1'], mainOfVpcIds: ['vpc-0f1e2d3c4b5a69788'] });

    expect(ec2.commandCalls(DescribeRouteTablesCommand).map((c) => c.args[0].input.Filters)).toEqual([
      [{ Name: 'association.subnet-id', Values: ['subnet-0e0000000000000e1'] }],
      [
        { Name: 'vpc-id', Values: ['vpc-0f1e2d3c4b5a69788'] },
        { Name: 'association.main', Values: ['true'] },
      ],
    ]);
    expect(tables).toEqual([
      {
        routeTableId: 'rtb-0e0000000000000e1',
        vpcId: 'vpc-0f1e2d3c4b5a69788',
        main: false,
        subnetIds: ['subnet-0e0000000000000e1'],
        routes: [
          { destination: '0.0.0.0/0', target: 'nat-0a1b2c3d4e5f60718', state: 'active' },
          { destination: '::/0', target: 'eigw-0a1b2c3d4e5f60718', state: 'active' },
          { destination: 'pl-6ea54007', target: 'vpce-0a1b2c3d4e5f60718', state: 'active' },
          { destination: '10.30.0.0/16', target: 'tgw-0a1b2c3d4e5f60718', state: 'blackhole' },
        ],
      },
      { routeTableId: 'rtb-0a0000000000000m1', vpcId: 'vpc-0f1e2d3c4b5a69788', main: true, subnetIds: [], routes: [{ destination: '10.20.0.0/16', target: 'local', state: 'active' }] },
    ]);
  });

  it('reads launched instances by filter: subnet, private IP, type, groups, profile, tags', async () => {
    ec2.on(DescribeInstancesCommand).resolves({
      Reservations: [
        {
          Instances: [
            {
              InstanceId: 'i-0aaaaaaaaaaaaaaa1',
              State: { Name: 'running' },
              SubnetId: 'subnet-0a0000000000000a1',
              VpcId: 'vpc-0f1e2d3c4b5a69788',
              PrivateIpAddress: '10.20.1.10',
              InstanceType: 'm5.large',
              SecurityGroups: [{ GroupId: 'sg-0a1b2c3d4e5f60001', GroupName: 'target' }],
              IamInstanceProfile: { Arn: 'arn:aws:iam::123456789012:instance-profile/MgnOrchestratorLaunchedInstance' },
              Tags: [{ Key: 'mgn-orchestrator:allowed', Value: 'true' }],
            },
          ],
        },
      ],
    });

    expect(await port.describeInstances(['i-0aaaaaaaaaaaaaaa1', 'i-0ffffffffffffffff'])).toEqual([
      {
        instanceId: 'i-0aaaaaaaaaaaaaaa1',
        state: 'running',
        subnetId: 'subnet-0a0000000000000a1',
        vpcId: 'vpc-0f1e2d3c4b5a69788',
        privateIpAddress: '10.20.1.10',
        instanceType: 'm5.large',
        securityGroupIds: ['sg-0a1b2c3d4e5f60001'],
        instanceProfileArn: 'arn:aws:iam::123456789012:instance-profile/MgnOrchestratorLaunchedInstance',
        tags: { 'mgn-orchestrator:allowed': 'true' },
      },
    ]);
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: [{ Name: 'instance-id', Values: ['i-0aaaaaaaaaaaaaaa1', 'i-0ffffffffffffffff'] }] });
  });
});

describe('MGN adapter: launch configuration', () => {
  const mgn = mockMgn();
  beforeEach(() => mgn.reset());
  const port = new SdkMgnPort(new MgnClient({ region: 'eu-west-1' }));

  it("reads the server's launch template and general settings, post-launch actions as MGN keeps them", async () => {
    mgn.on(GetLaunchConfigurationCommand).resolves({
      sourceServerID: 's-0123456789abcdef0',
      ec2LaunchTemplateID: 'lt-0123456789abcdef0',
      launchDisposition: 'STOPPED',
      targetInstanceTypeRightSizingMethod: 'BASIC',
      copyPrivateIp: false,
      copyTags: true,
      licensing: { osByol: true },
      bootMode: 'UEFI',
      postLaunchActions: { deployment: 'CUTOVER_ONLY', ssmDocuments: [] },
    });

    expect(await port.getLaunchConfiguration('s-0123456789abcdef0')).toEqual({
      sourceServerId: 's-0123456789abcdef0',
      ec2LaunchTemplateId: 'lt-0123456789abcdef0',
      launchDisposition: 'STOPPED',
      rightSizing: 'BASIC',
      copyPrivateIp: false,
      copyTags: true,
      osByol: true,
      bootMode: 'UEFI',
      postLaunchActions: { deployment: 'CUTOVER_ONLY', ssmDocuments: [] },
    });
    expect(mgn).toHaveReceivedCommandWith(GetLaunchConfigurationCommand, { sourceServerID: 's-0123456789abcdef0' });
  });

  it('writes exactly the managed settings, and turns MGN throttling into "try later"', async () => {
    mgn.on(UpdateLaunchConfigurationCommand).resolvesOnce({}).rejectsOnce(new ThrottlingException({ message: 'Rate exceeded', $metadata: {} }));
    const update = {
      launchDisposition: 'STARTED',
      rightSizing: 'NONE',
      copyPrivateIp: false,
      copyTags: true,
      osByol: false,
      bootMode: 'USE_SOURCE',
      postLaunchActions: { deployment: 'TEST_AND_CUTOVER', ssmDocuments: [] },
    } as const;

    await port.updateLaunchConfiguration('s-0123456789abcdef0', update);
    await expect(port.updateLaunchConfiguration('s-0123456789abcdef0', update)).rejects.toMatchObject({ name: 'TryLaterError', code: 'ThrottlingException' });

    expect(mgn.commandCalls(UpdateLaunchConfigurationCommand)[0].args[0].input).toEqual({
      sourceServerID: 's-0123456789abcdef0',
      launchDisposition: 'STARTED',
      targetInstanceTypeRightSizingMethod: 'NONE',
      copyPrivateIp: false,
      copyTags: true,
      licensing: { osByol: false },
      bootMode: 'USE_SOURCE',
      postLaunchActions: { deployment: 'TEST_AND_CUTOVER', ssmDocuments: [] },
    });
  });
});

/**
 * Launch settings in the emulated fleet, through the real SDK clients: MGN launches each server from
 * its EC2 launch template's default version and its launch configuration, and EC2 refuses what it
 * refuses in an account with no default VPC. Also: which launched instances come Online in SSM, and
 * what the verify step's TCP/HTTP probes get from an instance's private IP.
 */
import {
  CreateLaunchTemplateVersionCommand,
  DescribeInstancesCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  ModifyLaunchTemplateCommand,
  type RequestLaunchTemplateData,
} from '@aws-sdk/client-ec2';
import { join } from 'node:path';
import { loadDeployConfig } from '../../infra/config';
import {
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  GetLaunchConfigurationCommand,
  StartTestCommand,
  UpdateLaunchConfigurationCommand,
  type SourceServer,
  type UpdateLaunchConfigurationRequest,
} from '@aws-sdk/client-mgn';
import { DescribeInstanceInformationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { startEmulator, type Emulator } from '../../simulator/emulator';
import { parseScenario, type Scenario } from '../../simulator/scenario';
import { defaultDeployConfig } from '../../simulator/network';
import { clients, destroyClients, installAll, manifest, runUntil, sourceIdOf, TARGET } from './emulator-fixtures';

const OTHER_VPC = 'vpc-0bbbbbbbbbbbbbbb1';
const OTHER_SUBNET = 'subnet-0aaaaaaaaaaaaaaa2';
const OTHER_GROUP = 'sg-0ccccccccccccccc2';
const APP_GROUP = 'sg-0ccccccccccccccc1';

/** Resources a test account has besides the stack: another VPC with a subnet and a group, an app group, a profile without SSM rights. */
const NETWORK = {
  vpcs: [{ vpcId: OTHER_VPC, cidr: '10.60.0.0/16' }],
  subnets: [{ subnetId: OTHER_SUBNET, vpcId: OTHER_VPC, cidr: '10.60.1.0/24', availabilityZone: `${TARGET}a` }],
  securityGroups: [
    { groupId: APP_GROUP, name: 'app', ingress: [{ protocol: 'tcp' as const, fromPort: 8080, toPort: 8080, cidr: '10.40.0.0/16' }] },
    { groupId: OTHER_GROUP, vpcId: OTHER_VPC, name: 'other' },
  ],
  instanceProfiles: [{ name: 'no-ssm-profile', ssmAgent: false }],
};

async function ready(em: Emulator, wave: WaveManifest): Promise<SourceServer[]> {
  await installAll(em, wave);
  await runUntil(em, () => em.fleet.sourceServers.size === wave.servers.length && [...em.fleet.sourceServers.values()].every((s) => s.lifeCycle === 'READY_FOR_TEST'));
  const list = (await clients(em.url).mgn.send(new DescribeSourceServersCommand({}))).items!;
  // manifest order
  return wave.servers.map((spec) => list.find((s) => em.fleet.sourceServers.get(s.sourceServerID!)!.record.spec.name === spec.name)!);
}

/** A new default template version from the default one, overlaid with `data`; and launch settings when given. */
async function launchWith(em: Emulator, sourceServerID: string, data: RequestLaunchTemplateData, settings: Omit<UpdateLaunchConfigurationRequest, 'sourceServerID'> = {}): Promise<void> {
  const { mgn, ec2 } = clients(em.url, TARGET);
  if (Object.keys(settings).length) await mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID, ...settings }));
  const templateId = (await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID }))).ec2LaunchTemplateID!;
  const [current] = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] }))).LaunchTemplateVersions!;
  const created = await ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: templateId, SourceVersion: String(current.VersionNumber), LaunchTemplateData: data }));
  await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(created.LaunchTemplateVersion!.VersionNumber) }));
}

/** Starts a test job for the servers and waits until it is over; returns each server's launch status and log error. */
async function testLaunch(em: Emulator, ids: string[]): Promise<Map<string, { status: string; rawError?: string; instanceId?: string }>> {
  const { mgn } = clients(em.url, TARGET);
  const job = (await mgn.send(new StartTestCommand({ sourceServerIDs: ids }))).job!;
  await runUntil(em, () => em.fleet.activeJobs().length === 0);
  const [done] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [job.jobID!] } }))).items!;
  const logs = (await mgn.send(new DescribeJobLogItemsCommand({ jobID: job.jobID! }))).items!;
  return new Map(
    done.participatingServers!.map((p) => [
      p.sourceServerID!,
      { status: p.launchStatus!, rawError: logs.find((l) => l.event === 'LAUNCH_FAILED' && l.eventData?.sourceServerID === p.sourceServerID)?.eventData?.rawError, instanceId: p.launchedEc2InstanceID },
    ]),
  );
}

const network = (em: Emulator) => em.stack;

afterAll(() => destroyClients());

describe('launch settings: MGN launches from the template, EC2 refuses what it refuses', () => {
  let em: Emulator;
  afterEach(async () => em?.close());

  it('a template that names no subnet fails every launch with EC2\'s VPCIdNotSpecified (there is no default VPC); nothing is launched', async () => {
    const wave = manifest('nosub', 4);
    em = await startEmulator({ manifests: [wave] });
    const servers = await ready(em, wave);
    const results = await testLaunch(em, servers.map((s) => s.sourceServerID!));
    expect([...results.values()]).toEqual(servers.map(() => ({ status: 'FAILED', rawError: 'VPCIdNotSpecified: No default VPC for this user', instanceId: undefined })));
    const after = (await clients(em.url).mgn.send(new DescribeSourceServersCommand({}))).items!;
    expect(after.map((s) => s.lifeCycle!.state)).toEqual(['READY_FOR_TEST', 'READY_FOR_TEST', 'READY_FOR_TEST', 'READY_FOR_TEST']);
    const launched = await clients(em.url).ec2.send(new DescribeInstancesCommand({ Filters: [{ Name: 'tag-key', Values: ['AWSApplicationMigrationServiceManaged'] }] }));
    expect(launched.Reservations).toEqual([]);
  });

  it('launches exactly as the template and launch configuration say; each bad template fails its own server with the EC2 error', async () => {
    const wave = manifest('exact', 10);
    em = await startEmulator({ manifests: [wave], scenario: parseScenario({ network: NETWORK }) });
    const servers = await ready(em, wave);
    const ids = servers.map((s) => s.sourceServerID!);
    const stack = network(em);
    const [testA, testB] = stack.subnetIds.test;
    const subnetA = em.targetNetwork.subnets.find((s) => s.subnetId === testA)!.cidrBlock; // 10.40.8.0/22
    const ip = (last: number) => subnetA.replace(/0\/\d+$/, String(last));
    const nic = (extra: object = {}) => [{ DeviceIndex: 0, SubnetId: testA, Groups: [stack.securityGroupIds.target], AssociatePublicIpAddress: false, ...extra }];
    const profile = { Name: stack.launchedInstanceProfileName };
    const none = { targetInstanceTypeRightSizingMethod: 'NONE' as const };
    await launchWith(em, ids[0], { InstanceType: 'm6i.xlarge', IamInstanceProfile: profile, NetworkInterfaces: nic({ Groups: [stack.securityGroupIds.target, APP_GROUP], PrivateIpAddress: ip(50) }), TagSpecifications: [{ ResourceType: 'instance', Tags: [{ Key: 'CostCentre', Value: 'cc-7' }] }] }, { ...none, bootMode: 'UEFI' });
    await launchWith(em, ids[1], { NetworkInterfaces: nic({ SubnetId: 'subnet-0000000000000dead' }) });
    await launchWith(em, ids[2], { NetworkInterfaces: nic({ SubnetId: testB, Groups: [OTHER_GROUP] }) });
    await launchWith(em, ids[3], { IamInstanceProfile: { Name: 'nobody' }, NetworkInterfaces: nic() });
    await launchWith(em, ids[4], { NetworkInterfaces: nic({ PrivateIpAddress: '10.40.7.9' }) });
    await launchWith(em, ids[5], { NetworkInterfaces: nic({ PrivateIpAddress: ip(50) }) });
    // the source's address (10.10.x.x) is not in the test subnet
    await launchWith(em, ids[6], { NetworkInterfaces: nic() }, { copyPrivateIp: true });
    await launchWith(em, ids[7], { NetworkInterfaces: nic(), SecurityGroupIds: [stack.securityGroupIds.target] });
    // BASIC right-sizing: MGN's choice, not the template's type; EC2 picks the address
    await launchWith(em, ids[8], { InstanceType: 't3.nano', IamInstanceProfile: profile, NetworkInterfaces: nic({ SubnetId: testB }) });
    // a profile the account has, but whose role the stack's launch steps may not pass (not in launchInstanceProfiles)
    await launchWith(em, ids[9], { IamInstanceProfile: { Name: 'no-ssm-profile' }, NetworkInterfaces: nic() });

    const results = await testLaunch(em, ids);
    const outcome = (i: number) => results.get(ids[i])!;
    expect(outcome(0)).toMatchObject({ status: 'LAUNCHED', rawError: undefined });
    expect(outcome(1)).toEqual({ status: 'FAILED', rawError: "InvalidSubnetID.NotFound: The subnet ID 'subnet-0000000000000dead' does not exist", instanceId: undefined });
    expect(outcome(2).rawError).toBe(`InvalidParameter: Security group ${OTHER_GROUP} and subnet ${testB} belong to different networks.`);
    expect(outcome(3).rawError).toBe('InvalidParameterValue: Value (nobody) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name');
    expect(outcome(4).rawError).toBe("InvalidParameterValue: Address 10.40.7.9 does not fall within the subnet's address range");
    expect(outcome(5).rawError).toBe(`InvalidIPAddress.InUse: Address ${ip(50)} is in use.`);
    expect(outcome(6).rawError).toMatch(/^InvalidParameterValue: Address 10\.10\.\d+\.\d+ does not fall within the subnet's address range$/);
    expect(outcome(7).rawError).toBe('InvalidParameterCombination: Network interfaces and an instance-level security groups may not be specified on the same request');
    expect(outcome(8)).toMatchObject({ status: 'LAUNCHED' });
    expect(outcome(9).rawError).toMatch(/^UnauthorizedOperation: You are not authorized to perform this operation\. The caller is not authorized to perform: iam:PassRole on the role of instance profile no-ssm-profile/);
    const states = (await clients(em.url).mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: ids } }))).items!;
    expect(ids.map((id) => states.find((s) => s.sourceServerID === id)!.lifeCycle!.state)).toEqual(['TESTING', ...Array(7).fill('READY_FOR_TEST'), 'TESTING', 'READY_FOR_TEST']);

    const described = await clients(em.url).ec2.send(new DescribeInstancesCommand({ InstanceIds: [outcome(0).instanceId!, outcome(8).instanceId!] }));
    const [exact, basic] = described.Reservations!.map((r) => r.Instances![0]);
    const profileArn = em.targetNetwork.instanceProfiles[0].arn;
    expect(exact).toMatchObject({
      SubnetId: testA,
      VpcId: stack.vpcId,
      PrivateIpAddress: ip(50),
      InstanceType: 'm6i.xlarge',
      IamInstanceProfile: { Arn: profileArn },
      SecurityGroups: [
        { GroupId: stack.securityGroupIds.target, GroupName: 'MgnOrchestrator-TargetSecurityGroup' },
        { GroupId: APP_GROUP, GroupName: 'app' },
      ],
      Placement: { AvailabilityZone: `${TARGET}a` },
      BootMode: 'uefi',
    });
    expect(exact.Tags).toEqual(expect.arrayContaining([{ Key: 'CostCentre', Value: 'cc-7' }, { Key: 'AWSApplicationMigrationServiceManaged', Value: 'mgn.amazonaws.com' }, { Key: 'AWSApplicationMigrationServiceSourceServerID', Value: ids[0] }]));
    expect(basic).toMatchObject({ SubnetId: testB, InstanceType: 'm5.large', PrivateIpAddress: '10.40.12.4' });
  });

  it('runs out of addresses as a subnet does: 11 usable in a /28 (EC2 reserves five), then InsufficientFreeAddressesInSubnet', async () => {
    const wave = manifest('full', 12);
    const small = 'subnet-0aaaaaaaaaaaaaaa9';
    em = await startEmulator({ manifests: [wave], scenario: parseScenario({ network: { subnets: [{ subnetId: small, cidr: '10.40.250.0/28', availabilityZone: `${TARGET}a` }] } }) });
    const servers = await ready(em, wave);
    for (const s of servers) await launchWith(em, s.sourceServerID!, { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: small }] });
    const results = [...(await testLaunch(em, servers.map((s) => s.sourceServerID!))).values()];
    expect(results.filter((r) => r.status === 'LAUNCHED')).toHaveLength(11);
    expect(results.filter((r) => r.status === 'FAILED').map((r) => r.rawError)).toEqual([
      `InsufficientFreeAddressesInSubnet: There are not enough free addresses in subnet '${small}' to satisfy the requested number of instances.`,
    ]);
    const [subnet] = (await clients(em.url).ec2.send(new DescribeSubnetsCommand({ SubnetIds: [small] }))).Subnets!;
    expect(subnet.AvailableIpAddressCount).toBe(0);
  });

  it('reads the template when the job starts: a version written after StartTest does not change that launch', async () => {
    const wave = manifest('snap', 1);
    em = await startEmulator({ manifests: [wave] });
    const [server] = await ready(em, wave);
    const { mgn } = clients(em.url, TARGET);
    const job = (await mgn.send(new StartTestCommand({ sourceServerIDs: [server.sourceServerID!] }))).job!;
    await launchWith(em, server.sourceServerID!, { NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: network(em).subnetIds.test[0] }] });
    await runUntil(em, () => em.fleet.activeJobs().length === 0);
    const [done] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [job.jobID!] } }))).items!;
    expect(done.participatingServers![0].launchStatus).toBe('FAILED');
  });
});

describe('launched instances in SSM: Online as their i- id only with an instance profile, the SSM endpoints in their VPC, and for an on-premises clone the post-launch actions', () => {
  let em: Emulator;
  afterAll(async () => em?.close());

  it('follows the rules for each kind of launch', async () => {
    const wave = manifest('ssm', 6); // even: EC2 sources; odd: on-premises (mi-)
    // the stack may pass no-ssm-profile's role (deploy config launchInstanceProfiles)
    const deployConfig = { ...defaultDeployConfig(TARGET), launchInstanceProfiles: [{ name: 'no-ssm-profile', roleArn: 'arn:aws:iam::111122223333:role/NoSsm' }] };
    em = await startEmulator({ manifests: [wave], scenario: parseScenario({ network: NETWORK }), deployConfig });
    const servers = await ready(em, wave);
    const ids = servers.map((s) => s.sourceServerID!);
    const stack = network(em);
    const nic = (subnet = stack.subnetIds.test[0], groups = [stack.securityGroupIds.target]) => [{ DeviceIndex: 0, SubnetId: subnet, Groups: groups }];
    const profile = { Name: stack.launchedInstanceProfileName };
    await launchWith(em, ids[0], { IamInstanceProfile: profile, NetworkInterfaces: nic() }); // EC2 source, profile, endpoints
    await launchWith(em, ids[2], { NetworkInterfaces: nic() }); // no instance profile
    await launchWith(em, ids[4], { IamInstanceProfile: { Name: 'no-ssm-profile' }, NetworkInterfaces: nic() }); // a profile without SSM rights
    await launchWith(em, ids[1], { IamInstanceProfile: profile, NetworkInterfaces: nic() }); // mi- clone, no post-launch actions
    await launchWith(em, ids[3], { IamInstanceProfile: profile, NetworkInterfaces: nic() }, { postLaunchActions: { deployment: 'TEST_ONLY' } });
    await launchWith(em, ids[5], { IamInstanceProfile: profile, NetworkInterfaces: nic(OTHER_SUBNET, [OTHER_GROUP]) }, { postLaunchActions: { deployment: 'TEST_AND_CUTOVER' } }); // a VPC without endpoints
    const results = await testLaunch(em, ids);
    expect([...results.values()].map((r) => r.status)).toEqual(Array(6).fill('LAUNCHED'));
    em.clock.advanceBy(600);

    const instanceOf = (i: number) => results.get(ids[i])!.instanceId!;
    const { ssm } = clients(em.url, TARGET);
    const info = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: ids.map((_, i) => instanceOf(i)) }] }));
    expect(info.InstanceInformationList!.map((i) => i.InstanceId).sort()).toEqual([instanceOf(0), instanceOf(3)].sort());
    expect(info.InstanceInformationList!.every((i) => i.PingStatus === 'Online' && i.ResourceType === 'EC2Instance')).toBe(true);
    // the on-premises source itself stays the managed instance it was
    const source = sourceIdOf(wave.servers[1]);
    expect((await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [source] }] }))).InstanceInformationList).toHaveLength(1);

    // Run Command: one offline target refuses the whole call; the Online one alone is accepted
    const offline = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceOf(0), instanceOf(2)], Parameters: { commands: ['true'] } })).catch((e: Error) => e);
    expect((offline as Error).name).toBe('InvalidInstanceId');
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [instanceOf(0)], Parameters: { commands: ['true'] } }));
    expect(sent.Command!.InstanceIds).toEqual([instanceOf(0)]);
    const reasons = [2, 4, 1, 5].map((i) => em.fleet.ssmOfflineReason(em.fleet.instances.get(instanceOf(i))!, i === 5));
    expect(reasons).toEqual([
      'the instance has no instance profile',
      'instance profile no-ssm-profile does not allow the SSM agent',
      'the clone of an on-premises source keeps its hybrid (mi-) registration: no post-launch actions installed the SSM agent for this launch',
      `VPC ${OTHER_VPC} has no ssm interface endpoint`,
    ]);
  });
});

describe('probes from the verify step to an instance\'s private IP', () => {
  let em: Emulator;
  afterEach(async () => em?.close());
  const CLOSED_GROUP = 'sg-0ccccccccccccccc3';
  const OUTSIDE_SUBNET = 'subnet-0aaaaaaaaaaaaaaa3';

  /** Three servers with the same checks, each launched as `where` says; returns their private IPs. */
  async function launchedProbeWave(where: { subnet: 'test' | 'outside'; groups: 'target' | 'closed' }[], scenario: Scenario = {}): Promise<string[]> {
    const base = manifest('prb', where.length);
    const wave = parseManifest({
      ...base,
      servers: base.servers.map((s) => ({ ...s, checks: [{ type: 'tcp', port: 8080 }, { type: 'http', url: 'http://localhost:8080/health?deep=1', expectStatus: 204 }] })),
    });
    const network = {
      ...NETWORK,
      subnets: [...NETWORK.subnets, { subnetId: OUTSIDE_SUBNET, cidr: '10.40.200.0/24', availabilityZone: `${TARGET}a` }],
      securityGroups: [...NETWORK.securityGroups, { groupId: CLOSED_GROUP, name: 'closed' }],
    };
    em = await startEmulator({ manifests: [wave], scenario: parseScenario({ ...scenario, network }) });
    const servers = await ready(em, wave);
    const stack = em.stack;
    for (const [i, s] of servers.entries())
      await launchWith(em, s.sourceServerID!, {
        IamInstanceProfile: { Name: stack.launchedInstanceProfileName },
        NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: where[i].subnet === 'test' ? stack.subnetIds.test[0] : OUTSIDE_SUBNET, Groups: [where[i].groups === 'target' ? stack.securityGroupIds.target : CLOSED_GROUP] }],
      });
    const results = await testLaunch(em, servers.map((s) => s.sourceServerID!));
    return servers.map((s) => em.fleet.instances.get(results.get(s.sourceServerID!)!.instanceId!)!.privateIp);
  }

  it('answer as the server\'s checks say through the stack\'s groups: check ports open, others refused, each URL its status, a failing check failing', async () => {
    const [ip, other, faulty] = await launchedProbeWave(
      [
        { subnet: 'test', groups: 'target' },
        { subnet: 'test', groups: 'target' },
        { subnet: 'test', groups: 'target' },
      ],
      { servers: { 'prb-srv2': { fault: 'test-check-fails' } } },
    );
    // booting: the OS is not up yet
    expect(await em.network.tcpProbe(ip, 8080, 3000)).toBe(`no TCP connection to ${ip}:8080 within 3000 ms`);
    em.clock.advanceBy(600);
    expect(await em.network.tcpProbe(ip, 8080, 3000)).toBeUndefined();
    expect(await em.network.tcpProbe(other, 8080, 3000)).toBeUndefined();
    // the groups let the probe through to any port; nothing listens on 22
    expect(await em.network.tcpProbe(ip, 22, 3000)).toBe(`${ip}:22: ECONNREFUSED`);
    expect(await em.network.httpProbe(`http://${ip}:8080/health?deep=1`, 3000)).toEqual({ status: 204 });
    expect(await em.network.httpProbe(`http://${ip}:8080/other`, 3000)).toEqual({ status: 404 });
    expect(await em.network.httpProbe(`http://${ip}:9090/health?deep=1`, 3000)).toEqual({ error: `${ip}:9090: ECONNREFUSED` });
    // the test-check-fails server's first check (tcp 8080) fails
    expect(await em.network.tcpProbe(faulty, 8080, 3000)).toBe(`${faulty}:8080: ECONNREFUSED`);
    expect(await em.network.tcpProbe('10.40.5.250', 8080, 3000)).toBe('no TCP connection to 10.40.5.250:8080 within 3000 ms');
  });

  it('time out where the groups drop them: a group that does not admit the probe group, a subnet outside the test and cutover tiers', async () => {
    const [closed, outside] = await launchedProbeWave([
      { subnet: 'test', groups: 'closed' },
      { subnet: 'outside', groups: 'target' },
    ]);
    em.clock.advanceBy(600);
    expect(await em.network.tcpProbe(closed, 8080, 3000)).toBe(`no TCP connection to ${closed}:8080 within 3000 ms`);
    expect(await em.network.httpProbe(`http://${outside}:8080/health?deep=1`, 3000)).toEqual({ error: `no TCP connection to ${outside}:8080 within 3000 ms` });
  });
});

describe('the emulated account with a mode "existing" deploy config, and throttling', () => {
  let em: Emulator;
  afterEach(async () => em?.close());

  it('serves the given VPC, subnets and shared route tables of examples/deploy/on-premises.json, with its Transit Gateway routes', async () => {
    const config = loadDeployConfig(join(__dirname, '..', '..', 'examples', 'deploy', 'on-premises.json'));
    em = await startEmulator({ deployConfig: config });
    const { ec2 } = clients(em.url, 'eu-west-1');
    expect((await ec2.send(new DescribeVpcsCommand({}))).Vpcs!.map((v) => [v.VpcId, v.CidrBlock, v.IsDefault])).toEqual([['vpc-0f1e2d3c4b5a69788', '10.50.0.0/16', false]]);
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'tag:aws-cdk:subnet-name', Values: ['orchestrator', 'staging'] }] }))).Subnets!;
    expect(subnets.map((s) => [s.SubnetId, s.CidrBlock])).toEqual([
      ['subnet-0a0000000000000a1', '10.50.1.0/24'],
      ['subnet-0a0000000000000b1', '10.50.2.0/24'],
      ['subnet-0a0000000000000a2', '10.50.10.0/24'],
    ]);
    const [shared] = (await ec2.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0a0000000000000a1'] }))).RouteTables!;
    expect(shared.Associations!.map((a) => a.SubnetId)).toEqual(['subnet-0a0000000000000a1', 'subnet-0a0000000000000a3']);
    expect(shared.Routes).toEqual(expect.arrayContaining([expect.objectContaining({ DestinationCidrBlock: '172.16.0.0/12', TransitGatewayId: 'tgw-0123456789abcdef0', State: 'active' })]));
  });

  it('answers RequestLimitExceeded for the network and launch template operations under the scenario\'s throttle', async () => {
    em = await startEmulator({ manifests: [manifest('thr', 1)], scenario: { throttle: { rate: 1 } } });
    const { ec2 } = clients(em.url, TARGET);
    for (const call of [
      () => ec2.send(new DescribeSubnetsCommand({})),
      () => ec2.send(new DescribeLaunchTemplateVersionsCommand({ Versions: ['$Default'] })),
      () => ec2.send(new CreateLaunchTemplateVersionCommand({ LaunchTemplateId: 'lt-00000000000000000', LaunchTemplateData: { InstanceType: 'm5.large' } })),
      () => ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: 'lt-00000000000000000', DefaultVersion: '1' })),
    ]) {
      const err = (await call().catch((e: unknown) => e)) as { name: string; $metadata: { httpStatusCode?: number } };
      expect([err.name, err.$metadata.httpStatusCode]).toEqual(['RequestLimitExceeded', 503]);
    }
  });
});

/**
 * simulator/network.ts: the simulated account's network from a deploy config, held to the CDK stack
 * the same config synthesizes (subnet CIDRs per tier and AZ, the endpoints' services), plus the
 * scenario's network additions and their validation, and the reachability rules the emulator uses.
 */
import { ENDPOINT_GROUPS, INTERFACE_ENDPOINT_SERVICES } from '../../infra/constructs/service-endpoints';
import { loadDeployConfig, type DeployConfig } from '../../infra/config';
import { InvalidInputError } from '../../functions/lib/validation';
import {
  defaultDeployConfig,
  moveDeployConfig,
  networkFromDeployConfig,
  networkSummary,
  ssmUnreachable,
  SEPARATE_ENDPOINT_GROUPS,
  STACK_INTERFACE_SERVICES,
  tcpAllowed,
  type RegionNetwork,
} from '../../simulator/network';
import { parseScenario } from '../../simulator/scenario';
import { repoRoot, synthExample } from '../infra/synth';
import { join } from 'node:path';

const crossRegion = () => loadDeployConfig(join(repoRoot, 'examples', 'deploy', 'cross-region.json'));
const onPremises = () => loadDeployConfig(join(repoRoot, 'examples', 'deploy', 'on-premises.json'));
const tierOf = (net: RegionNetwork, subnetId: string) => net.subnets.find((s) => s.subnetId === subnetId)!;

describe('the network of a mode "new" deploy config', () => {
  const config = crossRegion();
  const net = networkFromDeployConfig(config);
  const stack = net.stack!;

  it('lays out one subnet per AZ and tier, in the order and sizes CDK allocates them', () => {
    const cidrs = (tier: keyof typeof stack.subnetIds) => stack.subnetIds[tier].map((id) => [tierOf(net, id).cidrBlock, tierOf(net, id).availabilityZone]);
    expect(cidrs('orchestrator')).toEqual([['10.40.0.0/24', 'ap-south-1a'], ['10.40.1.0/24', 'ap-south-1b']]);
    expect(cidrs('staging')).toEqual([['10.40.2.0/24', 'ap-south-1a'], ['10.40.3.0/24', 'ap-south-1b']]);
    expect(cidrs('endpoint')).toEqual([['10.40.4.0/26', 'ap-south-1a'], ['10.40.4.64/26', 'ap-south-1b']]);
    expect(cidrs('test')).toEqual([['10.40.8.0/22', 'ap-south-1a'], ['10.40.12.0/22', 'ap-south-1b']]);
    expect(cidrs('cutover')).toEqual([['10.40.16.0/22', 'ap-south-1a'], ['10.40.20.0/22', 'ap-south-1b']]);
    expect(stack.stagingSubnetId).toBe(stack.subnetIds.staging[0]);
    expect(net.vpcs).toEqual([{ vpcId: stack.vpcId, cidrBlock: '10.40.0.0/16', name: 'MgnOrchestrator/Network/Vpc' }]);
  });

  it('gives deterministic ids: the same config, the same ids; another stack name, other ids', () => {
    expect(networkFromDeployConfig(config).stack).toEqual(stack);
    const other = networkFromDeployConfig({ ...config, stackName: 'Other' }).stack!;
    expect(other.vpcId).not.toBe(stack.vpcId);
    for (const id of [stack.vpcId, ...Object.values(stack.subnetIds).flat(), ...Object.values(stack.securityGroupIds), ...Object.values(stack.vpcEndpointIds)])
      expect(id).toMatch(/^(vpc|subnet|sg|vpce)-[0-9a-f]{17}$/);
  });

  it('routes stay inside: local everywhere, the S3 prefix list on the staging tables, the peering route except for test clones; no internet or NAT gateway', () => {
    for (const table of net.routeTables) {
      expect(table.routes[0]).toEqual({ destinationCidrBlock: '10.40.0.0/16', gatewayId: 'local', origin: 'CreateRouteTable' });
      expect(table.routes.some((r) => r.destinationCidrBlock === '0.0.0.0/0' || r.gatewayId?.startsWith('igw-') || r.natGatewayId)).toBe(false);
    }
    const tableOf = (subnetId: string) => net.routeTables.find((t) => t.subnetIds.includes(subnetId))!;
    expect(tableOf(stack.stagingSubnetId).routes).toContainEqual({ destinationPrefixListId: expect.stringMatching(/^pl-[0-9a-f]{8}$/), gatewayId: stack.vpcEndpointIds['s3-gateway'], origin: 'CreateRoute' });
    expect(tableOf(stack.subnetIds.test[0]).routes.some((r) => r.destinationPrefixListId)).toBe(false);
    const peering = { destinationCidrBlock: '10.10.0.0/16', vpcPeeringConnectionId: 'pcx-0a1b2c3d4e5f60718', origin: 'CreateRoute' };
    for (const id of [...stack.subnetIds.orchestrator, ...stack.subnetIds.staging, ...stack.subnetIds.endpoint, ...stack.subnetIds.cutover]) expect(tableOf(id).routes).toContainEqual(peering);
    // a test instance is a clone of a running production server: no route to the sources
    for (const id of stack.subnetIds.test) expect(tableOf(id).routes).toEqual([{ destinationCidrBlock: '10.40.0.0/16', gatewayId: 'local', origin: 'CreateRouteTable' }]);
  });

  it('has the interface endpoints infra/constructs/service-endpoints.ts creates, execute-api for a PRIVATE API, and the S3 gateway', () => {
    expect([...STACK_INTERFACE_SERVICES]).toEqual([...INTERFACE_ENDPOINT_SERVICES]);
    // the same security group per endpoint as the stack (ENDPOINT_GROUPS)
    expect(SEPARATE_ENDPOINT_GROUPS).toEqual({ ec2: [...ENDPOINT_GROUPS.ec2], orchestrator: [...ENDPOINT_GROUPS.orchestrator] });
    const groupOf = (service: string) => net.endpoints.find((e) => e.serviceName.endsWith(`.${service}`) && e.type === 'Interface')!.groupIds[0];
    for (const service of ENDPOINT_GROUPS.hosts) expect(groupOf(service)).toBe(stack.securityGroupIds.endpoints);
    for (const service of [...ENDPOINT_GROUPS.ec2, ...ENDPOINT_GROUPS.orchestrator]) expect(groupOf(service)).not.toBe(stack.securityGroupIds.endpoints);
    const orchestratorOnly = net.securityGroups.find((g) => g.groupId === groupOf('sts'))!;
    expect(orchestratorOnly.ingress.filter((r) => r.cidr).map((r) => r.cidr)).toEqual(['10.40.0.0/24', '10.40.1.0/24']);
    const interfaces = net.endpoints.filter((e) => e.type === 'Interface').map((e) => e.serviceName.split('.').pop());
    expect(interfaces).toEqual([...INTERFACE_ENDPOINT_SERVICES, 'execute-api']);
    expect(networkFromDeployConfig({ ...config, api: { enabled: true, endpointType: 'REGIONAL' } }).endpoints.some((e) => e.serviceName.endsWith('execute-api'))).toBe(false);
    for (const e of net.endpoints.filter((x) => x.type === 'Interface')) expect(e.subnetIds).toEqual(stack.subnetIds.endpoint);
  });

  it('has the stack\'s groups: endpoints admit the sources, staging, orchestrator and target subnets on 443; the target group reaches the endpoints and admits the probe group', () => {
    const group = (role: keyof typeof stack.securityGroupIds) => net.securityGroups.find((g) => g.groupId === stack.securityGroupIds[role])!;
    const endpointCidrs = group('endpoints').ingress.filter((r) => r.cidr).map((r) => r.cidr);
    expect(endpointCidrs).toEqual(['10.10.0.0/16', '10.40.2.0/24', '10.40.3.0/24', '10.40.0.0/24', '10.40.1.0/24', '10.40.8.0/22', '10.40.12.0/22', '10.40.16.0/22', '10.40.20.0/22']);
    expect(group('target').egress).toEqual([expect.objectContaining({ protocol: 'tcp', fromPort: 443, toPort: 443, groupId: stack.securityGroupIds.endpoints })]);
    expect(group('target').ingress).toEqual([expect.objectContaining({ protocol: 'tcp', fromPort: 0, toPort: 65535, groupId: stack.securityGroupIds.probe })]);
    expect(group('probe').egress.map((r) => [r.protocol, r.fromPort, r.toPort, r.cidr])).toEqual(['10.40.8.0/22', '10.40.12.0/22', '10.40.16.0/22', '10.40.20.0/22'].map((c) => ['tcp', 0, 65535, c]));
    expect(group('replication').ingress).toEqual([expect.objectContaining({ protocol: 'tcp', fromPort: 1500, toPort: 1500, cidr: '10.10.0.0/16' })]);
    expect(net.instanceProfiles.map((p) => p.name)).toEqual([stack.launchedInstanceProfileName]);
  });

  it('matches the stack CDK synthesizes from the same config: every subnet tier it has, per AZ, and the endpoints\' services', () => {
    const { json } = synthExample('cross-region');
    const resources = Object.values(json.Resources);
    const tag = (r: { Properties?: Record<string, unknown> }, key: string) => ((r.Properties?.Tags as { Key: string; Value: string }[] | undefined) ?? []).find((t) => t.Key === key)?.Value;
    const synthesized = resources
      .filter((r) => r.Type === 'AWS::EC2::Subnet')
      .map((r) => ({ group: tag(r, 'aws-cdk:subnet-name')!, cidr: r.Properties!.CidrBlock as string, zone: r.Properties!.AvailabilityZone as string }));
    const groups = [...new Set(synthesized.map((s) => s.group))];
    expect(groups).toEqual(expect.arrayContaining(['orchestrator', 'staging', 'endpoints']));
    for (const g of groups) {
      const tier = g === 'endpoints' ? 'endpoint' : g;
      expect({ g, tier: tier in stack.subnetIds }).toEqual({ g, tier: true });
      const ours = stack.subnetIds[tier as keyof typeof stack.subnetIds].map((id) => ({ group: g, cidr: tierOf(net, id).cidrBlock, zone: tierOf(net, id).availabilityZone }));
      expect(ours).toEqual(synthesized.filter((s) => s.group === g));
    }
    const services = resources
      .filter((r) => r.Type === 'AWS::EC2::VPCEndpoint')
      .map((r) => {
        const name = r.Properties!.ServiceName;
        // the gateway endpoint's name is a Fn::Join of the region
        return typeof name === 'string' ? name : JSON.stringify(name).includes('.s3') ? `com.amazonaws.${config.region}.s3` : JSON.stringify(name);
      })
      .sort();
    expect(net.endpoints.map((e) => e.serviceName).sort()).toEqual(services);
  });
});

describe('the network of a mode "existing" deploy config', () => {
  const config = onPremises();
  const net = networkFromDeployConfig(config);
  const stack = net.stack!;

  it('takes the subnets, route tables and VPC as given; tables shared by tiers appear once', () => {
    expect(stack.vpcId).toBe('vpc-0f1e2d3c4b5a69788');
    expect(stack.subnetIds.orchestrator).toEqual(['subnet-0a0000000000000a1', 'subnet-0a0000000000000b1']);
    expect(stack.stagingSubnetId).toBe('subnet-0a0000000000000a2');
    const shared = net.routeTables.find((t) => t.routeTableId === 'rtb-0a0000000000000a1')!;
    expect(shared.subnetIds).toEqual(['subnet-0a0000000000000a1', 'subnet-0a0000000000000a3']);
    expect(shared.routes).toContainEqual({ destinationCidrBlock: '172.16.0.0/12', transitGatewayId: 'tgw-0123456789abcdef0', origin: 'CreateRoute' });
    expect(net.routeTables.find((t) => t.routeTableId === 'rtb-0a0000000000000a2')!.routes).toContainEqual({ destinationPrefixListId: 'pl-6da54004', gatewayId: stack.vpcEndpointIds['s3-gateway'], origin: 'CreateRoute' });
    // API REGIONAL: no execute-api endpoint
    expect(net.endpoints.some((e) => e.serviceName.endsWith('execute-api'))).toBe(false);
  });

  it('reads network.targetSubnets (test, cutover) when the config has them', () => {
    if (config.network.mode !== 'existing') throw new Error('on-premises example is an existing VPC');
    expect(stack.subnetIds.test).toEqual(config.network.targetSubnets.test.map((s) => s.subnetId));
    expect(stack.subnetIds.cutover).toEqual(config.network.targetSubnets.cutover.map((s) => s.subnetId));
    const subnet = (id: string, zone: string, cidr: string) => ({ subnetId: id, availabilityZone: zone, routeTableId: 'rtb-0a00000000000000c', cidr });
    const withTargets = {
      ...config,
      network: { ...config.network, targetSubnets: { test: [subnet('subnet-0a00000000000000c', 'eu-west-1a', '10.50.30.0/24')], cutover: [subnet('subnet-0a00000000000000d', 'eu-west-1a', '10.50.31.0/24')] } },
    } as unknown as DeployConfig;
    const got = networkFromDeployConfig(withTargets);
    expect(got.stack!.subnetIds.test).toEqual(['subnet-0a00000000000000c']);
    expect(got.stack!.subnetIds.cutover).toEqual(['subnet-0a00000000000000d']);
    expect(got.routeTables.find((t) => t.routeTableId === 'rtb-0a00000000000000c')!.subnetIds).toEqual(['subnet-0a00000000000000c', 'subnet-0a00000000000000d']);
  });
});

describe('scenario network additions', () => {
  const config = crossRegion();

  it('adds VPCs, subnets with routes, security groups and instance profiles', () => {
    const scenario = parseScenario({
      network: {
        vpcs: [{ vpcId: 'vpc-0bbbbbbbbbbbbbbb1', cidr: '10.60.0.0/16' }],
        subnets: [
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.40.200.0/24', availabilityZone: 'ap-south-1a', routes: [{ destination: '0.0.0.0/0', target: 'igw-0123456789abcdef0' }] },
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa2', vpcId: 'vpc-0bbbbbbbbbbbbbbb1', cidr: '10.60.1.0/24', availabilityZone: 'ap-south-1b' },
        ],
        securityGroups: [{ groupId: 'sg-0ccccccccccccccc1', name: 'app', ingress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, cidr: '10.40.0.0/16' }] }],
        instanceProfiles: [{ name: 'no-ssm', ssmAgent: false }],
      },
    });
    const net = networkFromDeployConfig(config, scenario.network);
    const igw = net.subnets.find((s) => s.subnetId === 'subnet-0aaaaaaaaaaaaaaa1')!;
    expect(igw.vpcId).toBe(net.stack!.vpcId);
    expect(net.routeTables.find((t) => t.routeTableId === igw.routeTableId)!.routes).toContainEqual({ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0123456789abcdef0', origin: 'CreateRoute' });
    expect(net.subnets.find((s) => s.subnetId === 'subnet-0aaaaaaaaaaaaaaa2')!.vpcId).toBe('vpc-0bbbbbbbbbbbbbbb1');
    // a new VPC comes with its main route table and default security group
    expect(net.securityGroups.filter((g) => g.vpcId === 'vpc-0bbbbbbbbbbbbbbb1').map((g) => g.groupName)).toEqual(['default']);
    expect(net.securityGroups.find((g) => g.groupId === 'sg-0ccccccccccccccc1')!.egress).toEqual([{ protocol: '-1', cidr: '0.0.0.0/0' }]);
    expect(net.instanceProfiles.map((p) => [p.name, p.ssmAgent])).toEqual([[net.stack!.launchedInstanceProfileName, true], ['no-ssm', false]]);
    const ruled = networkFromDeployConfig(config, parseScenario({ network: { securityGroupRules: [{ group: 'target', direction: 'ingress', protocol: 'tcp', fromPort: 22, toPort: 22, groupId: 'orchestrator' }] } }).network);
    expect(ruled.securityGroups.find((g) => g.role === 'target')!.ingress).toContainEqual(expect.objectContaining({ protocol: 'tcp', fromPort: 22, toPort: 22, groupId: ruled.stack!.securityGroupIds.orchestrator }));
  });

  it('refuses what EC2 would have refused when creating them, naming every field', () => {
    const scenario = parseScenario({
      network: {
        subnets: [
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.99.0.0/24', availabilityZone: 'ap-south-1a' },
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa2', cidr: '10.40.9.128/25', availabilityZone: 'eu-west-1a' },
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa3', vpcId: 'vpc-0000000000000dead', cidr: '10.40.30.0/24', availabilityZone: 'ap-south-1a' },
          { subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.40.31.0/24', availabilityZone: 'ap-south-1a', routes: [{ destination: '10.40.0.0/16', target: 'pcx-0123456789abcdef0' }] },
        ],
        securityGroups: [{ groupId: 'sg-0ccccccccccccccc1', name: 'default', ingress: [{ protocol: 'tcp', fromPort: 80, toPort: 80, groupId: 'sg-0000000000000dead' }] }],
        instanceProfiles: [{ name: 'MgnOrchestrator-LaunchedInstanceProfile' }],
      },
    });
    let err: unknown;
    try {
      networkFromDeployConfig(config, scenario.network);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InvalidInputError);
    expect((err as InvalidInputError).problems).toEqual([
      expect.stringMatching(/^network\.subnets\[0\]\.cidr: 10\.99\.0\.0\/24 is not inside VPC vpc-[0-9a-f]{17} \(10\.40\.0\.0\/16\)$/),
      'network.subnets[1].availabilityZone: eu-west-1a is not an availability zone of ap-south-1',
      expect.stringMatching(/^network\.subnets\[1\]\.cidr: 10\.40\.9\.128\/25 overlaps subnet subnet-[0-9a-f]{17} \(10\.40\.8\.0\/22\)$/),
      'network.subnets[2].vpcId: VPC vpc-0000000000000dead is neither the stack\'s VPC nor one of network.vpcs',
      'network.subnets[3].subnetId: subnet-0aaaaaaaaaaaaaaa1 is already used by another resource of the network',
      'network.subnets[3].routes[0].destination: 10.40.0.0/16 overlaps the VPC\'s own CIDR 10.40.0.0/16 (the local route)',
      expect.stringMatching(/^network\.securityGroups\[0\]\.name: VPC vpc-[0-9a-f]{17} already has a security group named "default"$/),
      'network.securityGroups[0]: a rule names security group sg-0000000000000dead, which does not exist',
      'network.instanceProfiles[0].name: MgnOrchestrator-LaunchedInstanceProfile already exists',
    ]);
  });

  it('refuses malformed additions when the scenario is parsed', () => {
    expect(() =>
      parseScenario({
        network: {
          subnets: [{ subnetId: 'subnet-1', cidr: '10.0.0.0/30', availabilityZone: 'somewhere', routes: [{ destination: '0.0.0.0/0', target: 'eni-0123456789abcdef0' }] }],
          securityGroups: [{ groupId: 'sg-0ccccccccccccccc1', name: 'x', ingress: [{ protocol: 'tcp', cidr: '10.0.0.0/8', groupId: 'sg-0ccccccccccccccc1' }] }],
        },
      }),
    ).toThrow(
      expect.objectContaining({
        problems: expect.arrayContaining([
          expect.stringContaining('network.subnets[0].subnetId: "subnet-1" is not a subnet id'),
          expect.stringContaining('network.subnets[0].cidr: "10.0.0.0/30": the block size must be between /16 and /28'),
          expect.stringContaining('network.subnets[0].availabilityZone: "somewhere" is not an availability zone name'),
          expect.stringContaining('network.subnets[0].routes[0].target: "eni-0123456789abcdef0" is not an internet gateway'),
          expect.stringContaining('network.securityGroups[0].ingress[0]: give exactly one of cidr and groupId'),
          expect.stringContaining('network.securityGroups[0].ingress[0].fromPort: tcp and udp rules need fromPort and toPort'),
        ]),
      }),
    );
  });
});

describe('reachability and defaults', () => {
  it('TCP passes a pair of security groups only with an egress rule of one and an ingress rule of the other', () => {
    const net = networkFromDeployConfig(crossRegion());
    const sg = net.stack!.securityGroupIds;
    const endpoint = { ip: '10.40.4.10', groupIds: [sg.endpoints] };
    expect(tcpAllowed(net, { ip: '10.40.9.10', groupIds: [sg.target] }, endpoint, 443)).toBe(true);
    expect(tcpAllowed(net, { ip: '10.40.9.10', groupIds: [sg.target] }, endpoint, 80)).toBe(false);
    // only the verify steps' probe group opens connections to launched instances, and only in the test and cutover tiers
    expect(tcpAllowed(net, { ip: '10.40.0.10', groupIds: [sg.orchestrator] }, { ip: '10.40.9.10', groupIds: [sg.target] }, 80)).toBe(false);
    expect(tcpAllowed(net, { ip: '10.40.0.10', groupIds: [sg.orchestrator, sg.probe] }, { ip: '10.40.9.10', groupIds: [sg.target] }, 80)).toBe(true);
    expect(tcpAllowed(net, { ip: '10.40.0.10', groupIds: [sg.orchestrator, sg.probe] }, { ip: '10.40.200.10', groupIds: [sg.target] }, 80)).toBe(false);
    expect(ssmUnreachable(net, { vpcId: net.stack!.vpcId, ip: '10.40.9.10', groupIds: [sg.target] })).toBeUndefined();
    // outside the CIDRs the endpoints admit, with a group they do not name
    const defaultGroup = net.securityGroups.find((g) => g.role === 'default')!.groupId;
    expect(ssmUnreachable(net, { vpcId: net.stack!.vpcId, ip: '10.40.200.10', groupIds: [defaultGroup] })).toBe('TCP 443 from the instance to the ssm endpoint is not allowed by the security groups');
    expect(ssmUnreachable(net, { vpcId: net.stack!.vpcId, ip: '10.40.9.10', groupIds: [defaultGroup] })).toBeUndefined();
    expect(ssmUnreachable(net, { vpcId: 'vpc-0000000000000dead', ip: '10.60.0.10', groupIds: [] })).toBe('VPC vpc-0000000000000dead has no ssm interface endpoint');
  });

  it('moves the default deploy config to another region, keeping its CIDRs and AZ letters', () => {
    const moved = moveDeployConfig(defaultDeployConfig(), 'eu-west-1');
    expect(moved.network).toEqual({ mode: 'new', cidr: '10.40.0.0/16', availabilityZones: ['eu-west-1a', 'eu-west-1b'] });
    expect(defaultDeployConfig('eu-west-1')).toEqual(moved);
    expect(moveDeployConfig(defaultDeployConfig(), 'ap-southeast-1').sourceRegions).toEqual([]);
  });

  it('summarizes the stack\'s ids for the CLI', () => {
    const lines = networkSummary(networkFromDeployConfig(crossRegion()).stack!);
    expect(lines[0]).toMatch(/^network \(ap-south-1\): VPC vpc-[0-9a-f]{17} 10\.40\.0\.0\/16, no default VPC$/);
    expect(lines.join('\n')).toContain('launched-instance profile MgnOrchestrator-LaunchedInstanceProfile; 16 VPC endpoints');
  });
});

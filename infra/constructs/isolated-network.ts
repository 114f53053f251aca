import { RemovalPolicy } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { DeployConfig, ExistingSubnetConfig, NetworkConfig } from '../config';
import { subnetLayout, type SubnetLayout, type SubnetTierName } from '../subnet-layout';

export interface IsolatedNetworkProps {
  /** A new isolated VPC, or an existing one given by explicit ids (nothing is looked up). */
  readonly network: NetworkConfig;
  /** Peering routes and an optional Transit Gateway attachment towards the sources. */
  readonly connectivity: DeployConfig['connectivity'];
  /** Retention of the new VPC's flow log. @default logs.RetentionDays.THREE_MONTHS */
  readonly flowLogRetention?: logs.RetentionDays;
}

/** One tier of subnets with the CIDRs the security groups need. */
export interface SubnetTier {
  readonly subnets: ec2.ISubnet[];
  readonly cidrs: string[];
}

/**
 * The isolated network: a VPC with no internet gateway and no NAT, five tiers of isolated subnets
 * (orchestrator Lambdas, MGN staging area, interface endpoints, test instances, cutover instances)
 * laid out by subnetLayout(), and routes towards the sources over VPC peering or a Transit Gateway.
 * There is no 0.0.0.0/0 route anywhere; the staging route tables get the S3 gateway endpoint's
 * prefix-list route from ServiceEndpoints.
 *
 * Routes to the sources go to the orchestrator, staging and endpoint tiers and, in a new VPC, to the
 * cutover tier (a cutover instance replaces its source and serves the same clients). The test tier
 * gets none: a test instance is a clone of a running production server, and keeping it off the
 * source network stops it acting on production systems while it is checked. The route tables of an
 * existing VPC's target subnets belong to the operator and are left as they are.
 */
export class IsolatedNetwork extends Construct {
  public readonly vpc: ec2.IVpc;
  public readonly vpcCidr: string;
  public readonly orchestrator: SubnetTier;
  /** The first subnet is the staging subnet of the MGN replication template. */
  public readonly staging: SubnetTier;
  public readonly endpoints: SubnetTier;
  /** Where test instances launch unless the wave names other subnets. */
  public readonly test: SubnetTier;
  /** Where cutover instances launch unless the wave names other subnets. */
  public readonly cutover: SubnetTier;
  /** Every subnet's AZ and CIDR (the simulator builds its network from the same function). */
  public readonly layout: SubnetLayout;
  /** Route tables that get the routes to the sources. */
  private readonly sourceRouteTiers: SubnetTier[];

  constructor(scope: Construct, id: string, props: IsolatedNetworkProps) {
    super(scope, id);
    const { network } = props;
    this.layout = subnetLayout({ network });

    if (network.mode === 'new') {
      const layout = this.layout;
      const vpc = new ec2.Vpc(this, 'Vpc', {
        // Subnet CIDRs come from subnetLayout(), the same function the simulator uses.
        ipAddresses: {
          allocateVpcCidr: () => ({ cidrBlock: network.cidr }),
          allocateSubnetsCidr: (request) => ({
            allocatedSubnets: request.requestedSubnets.map(({ configuration, availabilityZone }) => {
              const planned = layout[configuration.name as SubnetTierName]?.find((s) => s.availabilityZone === availabilityZone);
              if (!planned) throw new Error(`subnetLayout() has no ${configuration.name} subnet in ${availabilityZone}`);
              return { cidr: planned.cidr };
            }),
          }),
        },
        availabilityZones: network.availabilityZones,
        natGateways: 0,
        createInternetGateway: false,
        // The default-SG restriction is a custom resource whose Lambda would run outside the VPC.
        restrictDefaultSecurityGroup: false,
        subnetConfiguration: [
          { name: 'orchestrator', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
          { name: 'staging', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
          { name: 'endpoints', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 26 },
          { name: 'test', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
          { name: 'cutover', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 24 },
        ],
      });
      const flowLogGroup = new logs.LogGroup(this, 'FlowLogs', {
        retention: props.flowLogRetention ?? logs.RetentionDays.THREE_MONTHS,
        removalPolicy: RemovalPolicy.RETAIN,
      });
      vpc.addFlowLog('FlowLog', { destination: ec2.FlowLogDestination.toCloudWatchLogs(flowLogGroup), trafficType: ec2.FlowLogTrafficType.ALL });
      const tier = (name: string): SubnetTier => {
        const subnets = vpc.selectSubnets({ subnetGroupName: name }).subnets;
        return { subnets, cidrs: subnets.map((s) => s.ipv4CidrBlock) };
      };
      this.vpc = vpc;
      this.vpcCidr = network.cidr;
      this.orchestrator = tier('orchestrator');
      this.staging = tier('staging');
      this.endpoints = tier('endpoints');
      this.test = tier('test');
      this.cutover = tier('cutover');
      this.sourceRouteTiers = [this.orchestrator, this.staging, this.endpoints, this.cutover];
    } else {
      const zones = [
        ...new Set([...network.orchestratorSubnets, ...network.stagingSubnets, ...network.endpointSubnets].map((s) => s.availabilityZone)),
      ];
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', { vpcId: network.vpcId, vpcCidrBlock: network.vpcCidr, availabilityZones: zones });
      this.vpcCidr = network.vpcCidr;
      const tier = (name: string, configs: ExistingSubnetConfig[]): SubnetTier => ({
        subnets: configs.map((s, i) =>
          ec2.Subnet.fromSubnetAttributes(this, `${name}${i}`, {
            subnetId: s.subnetId,
            availabilityZone: s.availabilityZone,
            routeTableId: s.routeTableId,
            ipv4CidrBlock: s.cidr,
          }),
        ),
        cidrs: configs.map((s) => s.cidr),
      });
      this.orchestrator = tier('Orchestrator', network.orchestratorSubnets);
      this.staging = tier('Staging', network.stagingSubnets);
      this.endpoints = tier('Endpoints', network.endpointSubnets);
      this.test = tier('Test', network.targetSubnets.test);
      this.cutover = tier('Cutover', network.targetSubnets.cutover);
      this.sourceRouteTiers = [this.orchestrator, this.staging, this.endpoints];
    }

    this.addRoutesToSources(props.connectivity);
  }

  /** Route tables that get the routes to the sources, each once (existing subnets may share one). */
  public get routeTableIds(): string[] {
    const ids = this.sourceRouteTiers.flatMap((tier) => tier.subnets).map((s) => s.routeTable.routeTableId);
    return [...new Set(ids)];
  }

  private addRoutesToSources(connectivity: DeployConfig['connectivity']): void {
    const tables = this.routeTableIds;
    connectivity.peering.forEach((peering, p) => {
      tables.forEach((routeTableId, t) => {
        new ec2.CfnRoute(this, `PeeringRoute${p}x${t}`, {
          routeTableId,
          destinationCidrBlock: peering.destinationCidr,
          vpcPeeringConnectionId: peering.peeringConnectionId,
        });
      });
    });
    const tgw = connectivity.transitGateway;
    if (tgw) {
      const attachment = new ec2.CfnTransitGatewayAttachment(this, 'TransitGatewayAttachment', {
        transitGatewayId: tgw.transitGatewayId,
        vpcId: this.vpc.vpcId,
        subnetIds: this.endpoints.subnets.map((s) => s.subnetId),
      });
      tgw.destinationCidrs.forEach((destinationCidrBlock, c) => {
        tables.forEach((routeTableId, t) => {
          const route = new ec2.CfnRoute(this, `TransitGatewayRoute${c}x${t}`, {
            routeTableId,
            destinationCidrBlock,
            transitGatewayId: tgw.transitGatewayId,
          });
          route.node.addDependency(attachment);
        });
      });
    }
  }
}

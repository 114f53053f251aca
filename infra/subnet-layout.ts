/**
 * Where every subnet of the isolated network sits: one pure function, `subnetLayout(config)`, used by
 * the CDK app to allocate the subnets of a new VPC and by the simulator to build the same network.
 * No CDK import here, so the simulator can load it cheaply.
 *
 * Layout of a new VPC (`network.mode: "new"`), tier by tier in this order, one subnet per AZ in the
 * order the config lists the AZs, each block the next free one of its size (aligned to its size):
 *
 *   orchestrator /24, staging /24, endpoints /26, test /24, cutover /24
 *
 * e.g. 10.40.0.0/16 with ap-south-1a, ap-south-1b:
 *   orchestrator 10.40.0.0/24, 10.40.1.0/24   staging 10.40.2.0/24, 10.40.3.0/24
 *   endpoints 10.40.4.0/26, 10.40.4.64/26     test 10.40.5.0/24, 10.40.6.0/24   cutover 10.40.7.0/24, 10.40.8.0/24
 *
 * The first three tiers are where CDK's own allocation put them before the test and cutover tiers
 * existed, so a deployed stack keeps its subnets; new tiers are only ever appended.
 */
import type { DeployConfig } from './config';

/** The subnet tiers of the isolated network, in allocation order. */
export const SUBNET_TIERS = ['orchestrator', 'staging', 'endpoints', 'test', 'cutover'] as const;
export type SubnetTierName = (typeof SUBNET_TIERS)[number];

/** Prefix length of each tier's subnets in a new VPC. */
export const NEW_VPC_SUBNET_PREFIX: Readonly<Record<SubnetTierName, number>> = {
  orchestrator: 24,
  staging: 24,
  endpoints: 26,
  test: 24,
  cutover: 24,
};

/** One subnet of the layout. `subnetId` and `routeTableId` are known only for an existing VPC. */
export interface PlannedSubnet {
  readonly availabilityZone: string;
  readonly cidr: string;
  readonly subnetId?: string;
  readonly routeTableId?: string;
}

export type SubnetLayout = Readonly<Record<SubnetTierName, readonly PlannedSubnet[]>>;

/** Every subnet of the network, per tier: computed for a new VPC, as given for an existing one. */
export function subnetLayout(config: Pick<DeployConfig, 'network'>): SubnetLayout {
  const { network } = config;
  if (network.mode === 'existing') {
    const given = (subnets: readonly PlannedSubnet[]) =>
      subnets.map(({ availabilityZone, cidr, subnetId, routeTableId }) => ({ availabilityZone, cidr, subnetId, routeTableId }));
    return {
      orchestrator: given(network.orchestratorSubnets),
      staging: given(network.stagingSubnets),
      endpoints: given(network.endpointSubnets),
      test: given(network.targetSubnets.test),
      cutover: given(network.targetSubnets.cutover),
    };
  }
  const planned = planNewVpc(network.cidr, network.availabilityZones);
  if (typeof planned === 'string') throw new Error(`network.cidr: ${planned}`);
  return planned;
}

/**
 * The layout of a new VPC, or why it cannot be made (the message names the fix). The VPC CIDR must be
 * a network address (no host bits) with a prefix AWS allows for a VPC (/16 to /28).
 */
export function planNewVpc(vpcCidr: string, availabilityZones: readonly string[]): SubnetLayout | string {
  const [address, prefixText] = vpcCidr.split('/');
  const prefix = Number(prefixText);
  const base = ipToNumber(address);
  if (prefix < 16 || prefix > 28) return `a VPC CIDR block must be /16 to /28 (AWS limit), got /${prefix}`;
  const size = 2 ** (32 - prefix);
  if (base % size !== 0) return `${vpcCidr} has host bits set; use ${numberToIp(base - (base % size))}/${prefix}`;
  let next = base;
  const layout = {} as Record<SubnetTierName, PlannedSubnet[]>;
  for (const tier of SUBNET_TIERS) {
    const blockSize = 2 ** (32 - NEW_VPC_SUBNET_PREFIX[tier]);
    layout[tier] = availabilityZones.map((availabilityZone) => {
      const start = Math.ceil(next / blockSize) * blockSize;
      next = start + blockSize;
      return { availabilityZone, cidr: `${numberToIp(start)}/${NEW_VPC_SUBNET_PREFIX[tier]}` };
    });
  }
  if (next > base + size) {
    const needed = 32 - Math.ceil(Math.log2(next - base));
    return `${vpcCidr} is too small for ${availabilityZones.length} availability zone(s): the orchestrator, staging, endpoint, test and cutover subnets need a /${needed} or larger`;
  }
  return layout;
}

function ipToNumber(ip: string): number {
  return ip.split('.').reduce((n, octet) => n * 256 + Number(octet), 0);
}

function numberToIp(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * Where and how MGN launches one server's test or cutover instance: the manifest's wave-level
 * `launch` (defaults) merged field by field with `servers[].launch` (overrides; the `test` and
 * `cutover` sub-objects merged too), then the stack's defaults (FlowConfig) for what neither names.
 *
 * Every value keeps where it came from, so a reason can name the field a migration engineer must
 * fix: `servers[4].launch.cutover.subnetId`, `launch.cutover.subnetId`, or the stack default.
 *
 * Rules:
 * - subnet: the manifest's, else one of the stack's subnets of that tier (TEST_SUBNET_IDS,
 *   CUTOVER_SUBNET_IDS), chosen by a hash of the server name, so servers spread over the tier's
 *   subnets (one per AZ) and a server lands in the same subnet on every run; a cutover with a fixed
 *   private IP and no subnet takes the stack subnet whose CIDR holds the IP. None at all: the server
 *   cannot launch (an isolated account has no default VPC) and preflight sets it aside.
 * - security groups: the manifest's, else [TARGET_SECURITY_GROUP_ID]; none: set aside (EC2 would
 *   otherwise give the instance the VPC's default group, which reaches nothing in this network).
 * - instance profile: the manifest's, else LAUNCHED_INSTANCE_PROFILE_NAME; none is allowed (the
 *   instance launches, but can never be Online in SSM: verification says so).
 * - right-sizing: "basic" unless told; an instanceType implies "none". When levels disagree, the
 *   more specific one wins (a server's instanceType over the wave's rightSizing and the reverse).
 *   "in-aws" (MGN console's "In AWS" right-sizing, for a source already running in EC2) is not a
 *   value of MGN's API (targetInstanceTypeRightSizingMethod is NONE or BASIC): the launch takes its
 *   source instance's type, which preflight reads with EC2 DescribeInstances in the source's region,
 *   written as the template's InstanceType with right-sizing NONE.
 * - copyPrivateIp: cutover only (a test instance in the test tier never takes the source's IP);
 *   a server's own privateIpAddress turns a wave-level copyPrivateIp off.
 * - tags: the wave's, then the server's, key by key.
 */
import type { LaunchSpec, WaveManifest } from './manifest';
import type { FlowConfig } from './ports';
import { ENV } from './steps';

export type LaunchKind = 'test' | 'cutover';
export const LAUNCH_KINDS: readonly LaunchKind[] = ['test', 'cutover'];

/** Where a setting came from. */
export type SettingOrigin =
  | { readonly level: 'server'; readonly index: number }
  | { readonly level: 'wave' }
  | { readonly level: 'stack'; readonly env: string };

export interface Sourced<T> {
  readonly value: T;
  readonly origin: SettingOrigin;
}

/**
 * The name of a setting in a reason. `path` is relative to `launch` (`cutover.subnetId`, `instanceType`).
 * A stack default is named by the field the manifest left unset and the variable it came from.
 */
export function settingName(origin: SettingOrigin, path: string): string {
  switch (origin.level) {
    case 'server':
      return `servers[${origin.index}].launch.${path}`;
    case 'wave':
      return `launch.${path}`;
    case 'stack':
      return `launch.${path} (unset: the stack's default from ${origin.env})`;
  }
}

export type RightSizing = NonNullable<LaunchSpec['rightSizing']>;
export type BootMode = NonNullable<LaunchSpec['bootMode']>;

export interface ResolvedLaunch {
  readonly kind: LaunchKind;
  readonly serverIndex: number;
  readonly subnetId?: Sourced<string>;
  readonly securityGroupIds?: Sourced<readonly string[]>;
  readonly privateIpAddress?: Sourced<string>;
  readonly instanceType?: Sourced<string>;
  readonly rightSizing: Sourced<RightSizing> | { readonly value: 'basic'; readonly origin?: undefined };
  readonly instanceProfile?: Sourced<string>;
  readonly bootMode?: Sourced<BootMode>;
  readonly byol?: Sourced<boolean>;
  readonly copyPrivateIp: boolean;
  readonly tags: Readonly<Record<string, string>>;
  /** the source is an on-premises managed instance (mi-): its clone needs MGN's post-launch SSM agent */
  readonly onPremisesSource: boolean;
  /** the source's EC2 instance and region, for an EC2 source */
  readonly sourceInstance?: { readonly instanceId: string; readonly region: string };
}

/** The launch takes its source instance's type: right-sizing "in-aws" with no instance type to override it. */
export const takesSourceInstanceType = (resolved: ResolvedLaunch): boolean =>
  resolved.rightSizing.value === 'in-aws' && resolved.instanceType === undefined;

const specificity = (origin: SettingOrigin): number => (origin.level === 'server' ? 2 : origin.level === 'wave' ? 1 : 0);

function pick<T>(serverValue: T | undefined, waveValue: T | undefined, index: number): Sourced<T> | undefined {
  if (serverValue !== undefined) return { value: serverValue, origin: { level: 'server', index } };
  if (waveValue !== undefined) return { value: waveValue, origin: { level: 'wave' } };
  return undefined;
}

/** FNV-1a: a stable hash of a server name, the same on every run and every machine. */
export function nameHash(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** The stack subnet a server launches into when the manifest names none (undefined when the stack has none). */
export const defaultSubnetFor = (serverName: string, subnetIds: readonly string[]): string | undefined =>
  subnetIds.length === 0 ? undefined : subnetIds[nameHash(serverName) % subnetIds.length];

export const stackSubnetsOf = (config: FlowConfig, kind: LaunchKind): readonly string[] =>
  kind === 'test' ? config.testSubnetIds : config.cutoverSubnetIds;

export const stackSubnetEnv = (kind: LaunchKind): string => (kind === 'test' ? ENV.testSubnetIds : ENV.cutoverSubnetIds);

export interface ResolveOptions {
  /** The stack subnet (of the kind's tier) whose CIDR holds an IP, when the caller knows the CIDRs. */
  readonly stackSubnetHolding?: (privateIpAddress: string, subnetIds: readonly string[]) => string | undefined;
}

/** One server's launch settings for one launch kind (`serverIndex` into manifest.servers). */
export function resolveLaunch(
  manifest: WaveManifest,
  serverIndex: number,
  kind: LaunchKind,
  config: FlowConfig,
  options: ResolveOptions = {},
): ResolvedLaunch {
  const spec = manifest.servers[serverIndex];
  const wave: LaunchSpec = manifest.launch ?? {};
  const own: LaunchSpec = spec.launch ?? {};
  const waveNet = wave[kind] ?? {};
  const ownNet = own[kind] ?? {};
  const i = serverIndex;

  const privateIpAddress =
    kind === 'cutover'
      ? pick((ownNet as NonNullable<LaunchSpec['cutover']>).privateIpAddress, undefined, i)
      : undefined;

  let subnetId = pick(ownNet.subnetId, waveNet.subnetId, i);
  if (!subnetId) {
    const stack = stackSubnetsOf(config, kind);
    const holding = privateIpAddress ? options.stackSubnetHolding?.(privateIpAddress.value, stack) : undefined;
    const chosen = holding ?? defaultSubnetFor(spec.name, stack);
    if (chosen) subnetId = { value: chosen, origin: { level: 'stack', env: stackSubnetEnv(kind) } };
  }

  let securityGroupIds: Sourced<readonly string[]> | undefined = pick(ownNet.securityGroupIds, waveNet.securityGroupIds, i);
  if (!securityGroupIds && config.targetSecurityGroupId)
    securityGroupIds = { value: [config.targetSecurityGroupId], origin: { level: 'stack', env: ENV.targetSecurityGroupId } };

  let instanceProfile = pick(own.instanceProfile, wave.instanceProfile, i);
  if (!instanceProfile && config.launchedInstanceProfileName)
    instanceProfile = { value: config.launchedInstanceProfileName, origin: { level: 'stack', env: ENV.launchedInstanceProfileName } };

  const type = pick(own.instanceType, wave.instanceType, i);
  const sizing = pick(own.rightSizing, wave.rightSizing, i);
  let instanceType: Sourced<string> | undefined;
  let rightSizing: ResolvedLaunch['rightSizing'];
  if (type && (!sizing || specificity(type.origin) >= specificity(sizing.origin))) {
    instanceType = type;
    rightSizing = { value: 'none', origin: type.origin };
  } else if (sizing) {
    rightSizing = sizing;
    instanceType = sizing.value === 'none' ? type : undefined;
  } else rightSizing = { value: 'basic' };

  const copy = pick(own.copyPrivateIp, wave.copyPrivateIp, i);
  const copyPrivateIp = kind === 'cutover' && !privateIpAddress && copy?.value === true;

  return {
    kind,
    serverIndex,
    subnetId,
    securityGroupIds,
    privateIpAddress,
    instanceType,
    rightSizing,
    instanceProfile,
    bootMode: pick(own.bootMode, wave.bootMode, i),
    byol: pick(own.byol, wave.byol, i),
    copyPrivateIp,
    tags: { ...(wave.tags ?? {}), ...(own.tags ?? {}) },
    onPremisesSource: spec.source.type === 'onprem',
    ...(spec.source.type === 'ec2' ? { sourceInstance: { instanceId: spec.source.instanceId, region: spec.source.region } } : {}),
  };
}

/** The settings written to MGN and to the server's EC2 launch template for one launch. */
export interface LaunchPlan {
  readonly subnetId: string;
  readonly securityGroupIds: readonly string[];
  readonly privateIpAddress?: string;
  readonly instanceType?: string;
  /** "source": instanceType is the source instance's own (rightSizing "in-aws"), read by preflight */
  readonly instanceTypeFrom?: 'source';
  readonly rightSizing: 'NONE' | 'BASIC';
  readonly instanceProfile?: string;
  readonly bootMode?: 'LEGACY_BIOS' | 'UEFI' | 'USE_SOURCE';
  readonly byol?: boolean;
  readonly copyPrivateIp: boolean;
  readonly tags: Readonly<Record<string, string>>;
  /** MGN installs the SSM agent after launch (post-launch actions), registered as the EC2 instance */
  readonly installSsmAgent: boolean;
}

const BOOT_MODES: Record<BootMode, NonNullable<LaunchPlan['bootMode']>> = {
  'legacy-bios': 'LEGACY_BIOS',
  uefi: 'UEFI',
  'use-source': 'USE_SOURCE',
};

/**
 * The concrete settings of a resolved launch, or the reasons it cannot have any (each naming the
 * field and the fix). Existence and network checks are preflight's (functions/lib/flow/preflight.ts).
 * `sourceInstanceType` is the source EC2 instance's type, for a launch that takes it (rightSizing "in-aws").
 */
export function launchPlanOf(resolved: ResolvedLaunch, sourceInstanceType?: string): { plan?: LaunchPlan; problems: string[] } {
  const { kind } = resolved;
  const problems: string[] = [];
  if (!resolved.subnetId)
    problems.push(
      `launch.${kind}.subnetId: no subnet for the ${kind} instance: the manifest names none and the stack gives no ${stackSubnetEnv(kind)} ` +
        `(an isolated account has no default VPC, so EC2 would refuse the launch); set launch.${kind}.subnetId for the wave or servers[${resolved.serverIndex}], or deploy the stack with ${kind} subnets`,
    );
  if (!resolved.securityGroupIds)
    problems.push(
      `launch.${kind}.securityGroupIds: no security group for the ${kind} instance: the manifest names none and the stack gives no ${ENV.targetSecurityGroupId}; ` +
        `set launch.${kind}.securityGroupIds for the wave or servers[${resolved.serverIndex}]`,
    );
  const fromSource = takesSourceInstanceType(resolved);
  if (fromSource) {
    const field = settingName(resolved.rightSizing.origin!, 'rightSizing');
    if (resolved.onPremisesSource)
      problems.push(
        `${field}: "in-aws" takes the instance type of a source running in EC2; servers[${resolved.serverIndex}] is on-premises: use "basic" or "none" with instanceType`,
      );
    else if (!sourceInstanceType)
      problems.push(
        `${field}: "in-aws" takes the instance type of source instance ${resolved.sourceInstance?.instanceId}, but EC2 does not know it in ${resolved.sourceInstance?.region} ` +
          `(InvalidInstanceID.NotFound); check servers[${resolved.serverIndex}].source.instanceId, or use "basic" or "none" with instanceType`,
      );
  }
  if (problems.length > 0) return { problems };
  const instanceType = fromSource ? sourceInstanceType : resolved.instanceType?.value;
  return {
    problems,
    plan: {
      subnetId: resolved.subnetId!.value,
      securityGroupIds: [...resolved.securityGroupIds!.value],
      ...(resolved.privateIpAddress ? { privateIpAddress: resolved.privateIpAddress.value } : {}),
      ...(instanceType ? { instanceType } : {}),
      ...(fromSource ? { instanceTypeFrom: 'source' as const } : {}),
      // "in-aws" is written as the source's type with NONE: MGN must not right-size it away
      rightSizing: resolved.rightSizing.value === 'basic' ? 'BASIC' : 'NONE',
      ...(resolved.instanceProfile ? { instanceProfile: resolved.instanceProfile.value } : {}),
      ...(resolved.bootMode ? { bootMode: BOOT_MODES[resolved.bootMode.value] } : {}),
      ...(resolved.byol ? { byol: resolved.byol.value } : {}),
      copyPrivateIp: resolved.copyPrivateIp,
      tags: resolved.tags,
      installSsmAgent: resolved.onPremisesSource,
    },
  };
}

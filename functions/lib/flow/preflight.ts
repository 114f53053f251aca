import { forEachConcurrently } from '../batching';
import { ConfigurationError, MgnNotInitializedError, mgnNotInitializedMessage, reasonOf, TryLaterError } from '../errors';
import { cidrContains, ipv4ToNumber, isReservedInSubnet, parseCidr } from '../ipv4';
import {
  LAUNCH_KINDS,
  launchPlanOf,
  resolveLaunch,
  settingName,
  stackSubnetEnv,
  stackSubnetsOf,
  takesSourceInstanceType,
  type LaunchKind,
  type ResolvedLaunch,
} from '../launch-settings';
import type { WaveManifest } from '../manifest';
import type {
  Ec2Port,
  FlowConfig,
  FlowDeps,
  InstanceView,
  ReplicationConfigurationView,
  ReplicationTemplateSettings,
  ReplicationTemplateView,
  RouteTableView,
  SecurityGroupView,
  SourceServerView,
  SubnetView,
} from '../ports';
import { refuseWaveBeyondQuota } from '../replication-quota';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
  type ServerRecord,
} from '../run-state';
import { reached, readWave, setAsideDisconnected } from '../source-servers';
import { setAsideUntaggedSources } from '../source-tags';
import { phaseDone, type WaveContext } from '../wave-context';


export const PREFLIGHT_TCP_TIMEOUT_MS = 3000;

/** The orchestrator cannot reach an endpoint it needs: nothing in the wave can work. */
export class EndpointUnreachableError extends Error {
  override readonly name = 'EndpointUnreachableError';
}

/** What differs between a template and the isolated-network settings, one phrase each. */
export function templateDrift(t: ReplicationTemplateView, want: ReplicationTemplateSettings): string[] {
  const drift: string[] = [];
  if (t.dataPlaneRouting !== want.dataPlaneRouting)
    drift.push(`dataPlaneRouting ${t.dataPlaneRouting ?? 'unset'} -> PRIVATE_IP`);
  if (t.createPublicIP !== false) drift.push(`createPublicIP ${String(t.createPublicIP)} -> false`);
  if (t.stagingAreaSubnetId !== want.stagingAreaSubnetId)
    drift.push(`stagingAreaSubnetId ${t.stagingAreaSubnetId ?? 'unset'} -> ${want.stagingAreaSubnetId}`);
  const sgs = [...t.securityGroupIds].sort().join(',');
  if (sgs !== [...want.securityGroupIds].sort().join(',') || t.associateDefaultSecurityGroup !== false)
    drift.push(`replication security groups [${sgs}] -> [${want.securityGroupIds.join(',')}]`);
  return drift;
}

/** `host` or `host:port` (the port defaults to 443, the only port the endpoints serve). */
export function endpointHostPort(entry: string): { host: string; port: number } {
  const m = /^(.+):(\d{1,5})$/.exec(entry);
  return m ? { host: m[1], port: Number(m[2]) } : { host: entry, port: 443 };
}

async function checkEndpoints(deps: FlowDeps): Promise<void> {
  const results = await Promise.all(
    deps.config.preflightEndpoints.map((entry) => {
      const { host, port } = endpointHostPort(entry);
      return deps.network.tcpProbe(host, port, PREFLIGHT_TCP_TIMEOUT_MS);
    }),
  );
  const unreachable = results.filter((r): r is string => r !== undefined);
  if (unreachable.length > 0)
    throw new EndpointUnreachableError(
      `the orchestrator cannot reach ${unreachable.length} endpoint(s) on TCP 443: ${unreachable.join('; ')}`,
    );
}

/**
 * The tag by which the stack knows its own replication template: its value is the stack's staging
 * subnet, so two stacks in one region (or a template the account made by hand) never share it.
 * MGN returns the tags a template was created with (DescribeReplicationConfigurationTemplates).
 */
export const STACK_TEMPLATE_TAG = 'mgn-orchestrator:staging-subnet';

/** The isolated-network replication settings of the stack (staging subnet, replication security group). */
export function isolatedReplicationSettings(deps: FlowDeps): ReplicationTemplateSettings {
  const { stagingSubnetId, replicationSecurityGroupId } = deps.config;
  if (!stagingSubnetId || !replicationSecurityGroupId)
    throw new ConfigurationError(
      'STAGING_SUBNET_ID and REPLICATION_SECURITY_GROUP_ID must be set for preflight',
    );
  return {
    stagingAreaSubnetId: stagingSubnetId,
    dataPlaneRouting: 'PRIVATE_IP',
    createPublicIP: false,
    securityGroupIds: [replicationSecurityGroupId],
    associateDefaultSecurityGroup: false,
  };
}

/**
 * Makes the stack's replication template (tagged STACK_TEMPLATE_TAG = its staging subnet) route
 * privately through the isolated staging subnet, creating it when missing. Every other template in
 * the region is the account's business and stays as it is.
 */
export async function enforceReplicationTemplate(deps: FlowDeps): Promise<string[]> {
  const want = isolatedReplicationSettings(deps);
  const templates = await deps.mgn.describeReplicationTemplates();
  const ours = templates.filter((t) => t.tags[STACK_TEMPLATE_TAG] === want.stagingAreaSubnetId);
  if (ours.length === 0) {
    const id = await deps.mgn.createReplicationTemplate(want, { [STACK_TEMPLATE_TAG]: want.stagingAreaSubnetId });
    return [`created replication template ${id} (tagged ${STACK_TEMPLATE_TAG}=${want.stagingAreaSubnetId})`];
  }
  const fixes: string[] = [];
  for (const t of ours) {
    const drift = templateDrift(t, want);
    if (drift.length === 0) continue;
    await deps.mgn.updateReplicationTemplate(t.id, want);
    fixes.push(`fixed replication template ${t.id}: ${drift.join(', ')}`);
  }
  return fixes;
}

/**
 * The first MGN call of a run, with UninitializedAccountException (MGN never initialized in the
 * target region) turned into MgnNotInitializedError: it ends the wave before anything is changed.
 */
export async function firstMgnCall<T>(region: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if ((error as { name?: string } | undefined)?.name === 'UninitializedAccountException')
      throw new MgnNotInitializedError(mgnNotInitializedMessage(region));
    throw error;
  }
}

/** How many servers preflight brings to the isolated replication settings at once. */
export const REPLICATION_SETTINGS_CONCURRENCY = 10;

/** What differs between a server's replication settings and the isolated-network ones, one phrase each. */
export function replicationDrift(c: ReplicationConfigurationView, want: ReplicationTemplateSettings): string[] {
  return templateDrift({ id: '', tags: {}, ...c }, want);
}

/**
 * Template changes reach only servers MGN adds later: puts the isolated-network replication settings
 * on each of the wave's servers MGN already knows (GetReplicationConfiguration, then
 * UpdateReplicationConfiguration only when they differ, so a resumed run writes nothing),
 * REPLICATION_SETTINGS_CONCURRENCY at a time. A refusal sets only that server aside; a "not now"
 * (throttling) ends the step with TryLaterError once the others are done, and the retried step
 * writes only what is left.
 */
export async function applyServerReplicationSettings(
  deps: FlowDeps,
  records: readonly ServerRecord[],
  at: Date,
): Promise<string[]> {
  const want = isolatedReplicationSettings(deps);
  const fixes: string[] = [];
  let later: TryLaterError | undefined;
  await forEachConcurrently(records, REPLICATION_SETTINGS_CONCURRENCY, async (record) => {
    if (later) return;
    const id = record.sourceServerId!;
    let step = 'GetReplicationConfiguration';
    try {
      const drift = replicationDrift(await deps.mgn.getReplicationConfiguration(id), want);
      if (drift.length === 0) return;
      step = 'UpdateReplicationConfiguration';
      await deps.mgn.updateReplicationConfiguration(id, want);
      fixes.push(`${record.name} (${id}): ${drift.join(', ')}`);
    } catch (error) {
      if (error instanceof TryLaterError) later ??= error;
      else
        failServer(
          record,
          'preflight',
          `isolated-network replication settings refused: ${step}: ${reasonOf(error)}; fix the server's replication settings in MGN (staging subnet ${want.stagingAreaSubnetId}, PRIVATE_IP, no public IP) or remove it from the wave`,
          at,
        );
    }
  });
  if (later) throw later;
  return fixes;
}

/** The target network as EC2 shows it, for the launch checks of one preflight. */
export interface TargetNetwork {
  readonly region: string;
  readonly subnets: ReadonlyMap<string, SubnetView>;
  readonly groups: ReadonlyMap<string, SecurityGroupView>;
  /** route tables by id, and which one serves each subnet (explicit association, else its VPC's main table) */
  readonly routeTableOf: (subnetId: string) => RouteTableView | undefined;
  /**
   * The VPC of the stack's own test and cutover subnets, where the interface endpoints (SSM) and the
   * verify steps' probes are; undefined when the stack names none (or none exists).
   */
  readonly stackVpcId?: string;
}

/** Routes out of the network: to an internet gateway, an egress-only internet gateway or a NAT gateway. */
const EXIT_TARGETS: ReadonlyArray<{ prefix: string; what: string }> = [
  { prefix: 'igw-', what: 'an internet gateway' },
  { prefix: 'eigw-', what: 'an egress-only internet gateway' },
  { prefix: 'nat-', what: 'a NAT gateway' },
];

/** Why a subnet is not isolated (its first route out of the network), or undefined when it is. */
export function exitRoute(table: RouteTableView): string | undefined {
  for (const route of table.routes) {
    // a blackhole route points at a gateway that is gone: it carries no traffic
    if (route.state === 'blackhole') continue;
    const exit = EXIT_TARGETS.find((e) => route.target.startsWith(e.prefix));
    if (exit) return `its route table ${table.routeTableId} sends ${route.destination} to ${route.target} (${exit.what})`;
  }
  return undefined;
}

/**
 * An instance profile the launch steps may not pass: MGN launches with the caller's permissions, and
 * launching with an instance profile passes its role to EC2 (iam:PassRole; AWSApplicationMigrationEC2Access),
 * which the step roles may do only for the stack's launched-instance role and the roles of the deploy
 * config's launchInstanceProfiles. EC2 would refuse the launch job; preflight says so first, naming the
 * field and the fix. Without the stack's settings (config.launchInstanceProfiles unset) nothing is known.
 */
export function instanceProfileProblem(resolved: ResolvedLaunch, config: FlowConfig): string | undefined {
  const profile = resolved.instanceProfile;
  if (!profile || profile.origin.level === 'stack' || config.launchInstanceProfiles === undefined) return undefined;
  if (profile.value === config.launchedInstanceProfileName || config.launchInstanceProfiles.includes(profile.value)) return undefined;
  const field = settingName(profile.origin, 'instanceProfile');
  return (
    `${field}: ${profile.value} is not an instance profile this stack may launch with (its step roles may pass only the roles of ` +
    `${[config.launchedInstanceProfileName ?? 'the stack profile', ...config.launchInstanceProfiles].join(', ')} to EC2, and MGN launches with their permissions); ` +
    `add {"name": "${profile.value}", "roleArn": "<the ARN of its role>"} to launchInstanceProfiles in the deploy config and deploy, or leave instanceProfile out to use the stack's profile`
  );
}

/** Every problem with one server's launch of one kind on the target network, each naming the field and the resource. */
export function launchNetworkProblems(resolved: ResolvedLaunch, network: TargetNetwork): string[] {
  const { kind } = resolved;
  const problems: string[] = [];
  const subnetRef = resolved.subnetId!;
  const subnetField = settingName(subnetRef.origin, `${kind}.subnetId`);
  const subnet = network.subnets.get(subnetRef.value);
  if (!subnet) problems.push(`${subnetField}: ${subnetRef.value} does not exist in ${network.region}`);
  else {
    const table = network.routeTableOf(subnet.subnetId);
    const exit = table ? exitRoute(table) : undefined;
    if (!table) problems.push(`${subnetField}: ${subnet.subnetId} has no route table in ${network.region}`);
    else if (exit)
      problems.push(
        `${subnetField}: ${subnet.subnetId} is not isolated: ${exit}; launch only into subnets with no route to an internet or NAT gateway`,
      );
    if (network.stackVpcId && subnet.vpcId !== network.stackVpcId)
      problems.push(
        `${subnetField}: ${subnet.subnetId} is in ${subnet.vpcId}, not in the orchestrator's VPC ${network.stackVpcId}: ` +
          `its ${kind} instance could reach neither the VPC endpoints (SSM) nor the verify steps; name a subnet of ${network.stackVpcId}`,
      );
  }
  // a subnet outside the stack's VPC is the problem to fix; its groups' VPC follows from it
  const subnetOutside = subnet !== undefined && network.stackVpcId !== undefined && subnet.vpcId !== network.stackVpcId;
  const groupsRef = resolved.securityGroupIds!;
  const groupsField = settingName(groupsRef.origin, `${kind}.securityGroupIds`);
  for (const id of groupsRef.value) {
    const group = network.groups.get(id);
    if (!group) problems.push(`${groupsField}: ${id} does not exist in ${network.region}`);
    else if (subnet && !subnetOutside && group.vpcId !== subnet.vpcId)
      problems.push(
        `${groupsField}: ${id} is in ${group.vpcId ?? 'no VPC'}, not in ${subnet.vpcId} of the ${kind} subnet ${subnet.subnetId}; a network interface takes only groups of its subnet's VPC`,
      );
  }
  const ip = resolved.privateIpAddress;
  if (ip && subnet) {
    const field = settingName(ip.origin, `${kind}.privateIpAddress`);
    const cidr = parseCidr(subnet.cidrBlock);
    const address = ipv4ToNumber(ip.value);
    if (!cidr || address === undefined) problems.push(`${field}: cannot compare ${ip.value} with ${subnet.subnetId}'s CIDR ${subnet.cidrBlock}`);
    else if (!cidrContains(cidr, address))
      problems.push(
        `${field}: ${ip.value} is not inside ${subnet.subnetId}'s CIDR ${subnet.cidrBlock}` +
          (subnetRef.origin.level === 'stack'
            ? ` (no subnet of ${stackSubnetEnv(kind)} holds it: set launch.${kind}.subnetId for this server)`
            : ''),
      );
    else if (isReservedInSubnet(cidr, address))
      problems.push(
        `${field}: ${ip.value} is one of the five addresses AWS reserves in ${subnet.cidrBlock} (the first four and the last); choose another`,
      );
  }
  return problems;
}

/**
 * The instance types of the EC2 sources whose launches take them (rightSizing "in-aws"): one
 * DescribeInstances per source region (the adapter batches the ids). A source EC2 does not know is
 * absent from the answer (InvalidInstanceID.NotFound for an id lookup).
 */
export async function sourceInstanceTypes(deps: FlowDeps, launches: readonly ResolvedLaunch[]): Promise<Map<string, string>> {
  const byRegion = new Map<string, Set<string>>();
  for (const r of launches)
    if (takesSourceInstanceType(r) && r.sourceInstance)
      byRegion.set(r.sourceInstance.region, (byRegion.get(r.sourceInstance.region) ?? new Set()).add(r.sourceInstance.instanceId));
  const types = new Map<string, string>();
  for (const [region, ids] of byRegion)
    for (const instance of await deps.ec2In(region).describeInstances([...ids]))
      if (instance.instanceType && ids.has(instance.instanceId)) types.set(instance.instanceId, instance.instanceType);
  return types;
}

/**
 * EC2 of each source region with DescribeInstances answered from what this step already read: an
 * instance asked for once (found or not) is not asked for again.
 */
function sourceInstancesReadOnce(ec2In: FlowDeps['ec2In']): FlowDeps['ec2In'] {
  const ports = new Map<string, Ec2Port>();
  return (region) => {
    let port = ports.get(region);
    if (!port) {
      const base = ec2In(region);
      const seen = new Map<string, InstanceView | undefined>();
      port = Object.assign(Object.create(base) as Ec2Port, {
        describeInstances: async (ids: readonly string[]) => {
          const missing = [...new Set(ids)].filter((id) => !seen.has(id));
          if (missing.length > 0) {
            const found = await base.describeInstances(missing);
            for (const id of missing) seen.set(id, found.find((i) => i.instanceId === id));
          }
          return [...new Set(ids)].map((id) => seen.get(id)).filter((i): i is InstanceView => i !== undefined);
        },
      });
      ports.set(region, port);
    }
    return port;
  };
}

/** Which launches preflight checks for a server: the wave's phases, minus those MGN says are behind it. */
function launchesToCheck(ctx: WaveContext, view: SourceServerView | undefined): LaunchKind[] {
  return LAUNCH_KINDS.filter((kind) =>
    kind === 'test' ? ctx.phases.test && !reached(view, 'READY_FOR_CUTOVER') : ctx.phases.cutover && !reached(view, 'CUTOVER'),
  );
}

/**
 * Resolves every active server's test and cutover launch settings, checks them against the target
 * network (existence, one VPC, the private IP inside its subnet, isolated subnets, free addresses
 * for every instance still to launch) in a few batched EC2 calls, stores the plans in the server
 * records and sets aside the servers that cannot launch.
 */
export async function checkLaunchSettings(
  ctx: WaveContext,
  deps: FlowDeps,
  manifest: WaveManifest,
  records: readonly ServerRecord[],
  known: ReadonlyMap<string, SourceServerView>,
  at: Date,
): Promise<void> {
  const indexOf = new Map(manifest.servers.map((s, i) => [s.name, i]));
  const work = records
    .map((record) => ({ record, index: indexOf.get(record.name)!, kinds: launchesToCheck(ctx, known.get(record.name)) }))
    .filter((w) => w.kinds.length > 0);
  if (work.length === 0) return;

  // Every subnet and group any launch may use: the manifest's and the stack's defaults.
  const first = work.flatMap((w) => w.kinds.map((kind) => resolveLaunch(manifest, w.index, kind, deps.config)));
  const kinds = new Set(work.flatMap((w) => w.kinds));
  const subnetIds = new Set([...first.flatMap((r) => (r.subnetId ? [r.subnetId.value] : [])), ...[...kinds].flatMap((k) => stackSubnetsOf(deps.config, k))]);
  const groupIds = new Set(first.flatMap((r) => r.securityGroupIds?.value ?? []));
  const typesOfSources = await sourceInstanceTypes(deps, first);
  const subnets = new Map((await deps.ec2.describeSubnets([...subnetIds])).map((s) => [s.subnetId, s]));
  const groups = new Map((await deps.ec2.describeSecurityGroups([...groupIds])).map((g) => [g.groupId, g]));
  const tables = subnets.size
    ? await deps.ec2.describeRouteTables({ subnetIds: [...subnets.keys()], mainOfVpcIds: [...new Set([...subnets.values()].map((s) => s.vpcId))] })
    : [];
  const explicit = new Map<string, RouteTableView>();
  const mainOf = new Map<string, RouteTableView>();
  for (const t of tables) {
    for (const id of t.subnetIds) explicit.set(id, t);
    if (t.main) mainOf.set(t.vpcId, t);
  }
  const stackVpcId = [...kinds].flatMap((k) => stackSubnetsOf(deps.config, k)).map((id) => subnets.get(id)?.vpcId).find((v) => v !== undefined);
  const network: TargetNetwork = {
    region: manifest.targetRegion,
    subnets,
    groups,
    routeTableOf: (id) => explicit.get(id) ?? mainOf.get(subnets.get(id)?.vpcId ?? ''),
    ...(stackVpcId ? { stackVpcId } : {}),
  };
  // A fixed cutover IP with no subnet named takes the stack subnet that holds it.
  const stackSubnetHolding = (ip: string, ids: readonly string[]) => {
    const address = ipv4ToNumber(ip);
    return ids.find((id) => {
      const cidr = parseCidr(subnets.get(id)?.cidrBlock ?? '');
      return cidr !== undefined && address !== undefined && cidrContains(cidr, address);
    });
  };

  const checked = work.map(({ record, index, kinds: recordKinds }) => {
    const found = new Set<string>();
    const plans: NonNullable<ServerRecord['launchPlan']> = {};
    const resolvedOf: Partial<Record<LaunchKind, ResolvedLaunch>> = {};
    for (const kind of recordKinds) {
      const resolved = (resolvedOf[kind] = resolveLaunch(manifest, index, kind, deps.config, { stackSubnetHolding }));
      const sourceType = resolved.sourceInstance ? typesOfSources.get(resolved.sourceInstance.instanceId) : undefined;
      const { plan, problems: planProblems } = launchPlanOf(resolved, sourceType);
      // test and cutover may share a reason (a wave-level value, the source's type): say it once
      planProblems.forEach((p) => found.add(p));
      const profileProblem = instanceProfileProblem(resolved, deps.config);
      if (profileProblem) found.add(profileProblem);
      if (plan) {
        const networkProblems = launchNetworkProblems(resolved, network);
        networkProblems.forEach((p) => found.add(p));
        if (networkProblems.length === 0) plans[kind] = plan;
      }
    }
    return { record, problems: [...found], plans, resolvedOf };
  });

  // Free addresses: every instance still to launch into a subnet needs one (a wave keeps its test
  // instances until approval). EC2 refuses a launch into a full subnet; say so now, in manifest order.
  const demand = new Map<string, number>();
  for (const c of checked) {
    if (c.problems.length > 0) continue;
    const view = known.get(c.record.name);
    for (const kind of Object.keys(c.plans) as LaunchKind[]) {
      if (view?.lifecycleState === LAUNCHED_STATE[kind]) continue; // its instance already holds an address
      const subnet = subnets.get(c.plans[kind]!.subnetId);
      const free = subnet?.availableIpAddressCount;
      const key = `${kind} ${subnet?.subnetId}`;
      const nth = (demand.get(key) ?? 0) + 1;
      demand.set(key, nth);
      if (free !== undefined && nth > free)
        c.problems.push(
          `${settingName(c.resolvedOf[kind]!.subnetId!.origin, `${kind}.subnetId`)}: ${subnet!.subnetId} has ${free} free addresses ` +
            `and this server is number ${nth} of the wave's ${kind} instances there; name another subnet for some servers, or use a larger subnet`,
        );
    }
  }
  for (const { record, problems, plans } of checked) {
    if (problems.length > 0) failServer(record, 'preflight', problems.join('; '), at);
    else record.launchPlan = plans;
  }
}

/** The lifecycle state in which a server's instance of that launch kind is up (it holds its address). */
const LAUNCHED_STATE: Record<LaunchKind, string> = { test: 'TESTING', cutover: 'CUTTING_OVER' };

/**
 * Orchestrator-side endpoint reachability, replication template check and fix, the SSM status of
 * every source that still needs the agent (each in the region whose SSM manages it), and every
 * server's launch settings against the target network. A server that fails a check is set aside
 * with the reason; the rest of the wave goes on.
 */
export async function preflight(ctx: WaveContext, stepDeps: FlowDeps): Promise<WaveContext> {
  // the source regions' EC2 is asked once per instance: the allowed-tag check and rightSizing "in-aws" share the answer
  const deps: FlowDeps = { ...stepDeps, ec2In: sourceInstancesReadOnce(stepDeps.ec2In) };
  await checkEndpoints(deps);
  const manifest: WaveManifest = await loadManifest(deps.store, ctx.waveId);
  // the replicating-servers quota (mgn/L-9A599620): a wave that can never fit is refused before anything changes
  await firstMgnCall(manifest.targetRegion, () => refuseWaveBeyondQuota(deps, manifest));
  const fixes = await firstMgnCall(manifest.targetRegion, () => enforceReplicationTemplate(deps));
  for (const fix of fixes) deps.log.warn(fix);

  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const known = await readWave(deps.mgn, manifest, state);
  setAsideDisconnected(state, known, 'preflight', at);
  const serverFixes = await applyServerReplicationSettings(
    deps,
    activeServers(state).filter((r) => known.has(r.name) && r.sourceServerId),
    at,
  );
  for (const fix of serverFixes) deps.log.warn(`replication settings of ${fix}`);
  // Run Command only to sources with the allowed tag: those that need the agent, and every source when the wave quiesces them
  await setAsideUntaggedSources(
    deps,
    activeServers(state).filter((r) => manifest.options.quiesce || (ctx.phases.install && !known.has(r.name))),
    at,
  );
  const needAgent = activeServers(state).filter((r) => !known.has(r.name));

  if (!ctx.phases.install) {
    for (const r of needAgent)
      failServer(
        r,
        'preflight',
        'MGN does not know this server and options.phases.install is false: install the agent first',
        at,
      );
  } else {
    const byRegion = new Map<string, typeof needAgent>();
    for (const r of needAgent) byRegion.set(r.ssmRegion, [...(byRegion.get(r.ssmRegion) ?? []), r]);
    for (const [region, records] of byRegion) {
      const infos = await deps
        .ssm(region)
        .describeInstanceInformation(records.map((r) => r.sourceInstanceId));
      const ping = new Map(infos.map((i) => [i.instanceId, i.pingStatus]));
      for (const r of records) {
        const status = ping.get(r.sourceInstanceId);
        if (status === 'Online') continue;
        failServer(
          r,
          'preflight',
          status
            ? `SSM agent is ${status} in ${region}, not Online: Run Command cannot reach the source`
            : `not registered with SSM in ${region}: check the SSM agent, its instance profile or hybrid activation, and the ssm/ssmmessages/ec2messages endpoints`,
          at,
        );
      }
    }
  }
  await checkLaunchSettings(ctx, deps, manifest, activeServers(state), known, at);
  for (const r of activeServers(state)) mark(r, 'preflight', 'done', at);
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('preflight done', { templateFixes: fixes.length, serverReplicationFixes: serverFixes.length, ...counts });
  return phaseDone(ctx, 'preflight', counts);
}

/**
 * Preflight's launch checks over a fake target network (test/asl/fake-world.ts): every subnet and
 * group a server's test and cutover launches will use exists, shares one VPC, holds the fixed IP and
 * has no way out to the internet; a server that fails is set aside naming the field and the resource,
 * and the others go on.
 */
import { preflight } from '../../../functions/lib/flow/preflight';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import { defaultSubnetFor } from '../../../functions/lib/launch-settings';
import type { LaunchSpec, WaveManifest } from '../../../functions/lib/manifest';
import type { FlowConfig, FlowDeps } from '../../../functions/lib/ports';
import { loadRunState } from '../../../functions/lib/run-state';
import { executionArnOf, FAKE_NETWORK, FakeWorld, waveOf } from '../../asl/fake-world';

const OTHER_VPC = 'vpc-0999999999999999a';
const MISSING_SUBNET = 'subnet-0deadbeefdeadbeef';
const SECOND_GROUP = 'sg-0b0000000000000b2';

function withLaunch(count: number, launch: LaunchSpec | undefined, servers: Record<number, LaunchSpec> = {}, options: Partial<WaveManifest['options']> = {}): WaveManifest {
  const m = waveOf(count, options);
  return { ...m, ...(launch ? { launch } : {}), servers: m.servers.map((s, i) => (servers[i] ? { ...s, launch: servers[i] } : s)) };
}

async function preflightOf(world: FakeWorld, config: Partial<FlowConfig> = {}) {
  const deps: FlowDeps = { ...world.deps(), config: { ...world.config, ...config } };
  const ctx = await validateWave({ input: world.manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, deps);
  const next = await preflight(ctx, deps);
  const state = await loadRunState(deps.store, ctx);
  return { next, servers: state.servers, reasons: state.servers.map((r) => r.failure?.reason) };
}

describe('preflight: launch settings against the target network', () => {
  it('sets aside a server whose subnet does not exist, naming servers[i].launch.<kind>.subnetId and the region; the rest get their plans', async () => {
    const world = new FakeWorld(withLaunch(3, undefined, { 1: { test: { subnetId: MISSING_SUBNET } } }));

    const { next, servers, reasons } = await preflightOf(world);

    expect(reasons).toEqual([undefined, `servers[1].launch.test.subnetId: ${MISSING_SUBNET} does not exist in eu-west-1`, undefined]);
    expect(servers[1].failure?.phase).toBe('preflight');
    expect(next).toMatchObject({ done: true, counts: { active: 2, failed: 1 } });
    expect(servers[0].launchPlan).toEqual({
      test: expect.objectContaining({ subnetId: defaultSubnetFor('srv-000', world.config.testSubnetIds), securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId] }),
      cutover: expect.objectContaining({ subnetId: defaultSubnetFor('srv-000', world.config.cutoverSubnetIds), instanceProfile: FAKE_NETWORK.launchedInstanceProfileName }),
    });
  });

  it('names the wave-level field when the value came from the wave, and the stack default when it came from the stack', async () => {
    const waveLevel = await preflightOf(new FakeWorld(withLaunch(2, { cutover: { subnetId: MISSING_SUBNET } })));
    expect(waveLevel.reasons).toEqual([0, 1].map(() => `launch.cutover.subnetId: ${MISSING_SUBNET} does not exist in eu-west-1`));

    const stack = await preflightOf(new FakeWorld(waveOf(1)), { testSubnetIds: [MISSING_SUBNET] });
    expect(stack.reasons).toEqual([`launch.test.subnetId (unset: the stack's default from TEST_SUBNET_IDS): ${MISSING_SUBNET} does not exist in eu-west-1`]);
  });

  it('with no subnet at all (no manifest subnet, no stack subnets) the server cannot launch: set aside naming the field and the fix', async () => {
    const { reasons } = await preflightOf(new FakeWorld(waveOf(1)), { cutoverSubnetIds: [] });
    expect(reasons).toEqual([expect.stringMatching(/^launch\.cutover\.subnetId: no subnet for the cutover instance: the manifest names none and the stack gives no CUTOVER_SUBNET_IDS .* set launch\.cutover\.subnetId/)]);
  });

  it("sets aside a server naming an instance profile the stack may not pass to EC2, naming the field and the deploy config's launchInstanceProfiles", async () => {
    const world = new FakeWorld(withLaunch(4, undefined, { 1: { instanceProfile: 'app-profile' }, 2: { instanceProfile: 'legacy-profile' }, 3: { instanceProfile: FAKE_NETWORK.launchedInstanceProfileName } }));
    const { reasons, servers } = await preflightOf(world, { launchInstanceProfiles: ['app-profile'] });
    expect(reasons).toEqual([
      undefined,
      undefined,
      expect.stringMatching(/^servers\[2\]\.launch\.instanceProfile: legacy-profile is not an instance profile this stack may launch with/),
      undefined,
    ]);
    expect(reasons[2]).toContain('add {"name": "legacy-profile", "roleArn": "<the ARN of its role>"} to launchInstanceProfiles in the deploy config');
    expect(servers[1].launchPlan?.test).toMatchObject({ instanceProfile: 'app-profile' });
    // a wave-level profile is named as such, for every server
    const wave = await preflightOf(new FakeWorld(withLaunch(2, { instanceProfile: 'legacy-profile' })), { launchInstanceProfiles: [] });
    expect(wave.reasons.map((r) => r?.split(':')[0])).toEqual(['launch.instanceProfile', 'launch.instanceProfile']);
    // outside a deployed stack (no launchInstanceProfiles in the environment) nothing is known: no check
    expect((await preflightOf(new FakeWorld(withLaunch(1, { instanceProfile: 'legacy-profile' })))).reasons).toEqual([undefined]);
  });

  it('security groups must exist and be in the VPC of the subnet they go with', async () => {
    const world = new FakeWorld(
      withLaunch(3, undefined, {
        0: { test: { securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId, 'sg-0404040404040404f'] } },
        1: { cutover: { securityGroupIds: [SECOND_GROUP] } },
        2: { cutover: { securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId, 'sg-0c0000000000000c3'] } },
      }),
    );
    world.addSecurityGroup(SECOND_GROUP, OTHER_VPC);
    world.addSecurityGroup('sg-0c0000000000000c3');

    const { reasons } = await preflightOf(world);

    expect(reasons).toEqual([
      'servers[0].launch.test.securityGroupIds: sg-0404040404040404f does not exist in eu-west-1',
      `servers[1].launch.cutover.securityGroupIds: ${SECOND_GROUP} is in ${OTHER_VPC}, not in ${FAKE_NETWORK.vpcId} of the cutover subnet ${defaultSubnetFor('srv-001', world.config.cutoverSubnetIds)}; a network interface takes only groups of its subnet's VPC`,
      undefined,
    ]);
  });

  it("a fixed cutover IP must lie in its subnet's CIDR and not be one of AWS's five reserved addresses; with no subnet named, the stack subnet holding it is used", async () => {
    const world = new FakeWorld(
      withLaunch(4, undefined, {
        0: { cutover: { subnetId: 'subnet-0c0000000000000c1', privateIpAddress: '10.20.12.40' } },
        1: { cutover: { subnetId: 'subnet-0c0000000000000c1', privateIpAddress: '10.20.11.255' } },
        2: { cutover: { privateIpAddress: '10.20.12.41' } },
        3: { cutover: { privateIpAddress: '10.99.0.10' } },
      }),
    );

    const { reasons, servers } = await preflightOf(world);

    expect(reasons).toEqual([
      'servers[0].launch.cutover.privateIpAddress: 10.20.12.40 is not inside subnet-0c0000000000000c1\'s CIDR 10.20.8.0/22',
      'servers[1].launch.cutover.privateIpAddress: 10.20.11.255 is one of the five addresses AWS reserves in 10.20.8.0/22 (the first four and the last); choose another',
      undefined,
      expect.stringMatching(/^servers\[3\]\.launch\.cutover\.privateIpAddress: 10\.99\.0\.10 is not inside subnet-0c\w+'s CIDR 10\.20\.(8|12)\.0\/22 \(no subnet of CUTOVER_SUBNET_IDS holds it: set launch\.cutover\.subnetId for this server\)$/),
    ]);
    expect(servers[2].launchPlan?.cutover).toMatchObject({ subnetId: 'subnet-0c0000000000000c2', privateIpAddress: '10.20.12.41' });
  });

  it('refuses subnets with a way out: a route to an internet gateway, a NAT gateway or an egress-only internet gateway, also through the main route table', async () => {
    const vpc = FAKE_NETWORK.vpcId;
    const world = new FakeWorld(
      withLaunch(5, undefined, {
        0: { test: { subnetId: 'subnet-0e0000000000000e1' } },
        1: { test: { subnetId: 'subnet-0e0000000000000e2' } },
        2: { test: { subnetId: 'subnet-0e0000000000000e3' } },
        3: { test: { subnetId: 'subnet-0e0000000000000e4' } },
        4: { test: { subnetId: 'subnet-0e0000000000000e5' } },
      }),
    );
    const local = { destination: '10.20.0.0/16', target: 'local', state: 'active' };
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e1', vpcId: vpc, cidrBlock: '10.20.21.0/24', availabilityZone: 'eu-west-1a' }, [local, { destination: '0.0.0.0/0', target: 'igw-0a1b2c3d4e5f60718', state: 'active' }]);
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e2', vpcId: vpc, cidrBlock: '10.20.22.0/24', availabilityZone: 'eu-west-1a' }, [local, { destination: '0.0.0.0/0', target: 'nat-0a1b2c3d4e5f60718', state: 'active' }]);
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e3', vpcId: vpc, cidrBlock: '10.20.23.0/24', availabilityZone: 'eu-west-1a' }, [local, { destination: '::/0', target: 'eigw-0a1b2c3d4e5f60718', state: 'active' }]);
    // a route to a detached gateway (blackhole) carries nothing; peering and gateway endpoints stay inside
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e4', vpcId: vpc, cidrBlock: '10.20.24.0/24', availabilityZone: 'eu-west-1a' }, [
      local,
      { destination: '0.0.0.0/0', target: 'igw-0ffffffffffffffff', state: 'blackhole' },
      { destination: '10.30.0.0/16', target: 'pcx-0a1b2c3d4e5f60718', state: 'active' },
      { destination: 'pl-6ea54007', target: 'vpce-0a1b2c3d4e5f60718', state: 'active' },
    ]);
    // no explicit association: the main route table of its VPC decides (here: one with an internet gateway)
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e5', vpcId: OTHER_VPC, cidrBlock: '10.50.1.0/24', availabilityZone: 'eu-west-1a' });
    world.routeTables.push({ routeTableId: 'rtb-0f0000000000000m2', vpcId: OTHER_VPC, main: true, subnetIds: [], routes: [{ destination: '0.0.0.0/0', target: 'igw-0b1b2c3d4e5f60718', state: 'active' }] });

    const { reasons } = await preflightOf(world);

    expect(reasons[0]).toBe(
      'servers[0].launch.test.subnetId: subnet-0e0000000000000e1 is not isolated: its route table rtb-0e0000000000000e1 sends 0.0.0.0/0 to igw-0a1b2c3d4e5f60718 (an internet gateway); launch only into subnets with no route to an internet or NAT gateway',
    );
    expect(reasons[1]).toMatch(/^servers\[1\]\.launch\.test\.subnetId: subnet-0e0000000000000e2 is not isolated: .* to nat-0a1b2c3d4e5f60718 \(a NAT gateway\)/);
    expect(reasons[2]).toMatch(/^servers\[2\]\.launch\.test\.subnetId: subnet-0e0000000000000e3 is not isolated: .* sends ::\/0 to eigw-0a1b2c3d4e5f60718 \(an egress-only internet gateway\)/);
    expect(reasons[3]).toBeUndefined();
    expect(reasons[4]).toMatch(/^servers\[4\]\.launch\.test\.subnetId: subnet-0e0000000000000e5 is not isolated: its route table rtb-0f0000000000000m2 sends 0\.0\.0\.0\/0 to igw-/);
  });

  it("refuses a subnet outside the orchestrator's VPC, naming the subnet field, even when the server's groups are of that VPC too", async () => {
    const world = new FakeWorld(
      withLaunch(3, undefined, {
        0: { test: { subnetId: 'subnet-0f0000000000000f1' } },
        1: { test: { subnetId: 'subnet-0f0000000000000f1', securityGroupIds: [SECOND_GROUP] } },
      }),
    );
    world.addSubnet({ subnetId: 'subnet-0f0000000000000f1', vpcId: OTHER_VPC, cidrBlock: '10.50.2.0/24', availabilityZone: 'eu-west-1a' }, [
      { destination: '10.50.0.0/16', target: 'local', state: 'active' },
    ]);
    world.addSecurityGroup(SECOND_GROUP, OTHER_VPC);

    const { reasons } = await preflightOf(world);

    const outside = (i: number) =>
      `servers[${i}].launch.test.subnetId: subnet-0f0000000000000f1 is in ${OTHER_VPC}, not in the orchestrator's VPC ${FAKE_NETWORK.vpcId}: ` +
      `its test instance could reach neither the VPC endpoints (SSM) nor the verify steps; name a subnet of ${FAKE_NETWORK.vpcId}`;
    // the stack's target group (server 0) is of the other VPC than the subnet: the subnet is the one thing to fix
    expect(reasons).toEqual([outside(0), outside(1), undefined]);
  });

  it('does not check test settings of a wave that skips testing, nor those of servers MGN has already taken past the test', async () => {
    const skipTest = new FakeWorld(withLaunch(1, { test: { subnetId: MISSING_SUBNET } }, {}, { phases: { install: true, test: false, cutover: true, finalize: true, archive: true } }));
    const skipped = await preflightOf(skipTest);
    expect(skipped.reasons).toEqual([undefined]);
    expect(Object.keys(skipped.servers[0].launchPlan ?? {})).toEqual(['cutover']);

    const pastTest = new FakeWorld(withLaunch(2, { test: { subnetId: MISSING_SUBNET } }));
    pastTest.addKnownServer('srv-000', 'READY_FOR_CUTOVER');
    const past = await preflightOf(pastTest);
    expect(past.reasons).toEqual([undefined, `launch.test.subnetId: ${MISSING_SUBNET} does not exist in eu-west-1`]);
  });

  it("sets aside, in manifest order, the servers a subnet has no free address for (a wave keeps its test instances until approval)", async () => {
    const world = new FakeWorld(withLaunch(5, { test: { subnetId: 'subnet-0e0000000000000e9' } }));
    // a /29: eight addresses, five reserved by AWS, three free
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e9', vpcId: FAKE_NETWORK.vpcId, cidrBlock: '10.20.30.0/29', availabilityZone: 'eu-west-1a' });
    world.addKnownServer('srv-000', 'TESTING');

    const { reasons } = await preflightOf(world);

    // srv-000's test instance is already up (TESTING): it needs no new address
    expect(reasons).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      'launch.test.subnetId: subnet-0e0000000000000e9 has 3 free addresses and this server is number 4 of the wave\'s test instances there; name another subnet for some servers, or use a larger subnet',
    ]);
  });

  it('reads the whole network in a few batched calls, not one per server', async () => {
    const world = new FakeWorld(waveOf(60));
    await preflightOf(world);
    const ops = world.calls.map((c) => c.op).filter((op) => op.startsWith('Describe') && op !== 'DescribeSourceServers');
    // one read of the sources' tags in their region (allowedTag), then the target network
    expect(ops).toEqual(['DescribeInstances@ap-southeast-1', 'DescribeSubnets', 'DescribeSecurityGroups', 'DescribeRouteTables']);
    // the stack's four subnets, each asked for once
    expect(world.calls.find((c) => c.op === 'DescribeSubnets')?.ids.sort()).toEqual([...world.config.testSubnetIds, ...world.config.cutoverSubnetIds].sort());
  });

  describe('rightSizing "in-aws": the source instance\'s type, read in its own region', () => {
    /** servers 0..n-1 of waveOf are EC2 sources in ap-southeast-1; the last ones move to us-east-2 */
    function spread(m: WaveManifest, movedFrom: number): WaveManifest {
      return { ...m, servers: m.servers.map((s, i) => (i >= movedFrom && s.source.type === 'ec2' ? { ...s, source: { ...s.source, region: 'us-east-2' } } : s)) };
    }
    const idOf = (world: FakeWorld, i: number) => (world.manifest.servers[i].source as { instanceId: string }).instanceId;

    it('stores each server\'s source type in its launch plans with right-sizing NONE, asking each source region once for all its servers (the read the allowed-tag check makes)', async () => {
      const world = new FakeWorld(spread(withLaunch(5, { rightSizing: 'in-aws' }, { 4: { rightSizing: 'basic' } }), 3));
      world.sourceInstances.set(idOf(world, 0), { region: 'ap-southeast-1', instanceType: 'r5.xlarge' });
      world.sourceInstances.set(idOf(world, 3), { region: 'us-east-2', instanceType: 'c6i.2xlarge' });

      const { reasons, servers } = await preflightOf(world);

      expect(reasons).toEqual([undefined, undefined, undefined, undefined, undefined]);
      expect(servers.map((s) => [s.launchPlan?.test?.instanceType, s.launchPlan?.cutover?.instanceType, s.launchPlan?.cutover?.rightSizing])).toEqual([
        ['r5.xlarge', 'r5.xlarge', 'NONE'],
        ['m5.large', 'm5.large', 'NONE'],
        ['m5.large', 'm5.large', 'NONE'],
        ['c6i.2xlarge', 'c6i.2xlarge', 'NONE'],
        [undefined, undefined, 'BASIC'], // its own "basic": not looked up
      ]);
      expect(servers[0].launchPlan?.test?.instanceTypeFrom).toBe('source');
      const lookups = world.calls.filter((c) => c.op.startsWith('DescribeInstances@'));
      expect(lookups.map((c) => [c.op, [...c.ids].sort()])).toEqual([
        ['DescribeInstances@ap-southeast-1', [idOf(world, 0), idOf(world, 1), idOf(world, 2)].sort()],
        ['DescribeInstances@us-east-2', [idOf(world, 3), idOf(world, 4)].sort()],
      ]);
    });

    it('asks nothing more than the allowed-tag read when no launch takes a source type', async () => {
      const world = new FakeWorld(withLaunch(2, { rightSizing: 'in-aws' }, { 0: { rightSizing: 'basic' }, 1: { instanceType: 'm6i.large', rightSizing: 'none' } }));
      await preflightOf(world);
      expect(world.calls.filter((c) => c.op.startsWith('DescribeInstances@')).map((c) => c.op)).toEqual(['DescribeInstances@ap-southeast-1']);
    });

    it('sets aside a server whose source instance EC2 no longer knows, naming the field, the instance and the region; the others go on', async () => {
      const world = new FakeWorld(withLaunch(3, undefined, { 1: { rightSizing: 'in-aws' } }));
      world.sourceInstances.delete(idOf(world, 1));

      const { reasons, next } = await preflightOf(world);

      expect(reasons).toEqual([
        undefined,
        `servers[1].launch.rightSizing: "in-aws" takes the instance type of source instance ${idOf(world, 1)}, but EC2 does not know it in ap-southeast-1 (InvalidInstanceID.NotFound); check servers[1].source.instanceId, or use "basic" or "none" with instanceType`,
        undefined,
      ]);
      expect(next).toMatchObject({ counts: { active: 2, failed: 1 } });
    });
  });
});

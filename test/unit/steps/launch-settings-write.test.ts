/**
 * Launch settings written before each launch, over the fake fleet (test/asl/fake-world.ts), whose
 * MGN creates a launch template per server that names no subnet and whose launches FAIL without
 * one, as in an account with no default VPC.
 */
import { TryLaterError } from '../../../functions/lib/errors';
import { LAUNCH_SETTINGS_CONCURRENCY } from '../../../functions/lib/flow/launch-configuration';
import { launchCutover, launchTest, launchWave } from '../../../functions/lib/flow/launch';
import { preflight } from '../../../functions/lib/flow/preflight';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import { defaultSubnetFor } from '../../../functions/lib/launch-settings';
import type { LaunchSpec, WaveManifest } from '../../../functions/lib/manifest';
import type { FlowDeps } from '../../../functions/lib/ports';
import { loadRunState } from '../../../functions/lib/run-state';
import type { WaveContext } from '../../../functions/lib/wave-context';
import { executionArnOf, FAKE_NETWORK, FakeWorld, MGN_TEMPLATE_INSTANCE_TYPE, waveOf } from '../../asl/fake-world';

const WRITES = ['UpdateLaunchConfiguration', 'CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'];

function withLaunch(count: number, servers: Record<number, LaunchSpec> = {}, launch?: LaunchSpec): WaveManifest {
  const m = waveOf(count);
  return { ...m, ...(launch ? { launch } : {}), servers: m.servers.map((s, i) => (servers[i] ? { ...s, launch: servers[i] } : s)) };
}

/** A world whose servers MGN knows in `lifecycle`, after validate and preflight of run `runId`. */
async function startedAt(world: FakeWorld, lifecycle: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER', runId = 'run-1', known = true) {
  if (known) for (const s of world.manifest.servers) world.addKnownServer(s.name, lifecycle);
  const deps: FlowDeps = world.deps();
  const ctx = await preflight(await validateWave({ input: world.manifest, runId, executionArn: executionArnOf(runId) }, deps), deps);
  return { deps, ctx };
}

const writesSince = (world: FakeWorld, from: number) => world.calls.slice(from).filter((c) => WRITES.includes(c.op));
const records = (deps: FlowDeps, ctx: WaveContext) => loadRunState(deps.store, ctx).then((s) => s.servers);

describe('launch settings before a launch', () => {
  it('writes each server once, general settings then a new default template version, and the instance lands where the plan says', async () => {
    const world = new FakeWorld(waveOf(2));
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST');

    await launchTest(ctx, deps);

    const writes = world.calls.filter((c) => WRITES.includes(c.op));
    expect(writes.map((c) => c.op).sort()).toEqual([...WRITES, ...WRITES].sort());
    const template = world.templateOf('srv-000')!;
    expect(template).toMatchObject({
      version: 2,
      networkInterfaces: [
        {
          deviceIndex: 0,
          subnetId: defaultSubnetFor('srv-000', world.config.testSubnetIds),
          groups: [FAKE_NETWORK.targetSecurityGroupId],
          associatePublicIpAddress: false,
          deleteOnTermination: true,
        },
      ],
      instanceProfile: { name: FAKE_NETWORK.launchedInstanceProfileName },
      // MGN's own values the new version was made from are kept
      instanceType: MGN_TEMPLATE_INSTANCE_TYPE,
      instanceSecurityGroups: [],
    });
    const sourceServerId = (await records(deps, ctx))[0].sourceServerId!;
    expect(world.launchConfigurations.get(sourceServerId)).toMatchObject({ launchDisposition: 'STARTED', rightSizing: 'BASIC', copyTags: true, copyPrivateIp: false });
    expect((await records(deps, ctx))[0].testLaunch?.launchTemplate).toEqual({ id: template.id, version: 2, wrote: true });

    world.advance(600);
    const instance = world.instanceOf('srv-000', 'test')!;
    expect(instance).toMatchObject({ subnetId: defaultSubnetFor('srv-000', world.config.testSubnetIds), groups: [FAKE_NETWORK.targetSecurityGroupId], instanceProfile: FAKE_NETWORK.launchedInstanceProfileName });
  });

  it('a resumed run writes nothing: the settings are already in place (and the next poll of the same run neither)', async () => {
    const world = new FakeWorld(waveOf(3));
    world.failNext('startTest', new TryLaterError('too many servers in active jobs', 'ServiceQuotaExceededException'));
    const first = await startedAt(world, 'READY_FOR_TEST');
    await launchTest(first.ctx, first.deps);
    expect(world.calls.filter((c) => c.op === 'START_TEST')).toHaveLength(0);
    expect(world.calls.filter((c) => c.op === 'CreateLaunchTemplateVersion')).toHaveLength(3);

    const beforeResume = world.calls.length;
    const resumed = await startedAt(world, 'READY_FOR_TEST', 'run-2', false);
    const next = await launchTest(resumed.ctx, resumed.deps);

    expect(writesSince(world, beforeResume)).toEqual([]);
    expect(world.calls.filter((c) => c.op === 'START_TEST').flatMap((c) => c.ids)).toHaveLength(3);
    expect((await records(resumed.deps, resumed.ctx)).map((r) => r.testLaunch?.launchTemplate?.wrote)).toEqual([false, false, false]);
    const againFrom = world.calls.length;
    world.advance(next.waitSeconds);
    await launchTest(next, resumed.deps);
    expect(writesSince(world, againFrom)).toEqual([]);
  });

  it.each([
    ['EC2 RequestLimitExceeded on CreateLaunchTemplateVersion', 'createLaunchTemplateVersion', 'RequestLimitExceeded'],
    ['MGN ThrottlingException on GetLaunchConfiguration', 'getLaunchConfiguration', 'ThrottlingException'],
  ])('%s means "later": no server fails, the throttled one launches on the next poll', async (_, op, code) => {
    const world = new FakeWorld(waveOf(3));
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST');
    world.failNext(op, new TryLaterError(`${op}: ${code}: Request limit exceeded.`, code));

    const next = await launchTest(ctx, deps);

    let servers = await records(deps, ctx);
    expect(servers.every((r) => r.status === 'active')).toBe(true);
    const waiting = servers.filter((r) => r.launches.test === 0);
    expect(waiting).toHaveLength(1);
    expect(waiting[0].testLaunch?.lastRefusal).toMatch(new RegExp(`^launch settings not written yet: ${code}`));
    expect(next).toMatchObject({ done: false, counts: { failed: 0 } });

    world.advance(next.waitSeconds);
    await launchTest(next, deps);
    servers = await records(deps, ctx);
    expect(servers.map((r) => r.launches.test)).toEqual([1, 1, 1]);
  });

  it('a hard refusal (InvalidLaunchTemplateId.NotFound) sets that server aside in its launch phase with the call and reason; the others launch', async () => {
    const world = new FakeWorld(waveOf(3));
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST');
    // MGN names a template that is gone (deleted by hand in the EC2 console)
    const id = [...world.servers.values()].find((s) => s.name === 'srv-001')!.sourceServerId;
    world.launchConfigurations.set(id, { ...world.launchConfigurations.get(id)!, ec2LaunchTemplateId: 'lt-0ffffffffffffffff' });

    const next = await launchTest(ctx, deps);

    const servers = await records(deps, ctx);
    expect(servers[1]).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'test-launch',
        reason: 'launch settings refused: DescribeLaunchTemplateVersions on lt-0ffffffffffffffff: InvalidLaunchTemplateId.NotFound: The specified launch template, with template ID lt-0ffffffffffffffff, does not exist.',
      },
    });
    expect(world.calls.filter((c) => c.op === 'START_TEST').flatMap((c) => c.ids)).toEqual([servers[0].sourceServerId, servers[2].sourceServerId]);
    expect(next.counts).toEqual({ total: 3, active: 2, failed: 1 });
  });

  it("sets aside a server whose template has instance-level security groups (MGN's guide: leave them blank; EC2 refuses them with a network interface)", async () => {
    const world = new FakeWorld(waveOf(1));
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST');
    const template = world.templates.get(world.templateOf('srv-000')!.id)!;
    template.versions.set(1, { ...template.versions.get(1)!, instanceSecurityGroups: ['sg-0d0000000000000d1'] });

    await launchTest(ctx, deps);

    const [server] = await records(deps, ctx);
    expect(server.failure?.reason).toMatch(/^launch settings refused: launch template lt-\w+ version 1 \(the default\) sets instance-level security groups \[sg-0d0000000000000d1\]/);
    expect(world.calls.filter((c) => c.op === 'CreateLaunchTemplateVersion')).toHaveLength(0);
  });

  it('cutover: its own subnet, groups and fixed IP, instance type and tags in a new version; the fixed IP is what the instance gets', async () => {
    const world = new FakeWorld(
      withLaunch(
        2,
        { 0: { cutover: { subnetId: 'subnet-0c0000000000000c2', securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId, 'sg-0b0000000000000b2'], privateIpAddress: '10.20.12.40' }, instanceType: 'm6i.xlarge' } },
        { tags: { Project: 'atlas' } },
      ),
    );
    world.addSecurityGroup('sg-0b0000000000000b2');
    const { deps, ctx } = await startedAt(world, 'READY_FOR_CUTOVER');

    await launchCutover(ctx, deps);

    expect(world.templateOf('srv-000')).toMatchObject({
      networkInterfaces: [{ deviceIndex: 0, subnetId: 'subnet-0c0000000000000c2', groups: [FAKE_NETWORK.targetSecurityGroupId, 'sg-0b0000000000000b2'], privateIpAddress: '10.20.12.40', associatePublicIpAddress: false }],
      instanceType: 'm6i.xlarge',
      tagSpecifications: [
        { resourceType: 'instance', tags: { Project: 'atlas' } },
        { resourceType: 'volume', tags: { Project: 'atlas' } },
      ],
    });
    const id = (await records(deps, ctx))[0].sourceServerId!;
    expect(world.launchConfigurations.get(id)).toMatchObject({ rightSizing: 'NONE', copyPrivateIp: false });
    world.advance(600);
    expect(world.instanceOf('srv-000', 'cutover')).toMatchObject({ subnetId: 'subnet-0c0000000000000c2', privateIp: '10.20.12.40', instanceType: 'm6i.xlarge' });
  });

  it("on-premises source: post-launch actions deployment TEST_AND_CUTOVER, so MGN installs the SSM agent on the clone; MGN's other post-launch settings kept", async () => {
    const m = waveOf(1);
    const world = new FakeWorld({ ...m, servers: [{ ...m.servers[0], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'srv-000' } }] });
    world.addKnownServer('srv-000', 'READY_FOR_TEST');
    const id = [...world.servers.values()][0].sourceServerId;
    const docs = [{ actionName: 'audit', ssmDocumentName: 'Audit', mustSucceedForCutover: false }];
    world.launchConfigurations.set(id, { ...world.launchConfigurations.get(id)!, postLaunchActions: { deployment: 'CUTOVER_ONLY', ssmDocuments: docs } });
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST', 'run-1', false);

    await launchTest(ctx, deps);

    expect(world.launchConfigurations.get(id)?.postLaunchActions).toEqual({ deployment: 'TEST_AND_CUTOVER', ssmDocuments: docs });
    world.advance(600);
    expect(world.instanceOf('srv-000', 'test')?.ssmCapable).toBe(true);
  });

  it('writes at most LAUNCH_SETTINGS_CONCURRENCY servers at once', async () => {
    const world = new FakeWorld(waveOf(35));
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST');
    let inFlight = 0;
    let most = 0;
    const get = deps.mgn.getLaunchConfiguration;
    const counted: FlowDeps = {
      ...deps,
      mgn: {
        ...deps.mgn,
        getLaunchConfiguration: async (id) => {
          inFlight += 1;
          most = Math.max(most, inFlight);
          await new Promise((r) => setTimeout(r, 1));
          try {
            return await get(id);
          } finally {
            inFlight -= 1;
          }
        },
      },
    };

    await launchTest(ctx, counted);

    expect(most).toBe(LAUNCH_SETTINGS_CONCURRENCY);
    expect(world.calls.filter((c) => c.op === 'START_TEST').flatMap((c) => c.ids)).toHaveLength(35);
  });

  it('without launch settings (the old behaviour) the launch FAILS as AWS fails it: the template names no subnet and there is no default VPC', async () => {
    const world = new FakeWorld(waveOf(1));
    const { deps, ctx } = await startedAt(world, 'READY_FOR_TEST');

    const next = await launchWave('test', ctx, deps, { applySettings: false });
    world.advance(600);
    await launchWave('test', next, deps, { applySettings: false });

    expect(world.calls.filter((c) => WRITES.includes(c.op))).toEqual([]);
    expect([...world.launchFailures.values()]).toEqual([expect.stringMatching(/No default VPC/)]);
    expect(world.instanceOf('srv-000', 'test')).toBeUndefined();
  });
});

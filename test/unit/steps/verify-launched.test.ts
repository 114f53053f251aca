/**
 * Verification of launched instances over the fake fleet: EC2 status checks, TCP/HTTP checks from
 * the verify step against the private IP, SSM where it can be had, service checks by Run Command,
 * and what the report says ran. Then whole waves through the real ASL: where the instances landed.
 */
import { CommandTargetsRefusedError } from '../../../functions/lib/errors';
import { launchTest } from '../../../functions/lib/flow/launch';
import { preflight } from '../../../functions/lib/flow/preflight';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import { NETWORK_CHECK_WAIT_SECONDS, SSM_ONLINE_WAIT_SECONDS, verifyTest } from '../../../functions/lib/flow/verify';
import type { SmokeCheck, WaveManifest } from '../../../functions/lib/manifest';
import type { FlowConfig, FlowDeps } from '../../../functions/lib/ports';
import { loadRunState } from '../../../functions/lib/run-state';
import type { WaveContext } from '../../../functions/lib/wave-context';
import { executionArnOf, FAKE_NETWORK, FakeWorld, waveOf, type Fault } from '../../asl/fake-world';
import { runWave, serverIn } from '../../asl/run-wave';

const TCP: SmokeCheck = { type: 'tcp', port: 22 };
const HTTP: SmokeCheck = { type: 'http', url: 'http://app1.corp.example:8080/health?deep=1', expectStatus: 200 };
const SERVICE: SmokeCheck = { type: 'service', name: 'sshd' };

function waveWith(checks: SmokeCheck[], count = 1, onprem = false): WaveManifest {
  const m = waveOf(count);
  return {
    ...m,
    servers: m.servers.map((s, i) => ({
      ...s,
      checks,
      ...(onprem ? { source: { type: 'onprem' as const, managedInstanceId: `mi-0123456789abcde${i.toString(16).padStart(2, '0')}`, hostname: s.name } } : {}),
    })),
  };
}

interface Bed {
  world: FakeWorld;
  deps: FlowDeps;
  ctx: WaveContext;
  probes: string[];
}

/** Launches every server's test instance (to LAUNCHED) and returns the context verify-test starts from. */
async function launched(manifest: WaveManifest, options: { faults?: Record<string, Fault>; config?: Partial<FlowConfig>; afterLaunch?: (world: FakeWorld) => void } = {}): Promise<Bed> {
  const world = new FakeWorld(manifest, { faults: options.faults });
  for (const s of manifest.servers) world.addKnownServer(s.name, 'READY_FOR_TEST');
  const probes: string[] = [];
  const base = world.deps();
  const deps: FlowDeps = {
    ...base,
    config: { ...base.config, ...options.config },
    network: {
      tcpProbe: (host, port, timeoutMs) => (probes.push(`tcp ${host}:${port}`), base.network.tcpProbe(host, port, timeoutMs)),
      httpProbe: (url, timeoutMs) => (probes.push(`http ${url}`), base.network.httpProbe(url, timeoutMs)),
    },
  };
  let ctx = await preflight(await validateWave({ input: manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, deps), deps);
  ctx = await launchTest(ctx, deps);
  world.advance(600);
  ctx = await launchTest(ctx, deps);
  expect(ctx.done).toBe(true);
  options.afterLaunch?.(world);
  return { world, deps, ctx, probes };
}

/** Polls verify-test as the state machine would until it is done; returns the elapsed virtual seconds. */
async function verifyUntilDone(bed: Bed): Promise<number> {
  let ctx = bed.ctx;
  let elapsed = 0;
  for (let poll = 0; poll < 200; poll++) {
    ctx = await verifyTest(ctx, bed.deps);
    if (ctx.done) return elapsed;
    bed.world.advance(ctx.waitSeconds);
    elapsed += ctx.waitSeconds;
  }
  throw new Error('verify-test never finished');
}

const recordsOf = (bed: Bed) => loadRunState(bed.deps.store, bed.ctx).then((s) => s.servers);

describe('verify: launched instances', () => {
  it('runs TCP and HTTP checks from the verify step against the private IP (port, path and query kept), with no Run Command', async () => {
    const bed = await launched(waveWith([TCP, HTTP]));
    await verifyUntilDone(bed);

    const [server] = await recordsOf(bed);
    const instance = bed.world.instanceOf('srv-000', 'test')!;
    expect(server.status).toBe('active');
    expect(server.verification?.test).toEqual({
      instanceId: instance.instanceId,
      ec2StatusChecks: 'passed',
      ssm: 'online',
      checks: [
        { type: 'tcp', target: `${instance.privateIp}:22`, result: 'passed' },
        { type: 'http', target: `http://${instance.privateIp}:8080/health?deep=1`, result: 'passed' },
      ],
    });
    expect(new Set(bed.probes)).toEqual(new Set([`tcp ${instance.privateIp}:22`, `http http://${instance.privateIp}:8080/health?deep=1`]));
    expect(bed.world.calls.filter((c) => c.op.startsWith('SendCommand:AWS-'))).toEqual([]);
    expect(server.instances?.test).toEqual({
      instanceId: instance.instanceId,
      subnetId: instance.subnetId,
      privateIpAddress: instance.privateIp,
      instanceType: instance.instanceType,
      securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId],
    });
  });

  it('a check that keeps failing fails the server once the services had NETWORK_CHECK_WAIT_SECONDS to start; its test instance is retired', async () => {
    const bed = await launched(waveWith([TCP, HTTP], 2), { faults: { 'srv-001': 'test-check-fails' } });
    const elapsed = await verifyUntilDone(bed);

    const [ok, failed] = await recordsOf(bed);
    const ip = bed.world.instanceOf('srv-001', 'test')!.privateIp;
    expect(ok.status).toBe('active');
    expect(failed).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'test-verify',
        reason: `smoke checks failed from the orchestrator for ${NETWORK_CHECK_WAIT_SECONDS / 60} minutes after instance ${failed.verify!.instanceId} passed EC2 status checks: tcp ${ip}:22: ${ip}:22: ECONNREFUSED; http http://${ip}:8080/health?deep=1: answered 503, expected 200`,
      },
      cleanup: { purpose: 'test-failed', to: 'READY_FOR_TEST' },
    });
    expect(elapsed).toBeGreaterThanOrEqual(NETWORK_CHECK_WAIT_SECONDS);
    expect(elapsed).toBeLessThan(NETWORK_CHECK_WAIT_SECONDS + 300);
  });

  it('runs service checks by Run Command once the instance is Online in SSM, and reports each one', async () => {
    const bed = await launched(waveWith([TCP, SERVICE]));
    await verifyUntilDone(bed);

    const [server] = await recordsOf(bed);
    expect(server.verification?.test?.checks.map((c) => [c.type, c.result])).toEqual([
      ['tcp', 'passed'],
      ['service', 'passed'],
    ]);
    const sent = bed.world.calls.filter((c) => c.op === 'SendCommand:AWS-RunShellScript');
    expect(sent).toHaveLength(1);
    expect(bed.world.commands.at(-1)?.request.parameters.commands).toEqual([
      'rc=0',
      'if systemctl is-active --quiet sshd; then echo "PASS service:sshd"; else echo "FAIL service:sshd"; rc=1; fi',
      'exit $rc',
    ]);
  });

  it('an instance that drops out of SSM between the Online read and the send sinks only itself: the others get their service checks, it is retried next poll', async () => {
    const bed = await launched(waveWith([SERVICE], 3));
    const dropped = new Set<string>();
    const base = bed.deps;
    bed.deps = {
      ...base,
      ssm: (region) => {
        const real = base.ssm(region);
        return {
          ...real,
          describeInstanceInformation: async (ids) => (await real.describeInstanceInformation(ids)).map((i) => (dropped.has(i.instanceId) ? { ...i, pingStatus: 'ConnectionLost' } : i)),
          sendCommand: async (request) => {
            // the first send finds one instance gone, as SSM answers: the whole call refused
            if (dropped.size === 0 && request.instanceIds.length > 1) dropped.add(request.instanceIds[0]);
            if (request.instanceIds.some((id) => dropped.has(id))) throw new CommandTargetsRefusedError('InvalidInstanceId: Instances not in a valid state for account');
            return real.sendCommand(request);
          },
        };
      },
    };
    let ctx = await verifyTest(bed.ctx, bed.deps); // EC2 checks, SSM read
    for (let poll = 0; poll < 6 && dropped.size === 0; poll++) {
      bed.world.advance(ctx.waitSeconds);
      ctx = await verifyTest(ctx, bed.deps);
    }
    expect(dropped.size).toBe(1);
    const [gone] = [...dropped];
    const records = await recordsOf(bed);
    expect(records.every((r) => r.status === 'active')).toBe(true);
    expect(records.filter((r) => r.verify?.commandId).map((r) => r.verify!.instanceId).sort()).toEqual(records.map((r) => r.verify!.instanceId).filter((id) => id !== gone).sort());
    // back in SSM: the next poll sends it its checks and the whole wave passes
    dropped.clear();
    dropped.add('none');
    bed.ctx = ctx;
    await verifyUntilDone(bed);
    expect((await recordsOf(bed)).map((r) => [r.status, r.verification?.test?.checks.map((c) => c.result)])).toEqual(records.map(() => ['active', ['passed']]));
  });

  it('where SSM cannot be had (a clone that never registers), EC2 status checks and the probes verify it, within a bounded wait, and the report says so', async () => {
    const bed = await launched(waveWith([TCP], 1, true), {
      // MGN's post-launch agent install did not happen (e.g. post-launch actions not activated in the account)
      afterLaunch: (world) => world.instances.forEach((i) => (i.ssmCapable = false)),
    });
    const elapsed = await verifyUntilDone(bed);

    const [server] = await recordsOf(bed);
    expect(server.status).toBe('active');
    expect(server.verification?.test?.ssm).toBe(
      `unavailable: not Online in SSM as ${server.verify!.instanceId} within ${SSM_ONLINE_WAIT_SECONDS / 60} minutes of passing EC2 status checks (an on-premises clone registers as the EC2 instance only through the SSM agent MGN's post-launch actions install)`,
    );
    expect(server.verification?.test?.checks).toEqual([{ type: 'tcp', target: expect.stringMatching(/:22$/), result: 'passed' }]);
    expect(elapsed).toBeLessThan(SSM_ONLINE_WAIT_SECONDS + 300);
  });

  it('a service check the wave asked for fails the server when SSM cannot run it', async () => {
    const bed = await launched(waveWith([TCP, SERVICE], 1, true), { afterLaunch: (world) => world.instances.forEach((i) => (i.ssmCapable = false)) });
    await verifyUntilDone(bed);

    const [server] = await recordsOf(bed);
    expect(server.status).toBe('failed');
    expect(server.failure?.reason).toMatch(/^service check sshd could not run: SSM unavailable: not Online in SSM as i-\w+ within 15 minutes/);
    expect(server.verification?.test?.checks[1]).toEqual({ type: 'service', target: 'sshd', result: expect.stringMatching(/^not run: SSM unavailable/) });
  });

  it('without an instance profile SSM is known to be out of reach at once: no wait for it', async () => {
    const bed = await launched(waveWith([TCP]), { config: { launchedInstanceProfileName: undefined } });
    const elapsed = await verifyUntilDone(bed);

    const [server] = await recordsOf(bed);
    expect(server.status).toBe('active');
    expect(server.verification?.test?.ssm).toBe("unavailable: launched without an instance profile (set launch.instanceProfile or the stack's LAUNCHED_INSTANCE_PROFILE_NAME)");
    expect(elapsed).toBeLessThan(300);
  });

  it('an on-premises clone with the post-launch agent MGN installs is Online as its own i- id', async () => {
    const bed = await launched(waveWith([SERVICE], 1, true));
    await verifyUntilDone(bed);
    const [server] = await recordsOf(bed);
    expect(server.verification?.test).toMatchObject({ ssm: 'online', checks: [{ type: 'service', result: 'passed' }] });
  });
});

describe('whole waves (real ASL): where the instances landed', () => {
  it('test instances in the test subnets, cutover instances in the cutover subnets; the report shows both', async () => {
    const world = new FakeWorld(waveOf(4));
    const run = await runWave(world, { approval: 'approve' });

    expect(run.report?.outcome).toBe('completed');
    for (const s of run.report!.servers) {
      expect(world.config.testSubnetIds).toContain(s.instances?.test?.subnetId);
      expect(world.config.cutoverSubnetIds).toContain(s.instances?.cutover?.subnetId);
      expect(s.instances?.cutover).toMatchObject({ instanceType: expect.any(String), securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId] });
      expect(s.verification?.cutover).toMatchObject({ ec2StatusChecks: 'passed', ssm: 'online' });
    }
    // one template version per launch kind and server, and MGN's general settings written once
    const writes = (op: string) => world.calls.filter((c) => c.op === op).length;
    expect([writes('CreateLaunchTemplateVersion'), writes('ModifyLaunchTemplate'), writes('UpdateLaunchConfiguration')]).toEqual([8, 8, 4]);
  });

  it('per-server overrides: a fixed cutover IP, a larger instance type and a second security group, exactly as the manifest says', async () => {
    const m = waveOf(3);
    const manifest: WaveManifest = {
      ...m,
      launch: { tags: { Project: 'atlas' } },
      servers: m.servers.map((s, i) =>
        i === 1
          ? {
              ...s,
              launch: {
                cutover: { subnetId: 'subnet-0c0000000000000c2', securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId, 'sg-0b0000000000000b2'], privateIpAddress: '10.20.12.40' },
                instanceType: 'm6i.2xlarge',
              },
            }
          : s,
      ),
    };
    const world = new FakeWorld(manifest);
    world.addSecurityGroup('sg-0b0000000000000b2');
    const run = await runWave(world, { approval: 'approve' });

    expect(run.report?.outcome).toBe('completed');
    expect(serverIn(run.report, 'srv-001')?.instances?.cutover).toEqual({
      instanceId: expect.stringMatching(/^i-/),
      subnetId: 'subnet-0c0000000000000c2',
      privateIpAddress: '10.20.12.40',
      instanceType: 'm6i.2xlarge',
      securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId, 'sg-0b0000000000000b2'],
    });
    expect(serverIn(run.report, 'srv-001')?.instances?.test).toMatchObject({ instanceType: 'm6i.2xlarge', securityGroupIds: [FAKE_NETWORK.targetSecurityGroupId] });
    expect(serverIn(run.report, 'srv-000')?.instances?.cutover?.instanceType).toBe('m5.large');
  });

  it('a server whose subnet reaches an internet gateway fails in preflight naming the field; the others migrate', async () => {
    const m = waveOf(3);
    const world = new FakeWorld({ ...m, servers: m.servers.map((s, i) => (i === 2 ? { ...s, launch: { test: { subnetId: 'subnet-0e0000000000000e1' } } } : s)) });
    world.addSubnet({ subnetId: 'subnet-0e0000000000000e1', vpcId: FAKE_NETWORK.vpcId, cidrBlock: '10.20.21.0/24', availabilityZone: 'eu-west-1a' }, [
      { destination: '0.0.0.0/0', target: 'igw-0a1b2c3d4e5f60718', state: 'active' },
    ]);
    const run = await runWave(world, { approval: 'approve' });

    expect(run.report?.outcome).toBe('completed-with-failures');
    expect(serverIn(run.report, 'srv-002')).toMatchObject({
      result: 'failed',
      failure: { phase: 'preflight', reason: expect.stringMatching(/^servers\[2\]\.launch\.test\.subnetId: subnet-0e0000000000000e1 is not isolated/) },
      launches: { test: 0, cutover: 0 },
    });
    expect(['srv-000', 'srv-001'].map((n) => serverIn(run.report, n)?.result)).toEqual(['migrated', 'migrated']);
  });
});

describe('verify: records from before this version', () => {
  it('a verification stage this code does not know (written by an older version) starts over from the status checks', async () => {
    const bed = await launched(waveWith([TCP]));
    const state = await loadRunState(bed.deps.store, bed.ctx);
    state.servers[0].verify = { kind: 'test', startedAt: '2026-01-05T07:00:00.000Z', instanceId: bed.world.instanceOf('srv-000', 'test')!.instanceId, stage: 'checks-sent' as never };
    await bed.deps.store.putJson(`waves/${bed.ctx.waveId}/runs/${bed.ctx.runId}/servers.json`, state);

    await verifyUntilDone(bed);

    const [server] = await recordsOf(bed);
    expect(server).toMatchObject({ status: 'active', verify: { stage: 'passed' }, verification: { test: { ec2StatusChecks: 'passed' } } });
  });
});

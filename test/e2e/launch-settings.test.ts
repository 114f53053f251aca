/**
 * The simulated account as the flow meets it: the deploy config's network, the stack's environment in
 * the handlers, the network's ids in report.json, and the launch rule enforced. A flow that writes no
 * launch settings (today's, and the old behaviour) fails at test launch for every server with EC2's
 * error, exactly as it would in an isolated account, which has no default VPC.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ENV } from '../../functions/lib/steps';
import { InvalidInputError } from '../../functions/lib/validation';
import { defaultDeployConfig, moveDeployConfig } from '../../simulator/network';
import { simulate } from '../../simulator/runner/session';
import { PROJECT_ROOT, type TaskHandler } from '../../simulator/runner/handlers';
import { exampleWave, generatedWave, keptEmulator, scenarioWith } from './harness';
import { parseScenario } from '../../simulator/scenario';
import { RECOMMENDED_INSTANCE_TYPE } from '../../simulator/emulator/fleet';

const STACK_ENV = [ENV.stagingSubnetId, ENV.replicationSecurityGroupId, ENV.testSubnetIds, ENV.cutoverSubnetIds, ENV.targetSecurityGroupId, ENV.launchedInstanceProfileName];

let out: string;
beforeAll(() => (out = mkdtempSync(join(tmpdir(), 'mgn-launch-'))));
afterAll(() => rmSync(out, { recursive: true, force: true }));

/** The launch-test step as deployed, but with launch-settings writing switched off (the old behaviour). */
function launchTestWithoutSettings(): TaskHandler {
  const { Logger } = require('@aws-lambda-powertools/logger') as typeof import('@aws-lambda-powertools/logger');
  const { SdkEc2Port } = require(join(PROJECT_ROOT, 'functions', 'lib', 'adapters', 'ec2.ts')) as typeof import('../../functions/lib/adapters/ec2');
  const { SdkMgnPort } = require(join(PROJECT_ROOT, 'functions', 'lib', 'adapters', 'mgn.ts')) as typeof import('../../functions/lib/adapters/mgn');
  const { launchWave } = require(join(PROJECT_ROOT, 'functions', 'lib', 'flow', 'launch.ts')) as typeof import('../../functions/lib/flow/launch');
  const { waveStep } = require(join(PROJECT_ROOT, 'functions', 'lib', 'flow-runtime.ts')) as typeof import('../../functions/lib/flow-runtime');
  const step = waveStep(new Logger({ serviceName: 'launch-test-without-settings' }), (ctx, deps) => launchWave('test', ctx, deps, { applySettings: false }), {
    ec2: SdkEc2Port.forRegion,
    mgn: SdkMgnPort.forRegion,
  });
  return (event) => step(event);
}

describe('a wave whose flow writes no launch settings', () => {
  it('fails at test launch for every server, each with EC2\'s "No default VPC" in its job log; the handlers saw the stack\'s environment; report.json names the network', async () => {
    const kept = keptEmulator();
    const seen: Record<string, string | undefined>[] = [];
    const real = (require(join(PROJECT_ROOT, 'functions', 'preflight', 'handler.ts')) as { handler: TaskHandler }).handler;
    const preflight: TaskHandler = (event, context) => {
      seen.push(Object.fromEntries(STACK_ENV.map((name) => [name, process.env[name]])));
      return real(event, context);
    };
    const manifest = exampleWave();
    const scenario = parseScenario({ seed: 42, defaults: { diskGiB: 150, bandwidthMbps: 250, installSeconds: 240 } });
    const session = await simulate({
      manifests: [manifest],
      scenario,
      outDir: join(out, 'plain'),
      emulator: kept.factory,
      handlers: { preflight, 'launch-test': launchTestWithoutSettings() },
    });

    const report = session.waves[0].report;
    expect(report.servers.map((s) => [s.name, s.result, s.failure?.phase])).toEqual(manifest.servers.map((s) => [s.name, 'failed', 'test-launch']));
    const fleet = kept.emulator().fleet;
    const launchJobs = [...fleet.jobs.values()].filter((j) => j.initiatedBy === 'START_TEST');
    expect(launchJobs.length).toBeGreaterThan(0);
    for (const spec of manifest.servers) {
      const id = fleet.records.find((r) => r.spec.name === spec.name)!.sourceServerId!;
      const failures = launchJobs.flatMap((j) => j.logs).filter((l) => l.event === 'LAUNCH_FAILED' && l.sourceServerID === id);
      expect({ name: spec.name, errors: [...new Set(failures.map((l) => l.rawError))] }).toEqual({ name: spec.name, errors: ['VPCIdNotSpecified: No default VPC for this user'] });
    }
    expect([...fleet.instances.values()].filter((i) => i.purpose !== 'source')).toEqual([]);

    const stack = session.network;
    expect(seen[0]).toEqual({
      [ENV.stagingSubnetId]: stack.stagingSubnetId,
      [ENV.replicationSecurityGroupId]: stack.securityGroupIds.replication,
      [ENV.testSubnetIds]: stack.subnetIds.test.join(','),
      [ENV.cutoverSubnetIds]: stack.subnetIds.cutover.join(','),
      [ENV.targetSecurityGroupId]: stack.securityGroupIds.target,
      [ENV.launchedInstanceProfileName]: stack.launchedInstanceProfileName,
    });
    expect(stack).toEqual(kept.emulator().stack);
    expect(stack.subnetIds.test).toHaveLength(2);
    const written = JSON.parse(readFileSync(join(out, 'plain', manifest.waveId, 'report.json'), 'utf8')) as { network: unknown };
    expect(written.network).toEqual(JSON.parse(JSON.stringify(stack)));
  });

  it('with launch settings written (the flow as deployed) migrates, its test instances in the stack\'s test subnets', async () => {
    const kept = keptEmulator();
    const manifest = generatedWave('written', 4, 700);
    const session = await simulate({ manifests: [manifest], scenario: scenarioWith(), outDir: join(out, 'written'), emulator: kept.factory });
    expect(session.waves[0].report.servers.map((s) => s.result)).toEqual(['migrated', 'migrated', 'migrated', 'migrated']);
    const tests = [...kept.emulator().fleet.instances.values()].filter((i) => i.purpose === 'test');
    expect(tests).toHaveLength(4);
    for (const i of tests) {
      expect(session.network.subnetIds.test).toContain(i.subnetId);
      expect(i.securityGroupIds).toEqual([session.network.securityGroupIds.target]);
      expect(i.iamInstanceProfile?.name).toBe(session.network.launchedInstanceProfileName);
    }
  });
});

describe('rightSizing "in-aws" (MGN\'s "In AWS" right-sizing for sources already in EC2)', () => {
  it('launches the test and cutover instances with the instance type of their source EC2 instance; the others right-size as MGN does', async () => {
    const kept = keptEmulator();
    const base = generatedWave('inaws', 3, 900);
    const [first, second, third] = base.servers;
    const manifest = { ...base, launch: { rightSizing: 'in-aws' as const }, servers: [first, second, { ...third, launch: { rightSizing: 'basic' as const } }] };
    // the sources are r5.xlarge and c6i.2xlarge in ap-southeast-1: neither what BASIC recommends nor a template default
    const scenario = scenarioWith({ servers: { [first.name]: { sourceInstanceType: 'r5.xlarge' }, [second.name]: { sourceInstanceType: 'c6i.2xlarge' } } });
    const session = await simulate({ manifests: [manifest], scenario, outDir: join(out, 'in-aws'), emulator: kept.factory });

    const report = session.waves[0].report;
    expect(report.servers.map((s) => s.result)).toEqual(['migrated', 'migrated', 'migrated']);
    const fleet = kept.emulator().fleet;
    const typeOf = (name: string, purpose: 'test' | 'cutover') => {
      const id = fleet.records.find((r) => r.spec.name === name)!.sourceServerId;
      return [...fleet.instances.values()].filter((i) => i.purpose === purpose && i.sourceServerId === id).map((i) => i.instanceType);
    };
    expect([first, second, third].map((s) => [s.name, typeOf(s.name, 'test'), typeOf(s.name, 'cutover')])).toEqual([
      [first.name, ['r5.xlarge'], ['r5.xlarge']],
      [second.name, ['c6i.2xlarge'], ['c6i.2xlarge']],
      [third.name, [RECOMMENDED_INSTANCE_TYPE], [RECOMMENDED_INSTANCE_TYPE]],
    ]);
    // written as MGN takes it: right-sizing NONE, the type in the launch template
    for (const s of [first, second]) {
      const server = [...fleet.sourceServers.values()].find((x) => x.record.spec.name === s.name)!;
      expect(server.launchConfiguration.targetInstanceTypeRightSizingMethod).toBe('NONE');
    }
    const written = JSON.parse(readFileSync(join(out, 'in-aws', manifest.waveId, 'report.json'), 'utf8')) as { servers: { instances?: { cutover?: { instanceType?: string } } }[] };
    expect(written.servers.map((s) => s.instances?.cutover?.instanceType)).toEqual(['r5.xlarge', 'c6i.2xlarge', RECOMMENDED_INSTANCE_TYPE]);
  });
});

describe('launch.instanceProfile of your own (deploy config launchInstanceProfiles)', () => {
  it("launches with a listed profile; a server naming an unlisted one is set aside in preflight, naming the field and the fix, and the others migrate", async () => {
    const base = generatedWave('profiles', 3, 950);
    const [first, second, third] = base.servers;
    const manifest = {
      ...base,
      servers: [first, { ...second, launch: { instanceProfile: 'AppServerProfile' } }, { ...third, launch: { instanceProfile: 'LegacyProfile' } }],
    };
    const deployConfig = {
      ...defaultDeployConfig(base.targetRegion),
      launchInstanceProfiles: [{ name: 'AppServerProfile', roleArn: 'arn:aws:iam::111122223333:role/AppServerRole' }],
    };
    // LegacyProfile exists in the account (the scenario says so), but the stack may not pass its role
    const scenario = scenarioWith({ network: { instanceProfiles: [{ name: 'LegacyProfile' }] } });
    const kept = keptEmulator();
    const session = await simulate({ manifests: [manifest], scenario, deployConfig, outDir: join(out, 'profiles'), emulator: kept.factory });

    const report = session.waves[0].report;
    expect(report.servers.map((s) => [s.name, s.result, s.failure?.phase])).toEqual([
      [first.name, 'migrated', undefined],
      [second.name, 'migrated', undefined],
      [third.name, 'failed', 'preflight'],
    ]);
    expect(report.servers[2].failure?.reason).toMatch(
      /^servers\[2\]\.launch\.instanceProfile: LegacyProfile is not an instance profile this stack may launch with .*add \{"name": "LegacyProfile", "roleArn": "<the ARN of its role>"\} to launchInstanceProfiles in the deploy config/,
    );
    const fleet = kept.emulator().fleet;
    const profilesOf = (name: string) => {
      const id = fleet.records.find((r) => r.spec.name === name)!.sourceServerId;
      return [...fleet.instances.values()].filter((i) => i.purpose !== 'source' && i.sourceServerId === id).map((i) => `${i.purpose}:${i.iamInstanceProfile?.name}`).sort();
    };
    expect(profilesOf(first.name)).toEqual([`cutover:${session.network.launchedInstanceProfileName}`, `test:${session.network.launchedInstanceProfileName}`]);
    expect(profilesOf(second.name)).toEqual(['cutover:AppServerProfile', 'test:AppServerProfile']);
    expect(profilesOf(third.name)).toEqual([]);
  });
});

describe('the deploy config of a session', () => {
  it('must deploy to the waves\' region; a scenario\'s network additions must fit it', async () => {
    const manifest = exampleWave(); // ap-south-1
    await expect(simulate({ manifests: [manifest], scenario: parseScenario({}), deployConfig: moveDeployConfig(defaultDeployConfig(), 'eu-west-1') })).rejects.toThrow(
      'the deploy config deploys to eu-west-1 but the waves target ap-south-1',
    );
    const scenario = parseScenario({ network: { subnets: [{ subnetId: 'subnet-0aaaaaaaaaaaaaaa1', cidr: '10.99.0.0/24', availabilityZone: 'ap-south-1a' }] } });
    const refused = await simulate({ manifests: [manifest], scenario, outDir: join(out, 'refused') }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(InvalidInputError);
    expect((refused as InvalidInputError).problems).toEqual([expect.stringMatching(/^network\.subnets\[0\]\.cidr: 10\.99\.0\.0\/24 is not inside VPC/)]);
    expect(existsSync(join(out, 'refused'))).toBe(false);
  });
});

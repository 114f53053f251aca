import { cidrContains, ipv4ToNumber, isReservedInSubnet, parseCidr } from '../../functions/lib/ipv4';
import { defaultSubnetFor, launchPlanOf, resolveLaunch, settingName, takesSourceInstanceType } from '../../functions/lib/launch-settings';
import type { LaunchSpec, WaveManifest } from '../../functions/lib/manifest';
import type { FlowConfig } from '../../functions/lib/ports';
import { bootModeConflict, launchConfigurationUpdate } from '../../functions/lib/flow/launch-configuration';
import { waveOf } from '../asl/fake-world';

/** The stack's launch defaults (as TEST_SUBNET_IDS, CUTOVER_SUBNET_IDS, ... give them). */
const config: FlowConfig = {
  waveBucket: 'wave-bucket',
  precheckDocument: 'MgnOrchestrator-Precheck',
  linuxInstallDocument: 'MgnOrchestrator-InstallLinux',
  windowsInstallDocument: 'MgnOrchestrator-InstallWindows',
  preflightEndpoints: [],
  testSubnetIds: ['subnet-0a0000000000000a1', 'subnet-0a0000000000000a2'],
  cutoverSubnetIds: ['subnet-0c0000000000000c1', 'subnet-0c0000000000000c2'],
  targetSecurityGroupId: 'sg-0a1b2c3d4e5f60001',
  launchedInstanceProfileName: 'MgnOrchestratorLaunchedInstance',
};
const noStack: FlowConfig = { ...config, testSubnetIds: [], cutoverSubnetIds: [], targetSecurityGroupId: undefined, launchedInstanceProfileName: undefined };

/** A 3-server wave with the given wave-level launch and per-server launches. */
function wave(launch: LaunchSpec | undefined, servers: (LaunchSpec | undefined)[] = []): WaveManifest {
  const m = waveOf(3);
  return {
    ...m,
    ...(launch ? { launch } : {}),
    servers: m.servers.map((s, i) => (servers[i] ? { ...s, launch: servers[i] } : s)),
  };
}

describe('launch settings: wave defaults, server overrides, stack defaults', () => {
  it('merges the server over the wave field by field, the test and cutover sub-objects too, and names where each came from', () => {
    const m = wave(
      { test: { subnetId: 'subnet-0a0000000000000a1', securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'] }, cutover: { subnetId: 'subnet-0c0000000000000c1' }, tags: { Project: 'atlas', Tier: 'web' } },
      [undefined, { test: { securityGroupIds: ['sg-0bbbbbbbbbbbbbbb1', 'sg-0bbbbbbbbbbbbbbb2'] }, tags: { Tier: 'db' } }],
    );
    const server1 = resolveLaunch(m, 1, 'test', config);
    expect(server1.subnetId).toEqual({ value: 'subnet-0a0000000000000a1', origin: { level: 'wave' } });
    expect(server1.securityGroupIds).toEqual({ value: ['sg-0bbbbbbbbbbbbbbb1', 'sg-0bbbbbbbbbbbbbbb2'], origin: { level: 'server', index: 1 } });
    expect(server1.tags).toEqual({ Project: 'atlas', Tier: 'db' });
    const cutover1 = resolveLaunch(m, 1, 'cutover', config);
    // the wave named no cutover groups: the stack's target group
    expect(cutover1.securityGroupIds).toEqual({ value: ['sg-0a1b2c3d4e5f60001'], origin: { level: 'stack', env: 'TARGET_SECURITY_GROUP_ID' } });
    expect(cutover1.instanceProfile).toEqual({ value: 'MgnOrchestratorLaunchedInstance', origin: { level: 'stack', env: 'LAUNCHED_INSTANCE_PROFILE_NAME' } });

    expect(settingName({ level: 'server', index: 4 }, 'cutover.subnetId')).toBe('servers[4].launch.cutover.subnetId');
    expect(settingName({ level: 'wave' }, 'cutover.subnetId')).toBe('launch.cutover.subnetId');
    expect(settingName({ level: 'stack', env: 'CUTOVER_SUBNET_IDS' }, 'cutover.subnetId')).toBe(
      "launch.cutover.subnetId (unset: the stack's default from CUTOVER_SUBNET_IDS)",
    );
  });

  it("spreads servers over the tier's subnets by name, the same on every run, whatever their order in the manifest", () => {
    const names = Array.from({ length: 200 }, (_, i) => `app-${i}`);
    const subnets = config.testSubnetIds;
    const picks = names.map((n) => defaultSubnetFor(n, subnets));
    const perSubnet = subnets.map((id) => picks.filter((p) => p === id).length);
    expect(perSubnet.every((n) => n > 70)).toBe(true);
    expect(names.map((n) => defaultSubnetFor(n, subnets))).toEqual(picks);
    expect([...names].reverse().map((n) => defaultSubnetFor(n, subnets))).toEqual([...picks].reverse());
    expect(defaultSubnetFor('app-1', [])).toBeUndefined();

    const m = waveOf(3);
    const chosen = resolveLaunch(m, 2, 'cutover', config).subnetId;
    expect(chosen).toEqual({ value: defaultSubnetFor('srv-002', config.cutoverSubnetIds), origin: { level: 'stack', env: 'CUTOVER_SUBNET_IDS' } });
  });

  it('gives a fixed cutover IP with no subnet named the stack subnet that holds it', () => {
    const m = wave(undefined, [{ cutover: { privateIpAddress: '10.20.12.40' } }]);
    const holding = (ip: string, ids: readonly string[]) => ids.find((id) => id.endsWith(ip.startsWith('10.20.12.') ? 'c2' : 'c1'));
    expect(resolveLaunch(m, 0, 'cutover', config, { stackSubnetHolding: holding }).subnetId?.value).toBe('subnet-0c0000000000000c2');
    expect(resolveLaunch(m, 0, 'cutover', config).privateIpAddress).toEqual({ value: '10.20.12.40', origin: { level: 'server', index: 0 } });
    // a test launch never takes the cutover IP
    expect(resolveLaunch(m, 0, 'test', config).privateIpAddress).toBeUndefined();
  });

  it('right-sizing: basic by default; an instanceType means none; the more specific level wins when they disagree', () => {
    const m = wave({ rightSizing: 'basic', instanceType: undefined }, [{ instanceType: 'm6i.xlarge' }, { rightSizing: 'none' }]);
    expect(launchPlanOf(resolveLaunch(m, 0, 'test', config)).plan).toMatchObject({ rightSizing: 'NONE', instanceType: 'm6i.xlarge' });
    expect(launchPlanOf(resolveLaunch(m, 1, 'test', config)).plan).toMatchObject({ rightSizing: 'NONE' });
    expect(launchPlanOf(resolveLaunch(m, 1, 'test', config)).plan?.instanceType).toBeUndefined();
    expect(launchPlanOf(resolveLaunch(m, 2, 'test', config)).plan).toMatchObject({ rightSizing: 'BASIC' });
    expect(launchPlanOf(resolveLaunch(waveOf(1), 0, 'test', config)).plan?.rightSizing).toBe('BASIC');

    const typedWave = wave({ instanceType: 'r6i.large' }, [{ rightSizing: 'basic' }]);
    // the server asks MGN to right-size: the wave's type does not apply to it
    expect(launchPlanOf(resolveLaunch(typedWave, 0, 'test', config)).plan).toMatchObject({ rightSizing: 'BASIC' });
    expect(launchPlanOf(resolveLaunch(typedWave, 0, 'test', config)).plan?.instanceType).toBeUndefined();
    expect(launchPlanOf(resolveLaunch(typedWave, 1, 'test', config)).plan).toMatchObject({ rightSizing: 'NONE', instanceType: 'r6i.large' });
  });

  it('copyPrivateIp applies to cutover only, and a server\'s own IP turns the wave\'s copyPrivateIp off', () => {
    const m = wave({ copyPrivateIp: true }, [{ cutover: { privateIpAddress: '10.20.11.50' } }]);
    expect(resolveLaunch(m, 0, 'cutover', config).copyPrivateIp).toBe(false);
    expect(resolveLaunch(m, 1, 'cutover', config).copyPrivateIp).toBe(true);
    expect(resolveLaunch(m, 1, 'test', config).copyPrivateIp).toBe(false);
  });

  it('carries boot mode, BYOL and tags into the plan, and marks on-premises sources for the post-launch SSM agent', () => {
    const m = waveOf(1);
    const onprem: WaveManifest = {
      ...m,
      launch: { bootMode: 'uefi', byol: true, tags: { CostCentre: '42' } },
      servers: [{ ...m.servers[0], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'db1.corp.example' } }],
    };
    expect(launchPlanOf(resolveLaunch(onprem, 0, 'test', config)).plan).toEqual({
      subnetId: defaultSubnetFor('srv-000', config.testSubnetIds),
      securityGroupIds: ['sg-0a1b2c3d4e5f60001'],
      rightSizing: 'BASIC',
      instanceProfile: 'MgnOrchestratorLaunchedInstance',
      bootMode: 'UEFI',
      byol: true,
      copyPrivateIp: false,
      tags: { CostCentre: '42' },
      installSsmAgent: true,
    });
    expect(launchPlanOf(resolveLaunch(m, 0, 'test', config)).plan?.installSsmAgent).toBe(false);
  });

  it('refuses, naming the field and the fix, a launch with no subnet, no security group, or right-sizing MGN does not accept', () => {
    const none = launchPlanOf(resolveLaunch(waveOf(1), 0, 'test', noStack));
    expect(none.plan).toBeUndefined();
    expect(none.problems).toEqual([
      expect.stringMatching(/^launch\.test\.subnetId: no subnet for the test instance: the manifest names none and the stack gives no TEST_SUBNET_IDS .*set launch\.test\.subnetId for the wave or servers\[0\]/),
      expect.stringMatching(/^launch\.test\.securityGroupIds: no security group .* TARGET_SECURITY_GROUP_ID/),
    ]);
    // no instance profile is allowed: the instance launches, SSM cannot be had (verification says so)
    const named = launchPlanOf(resolveLaunch(wave({ test: { subnetId: 'subnet-0a0000000000000a1', securityGroupIds: ['sg-0aaaaaaaaaaaaaaa1'] } }), 0, 'test', noStack));
    expect(named.problems).toEqual([]);
    expect(named.plan?.instanceProfile).toBeUndefined();

  });

  describe('rightSizing "in-aws": the source instance\'s type, with right-sizing NONE', () => {
    it('takes the type preflight read for the EC2 source and writes it with NONE (MGN has no "in-aws" method)', () => {
      const resolved = resolveLaunch(wave(undefined, [{ rightSizing: 'in-aws' }]), 0, 'cutover', config);
      expect(takesSourceInstanceType(resolved)).toBe(true);
      expect(resolved.sourceInstance).toEqual({ instanceId: (waveOf(3).servers[0].source as { instanceId: string }).instanceId, region: 'ap-southeast-1' });
      const { plan, problems } = launchPlanOf(resolved, 'r5.xlarge');
      expect(problems).toEqual([]);
      expect(plan).toMatchObject({ instanceType: 'r5.xlarge', instanceTypeFrom: 'source', rightSizing: 'NONE' });
      // the wave's "in-aws" reaches servers[1] too; servers[2]'s own "basic" overrides it
      const m = wave({ rightSizing: 'in-aws' }, [undefined, undefined, { rightSizing: 'basic' }]);
      expect(launchPlanOf(resolveLaunch(m, 1, 'test', config), 'c5.2xlarge').plan).toMatchObject({ instanceType: 'c5.2xlarge', rightSizing: 'NONE' });
      const basic = resolveLaunch(m, 2, 'test', config);
      expect(takesSourceInstanceType(basic)).toBe(false);
      expect(launchPlanOf(basic, 'c5.2xlarge').plan).toMatchObject({ rightSizing: 'BASIC' });
      expect(launchPlanOf(basic, 'c5.2xlarge').plan?.instanceType).toBeUndefined();
      // a server's own instance type wins over the wave's "in-aws": no source type is needed
      const typed = resolveLaunch(wave({ rightSizing: 'in-aws' }, [{ instanceType: 'm6i.large' }]), 0, 'test', config);
      expect(takesSourceInstanceType(typed)).toBe(false);
      expect(launchPlanOf(typed).plan).toMatchObject({ instanceType: 'm6i.large', rightSizing: 'NONE' });
      expect(launchPlanOf(typed).plan?.instanceTypeFrom).toBeUndefined();
    });

    it('with no type for the source (EC2 does not know the instance) there is no plan, and the reason names the field, the instance and the fix', () => {
      const { plan, problems } = launchPlanOf(resolveLaunch(wave({ rightSizing: 'in-aws' }), 1, 'test', config));
      expect(plan).toBeUndefined();
      const id = (waveOf(3).servers[1].source as { instanceId: string }).instanceId;
      expect(problems).toEqual([
        `launch.rightSizing: "in-aws" takes the instance type of source instance ${id}, but EC2 does not know it in ap-southeast-1 (InvalidInstanceID.NotFound); check servers[1].source.instanceId, or use "basic" or "none" with instanceType`,
      ]);
    });

    it('an on-premises source has no EC2 instance: refused naming the server (validate refuses it first)', () => {
      const m = wave(undefined, [{ rightSizing: 'in-aws' }]);
      const onprem: WaveManifest = { ...m, servers: [{ ...m.servers[0], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0' } }, ...m.servers.slice(1)] };
      expect(launchPlanOf(resolveLaunch(onprem, 0, 'test', config), 'm5.large').problems).toEqual([
        'servers[0].launch.rightSizing: "in-aws" takes the instance type of a source running in EC2; servers[0] is on-premises: use "basic" or "none" with instanceType',
      ]);
    });
  });
});

describe('IPv4 in subnets', () => {
  it('tells addresses inside a CIDR block and the five AWS reserves', () => {
    const cidr = parseCidr('10.20.11.0/24')!;
    expect(cidr).toEqual({ network: ipv4ToNumber('10.20.11.0'), prefix: 24, size: 256 });
    expect(cidrContains(cidr, ipv4ToNumber('10.20.11.255')!)).toBe(true);
    expect(cidrContains(cidr, ipv4ToNumber('10.20.12.0')!)).toBe(false);
    expect(['10.20.11.0', '10.20.11.1', '10.20.11.2', '10.20.11.3', '10.20.11.255'].map((a) => isReservedInSubnet(cidr, ipv4ToNumber(a)!))).toEqual([true, true, true, true, true]);
    expect(isReservedInSubnet(cidr, ipv4ToNumber('10.20.11.4')!)).toBe(false);
    expect([parseCidr('10.0.0.0/33'), parseCidr('10.0.0/8'), ipv4ToNumber('10.0.0.256'), ipv4ToNumber('010.0.0.1')]).toEqual([undefined, undefined, undefined, undefined]);
    // a block written with host bits set still means its network
    expect(parseCidr('10.20.11.7/24')?.network).toBe(ipv4ToNumber('10.20.11.0'));
  });
});

describe('bootMode "use-source" (USE_SOURCE): MGN\'s initial value, never written', () => {
  const plan = launchPlanOf(resolveLaunch(wave({ bootMode: 'use-source' }), 0, 'test', config)).plan!;
  const current = { sourceServerId: 's-0123456789abcdef0', launchDisposition: 'STOPPED', rightSizing: 'BASIC', copyTags: false, bootMode: 'USE_SOURCE' };

  it('is held when MGN already has USE_SOURCE: an update for other fields leaves bootMode out (UpdateLaunchConfiguration takes LEGACY_BIOS or UEFI)', () => {
    expect(plan.bootMode).toBe('USE_SOURCE');
    const update = launchConfigurationUpdate(plan, 'test', current)!;
    expect(update).toMatchObject({ launchDisposition: 'STARTED', copyTags: true });
    expect(update).not.toHaveProperty('bootMode');
    expect(bootModeConflict(plan, current)).toBeUndefined();
    // "uefi" is written, once
    const uefi = launchPlanOf(resolveLaunch(wave({ bootMode: 'uefi' }), 0, 'test', config)).plan!;
    expect(launchConfigurationUpdate(uefi, 'test', current)).toMatchObject({ bootMode: 'UEFI' });
  });

  it('a server set to LEGACY_BIOS or UEFI cannot go back: refused naming the field and the fix', () => {
    expect(bootModeConflict(plan, { ...current, bootMode: 'UEFI' })).toBe(
      'launch.bootMode "use-source": MGN\'s launch configuration of s-0123456789abcdef0 has bootMode UEFI, and UpdateLaunchConfiguration takes only LEGACY_BIOS or UEFI (MGN API reference); set launch.bootMode to "legacy-bios" or "uefi" for this server',
    );
  });
});

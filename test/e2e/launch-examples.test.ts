/**
 * The two launch examples as a new user runs them, held to what their manifests say:
 *
 * - examples/waves/wave-launch-overrides.json with examples/scenarios/launch-overrides.json: every
 *   server migrates, each test instance in a test subnet and each cutover instance in a cutover
 *   subnet, with the fixed cutover IPs, instance types, security groups and tags the manifest gives
 *   (wave defaults merged with the server's overrides), as report.json and the emulated EC2 fleet
 *   show them; an interrupted and resumed run writes no launch template twice.
 * - examples/waves/wave-preflight-network.json with examples/scenarios/preflight-network.json: exactly
 *   the three servers naming a missing subnet, a subnet of another VPC and a subnet routed to an
 *   internet gateway fail in preflight, each reason naming the field and the resource; the rest migrate.
 *
 * The expectations are computed from the example files, so an example that drifts from what it says
 * fails here; a few guards make sure the examples keep exercising what they are for.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mergeLaunch, parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import type { Emulator } from '../../simulator/emulator';
import { RECOMMENDED_INSTANCE_TYPE, type Ec2Instance } from '../../simulator/emulator/fleet';
import { cidrContainsIp, type RegionNetwork } from '../../simulator/network';
import {
  simulate,
  startRealEmulator,
  type EmulatorFactory,
  type SimulationSession,
} from '../../simulator/runner/session';
import { parseScenario, type Scenario } from '../../simulator/scenario';
import { readTrace, ROOT, type TraceRecord } from './harness';

const WAVES = join(ROOT, 'examples', 'waves');
const SCENARIOS = join(ROOT, 'examples', 'scenarios');
const OVERRIDES_WAVE = join(WAVES, 'wave-launch-overrides.json');
const OVERRIDES_SCENARIO = join(SCENARIOS, 'launch-overrides.json');
const PREFLIGHT_WAVE = join(WAVES, 'wave-preflight-network.json');
const PREFLIGHT_SCENARIO = join(SCENARIOS, 'preflight-network.json');

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as unknown;
const manifestOf = (path: string): WaveManifest => parseManifest(readJson(path));
const scenarioOf = (path: string, extra: Record<string, unknown> = {}): Scenario =>
  parseScenario({ ...(readJson(path) as object), ...extra });

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mgn-e2e-launch-examples-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface ExampleRun {
  readonly session: SimulationSession;
  readonly emulator: Emulator;
  readonly net: RegionNetwork;
  readonly outDir: string;
  readonly trace: readonly (TraceRecord & { caller?: { step?: string; execution?: string } })[];
  readonly reportJson: { servers: ReportJsonServer[]; outcome: string };
}

interface ReportJsonInstance {
  instanceId: string;
  subnetId: string | null;
  privateIpAddress: string | null;
  instanceType: string | null;
  securityGroupIds: string[];
}

interface ReportJsonServer {
  name: string;
  result: string;
  failure?: { phase: string; reason: string };
  instances?: Partial<Record<'test' | 'cutover', ReportJsonInstance>>;
}

async function runExample(name: string, manifest: WaveManifest, scenario: Scenario): Promise<ExampleRun> {
  let emulator: Emulator | undefined;
  const factory: EmulatorFactory = async (options) => {
    const started = await startRealEmulator(options);
    emulator = started as unknown as Emulator;
    return started;
  };
  const outDir = join(dir, name);
  const session = await simulate({ manifests: [manifest], scenario, outDir, emulator: factory });
  return {
    session,
    emulator: emulator!,
    net: emulator!.fleet.network(manifest.targetRegion),
    outDir,
    trace: readTrace(join(outDir, 'trace.jsonl')),
    reportJson: readJson(join(outDir, manifest.waveId, 'report.json')) as ExampleRun['reportJson'],
  };
}

function mgnctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'mgnctl.cjs'), ...args], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** The server's source server id and its EC2 launch template (MGN created one per source server). */
function templateOwners(run: ExampleRun): Map<string, string> {
  const owners = new Map<string, string>();
  for (const s of run.emulator.fleet.sourceServers.values())
    owners.set(s.launchTemplateId, s.record.spec.name);
  return owners;
}

/** Launch-template writes (CreateLaunchTemplateVersion, ModifyLaunchTemplate) per "<server> <step>". */
function templateWrites(run: ExampleRun): Map<string, number> {
  const owners = templateOwners(run);
  const writes = new Map<string, number>();
  for (const r of run.trace) {
    if (
      r.service !== 'ec2' ||
      r.outcome !== 'ok' ||
      !['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'].includes(r.operation)
    )
      continue;
    const server =
      owners.get(String(r.params.LaunchTemplateId)) ??
      `unknown template ${String(r.params.LaunchTemplateId)}`;
    const key = `${server} ${r.caller?.step ?? 'unknown step'}`;
    writes.set(key, (writes.get(key) ?? 0) + 1);
  }
  return writes;
}

const sorted = (ids: readonly string[]) => [...ids].sort();

describe('examples/waves/wave-launch-overrides.json', () => {
  const manifest = manifestOf(OVERRIDES_WAVE);
  let run: ExampleRun;
  beforeAll(async () => {
    run = await runExample('overrides', manifest, scenarioOf(OVERRIDES_SCENARIO));
  });

  it('exercises what it is the example of: wave defaults, fixed cutover IPs, larger types, a second group, tags, Linux and Windows, EC2 and on-premises', () => {
    const merged = manifest.servers.map((s) => mergeLaunch(manifest.launch, s.launch));
    expect(manifest.launch).toBeDefined();
    expect(manifest.servers.length).toBeGreaterThanOrEqual(6);
    expect(manifest.servers.length).toBeLessThanOrEqual(8);
    expect(new Set(manifest.servers.map((s) => `${s.os} ${s.source.type}`))).toEqual(
      new Set(['linux ec2', 'linux onprem', 'windows ec2', 'windows onprem']),
    );
    expect(merged.filter((l) => l.cutover?.privateIpAddress).length).toBeGreaterThanOrEqual(3);
    expect(merged.filter((l) => l.instanceType).length).toBeGreaterThanOrEqual(2);
    expect(
      merged.filter(
        (l) => (l.test?.securityGroupIds?.length ?? 0) > 1 || (l.cutover?.securityGroupIds?.length ?? 0) > 1,
      ).length,
    ).toBeGreaterThanOrEqual(2);
    expect(merged.every((l) => Object.keys(l.tags ?? {}).length > 0)).toBe(true);
    // some servers take only the wave's defaults and the stack's: both paths are exercised
    expect(manifest.servers.some((s) => !s.launch)).toBe(true);
  });

  it('migrates every server, each launched exactly as the manifest says (report.json and the emulated EC2 fleet agree)', () => {
    const { session, net, reportJson } = run;
    expect(session.waves[0].exitCode).toBe(0);
    expect(reportJson.outcome).toBe('completed');
    expect(reportJson.servers.map((s) => [s.name, s.result, s.failure])).toEqual(
      manifest.servers.map((s) => [s.name, 'migrated', undefined]),
    );

    const stack = session.network;
    const subnetOf = (id: string) => net.subnets.find((s) => s.subnetId === id)!;
    const launched = [...run.emulator.fleet.instances.values()].filter((i) => i.purpose !== 'source');
    const fixedIps: string[] = [];
    manifest.servers.forEach((spec, index) => {
      const launch = mergeLaunch(manifest.launch, spec.launch);
      const reported = reportJson.servers[index].instances;
      for (const kind of ['test', 'cutover'] as const) {
        const mine = launched.filter((i) => i.record?.spec.name === spec.name && i.purpose === kind);
        expect({ server: spec.name, kind, instances: mine.length }).toEqual({
          server: spec.name,
          kind,
          instances: 1,
        });
        const instance: Ec2Instance = mine[0];
        const network = launch[kind];
        const want = {
          tier: kind,
          subnetId: network?.subnetId ?? instance.subnetId,
          privateIp:
            (kind === 'cutover' ? launch.cutover?.privateIpAddress : undefined) ?? instance.privateIp,
          instanceType: launch.instanceType ?? RECOMMENDED_INSTANCE_TYPE,
          securityGroupIds: sorted(network?.securityGroupIds ?? [stack.securityGroupIds.target]),
          profile: launch.instanceProfile ?? stack.launchedInstanceProfileName,
        };
        const subnet = subnetOf(instance.subnetId);
        expect({ server: spec.name, kind, ...want }).toEqual({
          server: spec.name,
          kind,
          tier: subnet.tier,
          subnetId: instance.subnetId,
          privateIp: instance.privateIp,
          instanceType: instance.instanceType,
          securityGroupIds: sorted(instance.securityGroupIds),
          profile: instance.iamInstanceProfile?.name,
        });
        expect(stack.subnetIds[kind]).toContain(instance.subnetId);
        expect(cidrContainsIp(subnet.cidrBlock, instance.privateIp)).toBe(true);
        if (kind === 'cutover' && launch.cutover?.privateIpAddress) fixedIps.push(instance.privateIp);
        // the launch tags (wave's, then the server's) and the server's own tags (MGN copies them)
        expect({ server: spec.name, kind, tags: instance.tags }).toEqual({
          server: spec.name,
          kind,
          tags: expect.objectContaining({ ...(launch.tags ?? {}), ...(spec.tags ?? {}) }),
        });
        expect({ server: spec.name, kind, reported: reported?.[kind] }).toEqual({
          server: spec.name,
          kind,
          reported: {
            instanceId: instance.instanceId,
            subnetId: instance.subnetId,
            privateIpAddress: instance.privateIp,
            instanceType: instance.instanceType,
            securityGroupIds: expect.arrayContaining([...instance.securityGroupIds]),
          },
        });
      }
    });
    expect(fixedIps.length).toBeGreaterThanOrEqual(3);
  });

  it('writes each launch template at most once per launch kind (one new version, made the default)', () => {
    const writes = templateWrites(run);
    const expected = new Map(
      manifest.servers.flatMap((s) =>
        ['launch-test', 'launch-cutover'].map((step) => [`${s.name} ${step}`, 2] as const),
      ),
    );
    expect(Object.fromEntries(writes)).toEqual(Object.fromEntries(expected));
  });

  it('interrupted after the test and the cutover launches, resumes and writes no launch template twice', async () => {
    const resumed = await runExample(
      'overrides-resumed',
      manifest,
      scenarioOf(OVERRIDES_SCENARIO, {
        interruptions: [{ afterPhase: 'test-launch' }, { afterPhase: 'cutover-launch' }],
      }),
    );
    const report = resumed.session.waves[0].report;
    expect(report.executions.map((e) => [e.status, e.interruptedAfterPhase])).toEqual([
      ['ABORTED', 'test-launch'],
      ['ABORTED', 'cutover-launch'],
      ['SUCCEEDED', undefined],
    ]);
    expect(resumed.reportJson.servers.map((s) => [s.name, s.result])).toEqual(
      manifest.servers.map((s) => [s.name, 'migrated']),
    );
    // Each launch kind's templates are written by one execution only: the one that launched that kind.
    // The execution resumed after the test launch finds every test instance up and writes no test
    // settings; the one resumed after the cutover launch writes nothing at all.
    const writers = new Map<string, Set<string>>();
    for (const r of resumed.trace)
      if (
        r.service === 'ec2' &&
        r.outcome === 'ok' &&
        ['CreateLaunchTemplateVersion', 'ModifyLaunchTemplate'].includes(r.operation)
      ) {
        const step = r.caller?.step ?? 'unknown step';
        writers.set(step, new Set([...(writers.get(step) ?? []), String(r.caller?.execution)]));
      }
    const executionNames = report.executions.map((e) => e.name);
    expect(Object.fromEntries([...writers].map(([step, names]) => [step, [...names]]))).toEqual({
      'launch-test': [executionNames[0]],
      'launch-cutover': [executionNames[1]],
    });
    const writes = templateWrites(resumed);
    for (const [key, n] of writes) expect({ key, n: Math.min(n, 2) }).toEqual({ key, n });
    expect(Object.fromEntries(writes)).toEqual(Object.fromEntries(templateWrites(run)));
  });
});

describe('examples/waves/wave-preflight-network.json', () => {
  const manifest = manifestOf(PREFLIGHT_WAVE);
  const scenario = scenarioOf(PREFLIGHT_SCENARIO);

  it('fails exactly the three servers with a bad test subnet in preflight, each reason naming the field and the resource; the rest migrate', async () => {
    const run = await runExample('preflight', manifest, scenario);
    const stackVpc = run.session.network.vpcId;
    const otherVpc = scenario.network!.vpcs![0].vpcId;
    const [otherVpcSubnet, publicSubnet] = scenario.network!.subnets!;
    expect(otherVpcSubnet.vpcId).toBe(otherVpc);
    const igw = publicSubnet.routes!.find((r) => r.target.startsWith('igw-'))!;
    const index = (subnetId: string) =>
      manifest.servers.findIndex((s) => s.launch?.test?.subnetId === subnetId);
    const missing = manifest.servers.find(
      (s) =>
        s.launch?.test?.subnetId && !run.net.subnets.some((x) => x.subnetId === s.launch!.test!.subnetId),
    )!;
    const field = (i: number) => `servers[${i}].launch.test.subnetId`;
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

    const expected: Record<string, RegExp> = {
      [missing.name]: new RegExp(
        `^${escape(field(index(missing.launch!.test!.subnetId!)))}: ${missing.launch!.test!.subnetId} does not exist in ap-south-1$`,
      ),
      [manifest.servers[index(otherVpcSubnet.subnetId)].name]: new RegExp(
        `^${escape(field(index(otherVpcSubnet.subnetId)))}: ${otherVpcSubnet.subnetId} is in ${otherVpc}, not in the orchestrator's VPC ${stackVpc}: `,
      ),
      [manifest.servers[index(publicSubnet.subnetId)].name]: new RegExp(
        `^${escape(field(index(publicSubnet.subnetId)))}: ${publicSubnet.subnetId} is not isolated: its route table rtb-[0-9a-f]{17} sends 0\\.0\\.0\\.0/0 to ${igw.target} \\(an internet gateway\\)`,
      ),
    };
    expect(Object.keys(expected)).toHaveLength(3);

    expect(run.session.waves[0].exitCode).toBe(3);
    expect(run.reportJson.outcome).toBe('completed-with-failures');
    for (const s of run.reportJson.servers) {
      const reason = expected[s.name];
      if (reason) {
        expect({ name: s.name, result: s.result, phase: s.failure?.phase }).toEqual({
          name: s.name,
          result: 'failed',
          phase: 'preflight',
        });
        expect({ name: s.name, reason: s.failure?.reason }).toEqual({
          name: s.name,
          reason: expect.stringMatching(reason),
        });
        expect(s.instances).toBeUndefined();
      } else
        expect({ name: s.name, result: s.result, failure: s.failure }).toEqual({
          name: s.name,
          result: 'migrated',
          failure: undefined,
        });
    }
    // set aside before anything was done for them: never launched
    const launchedFor = new Set(
      [...run.emulator.fleet.instances.values()]
        .filter((i) => i.purpose !== 'source')
        .map((i) => i.record?.spec.name),
    );
    for (const name of Object.keys(expected)) expect(launchedFor.has(name)).toBe(false);
    expect(launchedFor.size).toBe(manifest.servers.length - 3);
  });
});

describe('the launch examples through mgnctl (a child process)', () => {
  it('validate accepts both manifests', async () => {
    for (const wave of [OVERRIDES_WAVE, PREFLIGHT_WAVE]) {
      const { code, stderr } = await mgnctl(['validate', wave]);
      expect({ wave, code, stderr }).toEqual({ wave, code: 0, stderr: '' });
    }
  });

  it('simulate exits 0 for wave-launch-overrides and 3 for wave-preflight-network, naming the three preflight failures', async () => {
    const ok = await mgnctl([
      'simulate',
      OVERRIDES_WAVE,
      '--scenario',
      OVERRIDES_SCENARIO,
      '--out',
      join(dir, 'cli-overrides'),
    ]);
    expect({
      code: ok.code,
      summary: /wave-launch-overrides: completed, 7\/7 migrated/.test(ok.stdout),
    }).toEqual({ code: 0, summary: true });

    const partial = await mgnctl([
      'simulate',
      PREFLIGHT_WAVE,
      '--scenario',
      PREFLIGHT_SCENARIO,
      '--out',
      join(dir, 'cli-preflight'),
    ]);
    expect(partial.code).toBe(3);
    expect(partial.stdout).toMatch(/wave-preflight-network: completed-with-failures, 3\/6 migrated/);
    expect(
      partial.stdout.match(/failed \S+ in preflight: servers\[\d+\]\.launch\.test\.subnetId: subnet-/g),
    ).toHaveLength(3);
  });
});

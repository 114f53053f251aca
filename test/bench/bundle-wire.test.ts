/**
 * The EC2 adapter as the Lambda bundles carry it, on the wire. The build rewrites the SDK's schema
 * modules (esbuild.sdk-schemas.cjs) and tree-shakes the EC2 schemas no step uses, while jest runs the
 * adapter from source on the SDK's CommonJS build, which the rewrite never touches. So a Node process
 * builds functions/lib/adapters/ec2.ts exactly as esbuild.config.mjs builds a Lambda
 * (lambdaBuildOptions), loads that bundle and makes every call of the EC2 port against the emulator
 * (whose EC2 answers are held to the official model in test/simulator); what it reads must equal
 * what the adapter from source reads, and what it writes must read back as written.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EC2Client } from '@aws-sdk/client-ec2';
import { DescribeSourceServersCommand, GetLaunchConfigurationCommand } from '@aws-sdk/client-mgn';
import { SdkEc2Port } from '../../functions/lib/adapters/ec2';
import type { LaunchTemplateChange } from '../../functions/lib/ports';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../simulator/emulator';
import { clients, destroyClients, installAll, manifest, runUntil, SOURCE_REGION, TARGET } from '../simulator/emulator-fixtures';

const ROOT = join(__dirname, '..', '..');

/** One call of the port: its method, arguments and region. */
interface Call {
  readonly region: string;
  readonly method: keyof SdkEc2Port;
  readonly args: readonly unknown[];
}

/**
 * Builds the adapter as a Lambda bundle (once), imports it and makes the calls in order, one result (or
 * error name and message) each; runs in a child process so that the emulator here keeps answering.
 */
const RUNNER = `
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
const [root, dir, callsJson] = process.argv.slice(2);
const { build } = createRequire(join(root, 'package.json'))('esbuild');
const { lambdaBuildOptions } = await import(pathToFileURL(join(root, 'esbuild.config.mjs')).href);
const outfile = join(dir, 'index.mjs');
if (!existsSync(outfile)) await build({
  ...lambdaBuildOptions(outfile),
  stdin: { contents: "export { SdkEc2Port } from './functions/lib/adapters/ec2';", resolveDir: root, loader: 'ts', sourcefile: 'ec2-port.ts' },
});
const { SdkEc2Port } = await import(pathToFileURL(outfile).href);
const out = [];
for (const call of JSON.parse(callsJson)) {
  const port = SdkEc2Port.forRegion(call.region);
  try {
    out.push({ value: (await port[call.method](...call.args)) ?? null });
  } catch (error) {
    out.push({ error: error.name + ': ' + error.message });
  }
}
process.stdout.write(JSON.stringify(out));
`;

let em: Emulator;
let dir: string;
let templates: string[];
let sourceInstanceId: string;

async function throughBundle(
  calls: readonly Call[],
  credentials: Record<string, string> = { AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey },
  home = dir,
): Promise<Array<{ value?: unknown; error?: string }>> {
  const script = join(dir, 'run.mjs');
  writeFileSync(script, RUNNER);
  const { stdout } = await promisify(execFile)(process.execPath, [script, ROOT, dir, JSON.stringify(calls)], {
    cwd: ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: {
      PATH: process.env.PATH,
      HOME: home, // no shared or user AWS config: the credentials and endpoint below are all it has
      ...credentials,
      AWS_REGION: TARGET,
      AWS_ENDPOINT_URL_EC2: em.url,
    },
  });
  return JSON.parse(stdout);
}

async function fromSource(calls: readonly Call[]): Promise<Array<{ value?: unknown; error?: string }>> {
  const out: Array<{ value?: unknown; error?: string }> = [];
  for (const call of calls) {
    const client = new EC2Client({ endpoint: em.url, region: call.region, credentials: EMULATOR_CREDENTIALS, maxAttempts: 1 });
    const port = new SdkEc2Port(client) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    try {
      // through JSON, as the bundle's answers come
      out.push({ value: JSON.parse(JSON.stringify((await port[call.method](...call.args)) ?? null)) });
    } catch (error) {
      out.push({ error: `${(error as Error).name}: ${(error as Error).message}` });
    } finally {
      client.destroy();
    }
  }
  return out;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bundle-wire-'));
  const wave = manifest('wire', 2);
  em = await startEmulator({ manifests: [wave] });
  await installAll(em, wave);
  await runUntil(em, () => em.fleet.sourceServers.size === 2 && [...em.fleet.sourceServers.values()].every((s) => s.lifeCycle === 'READY_FOR_TEST'));
  const { mgn } = clients(em.url);
  const servers = (await mgn.send(new DescribeSourceServersCommand({}))).items!;
  templates = [];
  for (const s of servers) templates.push((await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: s.sourceServerID! }))).ec2LaunchTemplateID!);
  const source = wave.servers[0].source;
  if (source.type !== 'ec2') throw new Error('the fixture wave starts with an EC2 source');
  sourceInstanceId = source.instanceId;
}, 120_000);

afterAll(async () => {
  destroyClients();
  await em?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the EC2 adapter built as a Lambda bundle, against the emulator', () => {
  it('reads what the adapter from source reads, and writes launch template versions that read back as written', async () => {
    const stack = em.stack;
    const subnets = [...stack.subnetIds.test, ...stack.subnetIds.cutover, 'subnet-0ffffffffffffffff'];
    const groups = [...Object.values(stack.securityGroupIds), 'sg-0ffffffffffffffff'];
    const reads: Call[] = [
      { region: SOURCE_REGION, method: 'describeInstances', args: [[sourceInstanceId, 'i-0ffffffffffffffff']] },
      // an unknown id fails DescribeInstanceStatus as a whole: the adapter's one-by-one path
      { region: SOURCE_REGION, method: 'describeInstanceStatus', args: [[sourceInstanceId, 'i-0ffffffffffffffff']] },
      { region: TARGET, method: 'describeSubnets', args: [subnets] },
      { region: TARGET, method: 'describeSecurityGroups', args: [groups] },
      { region: TARGET, method: 'describeRouteTables', args: [{ subnetIds: subnets, mainOfVpcIds: [stack.vpcId] }] },
      ...templates.map((t): Call => ({ region: TARGET, method: 'describeDefaultLaunchTemplateVersion', args: [t] })),
      { region: TARGET, method: 'describeDefaultLaunchTemplateVersion', args: ['lt-0ffffffffffffffff'] },
    ];
    const bundled = await throughBundle(reads);
    const source = await fromSource(reads);
    expect(bundled).toEqual(source);
    // the reads found something to compare: the instance, its status, every subnet and group, route tables, templates
    const [instances, statuses, subnetViews, groupViews, routeTables, ...templateViews] = bundled.map((r) => r.value as unknown[]);
    expect(instances).toHaveLength(1);
    expect(statuses).toHaveLength(1);
    expect(subnetViews).toHaveLength(subnets.length - 1);
    expect(groupViews).toHaveLength(groups.length - 1);
    expect(routeTables.length).toBeGreaterThan(0);
    expect(templateViews.slice(0, templates.length).every((v) => v !== undefined)).toBe(true);
    expect(bundled.at(-1)?.error).toMatch(/InvalidLaunchTemplateId/);

    const [template] = templates;
    const { versionNumber } = bundled[5].value as { versionNumber: number };
    const change: LaunchTemplateChange = {
      networkInterface: { subnetId: stack.subnetIds.test[0], groups: [stack.securityGroupIds.target] },
      instanceType: 't3.medium',
      instanceProfileName: stack.launchedInstanceProfileName,
      tagSpecifications: [{ resourceType: 'instance', tags: { Wave: 'wire', Name: 'wire-srv0' } }],
      description: 'bundle wire test',
    };
    const [created] = await throughBundle([{ region: TARGET, method: 'createLaunchTemplateVersion', args: [template, versionNumber, change] }]);
    expect(created.value).toBe(versionNumber + 1);
    const [set] = await throughBundle([{ region: TARGET, method: 'setDefaultLaunchTemplateVersion', args: [template, created.value] }]);
    expect(set).toEqual({ value: null });
    const [written] = await fromSource([{ region: TARGET, method: 'describeDefaultLaunchTemplateVersion', args: [template] }]);
    expect(written.value).toMatchObject({
      launchTemplateId: template,
      versionNumber: versionNumber + 1,
      networkInterfaces: [{ deviceIndex: 0, subnetId: stack.subnetIds.test[0], groups: [stack.securityGroupIds.target], associatePublicIpAddress: false, deleteOnTermination: true }],
      instanceType: 't3.medium',
      instanceProfile: { name: stack.launchedInstanceProfileName },
      tagSpecifications: [{ resourceType: 'instance', tags: { Wave: 'wire', Name: 'wire-srv0' } }],
    });
    // the same request again is the same version (the idempotency token the bundle computed)
    const [again] = await throughBundle([{ region: TARGET, method: 'createLaunchTemplateVersion', args: [template, versionNumber, change] }]);
    expect(again.value).toBe(versionNumber + 1);
  }, 180_000);

  it("takes credentials from Lambda's environment variables only (functions/lib/lambda-credentials.ts)", async () => {
    const call: Call = { region: TARGET, method: 'describeSubnets', args: [em.stack.subnetIds.test] };
    // a shared credentials file with valid keys: the SDK's default chain would use it, a Lambda bundle must not
    const home = join(dir, 'home-with-profile');
    mkdirSync(join(home, '.aws'), { recursive: true });
    writeFileSync(
      join(home, '.aws', 'credentials'),
      `[default]\naws_access_key_id = ${EMULATOR_CREDENTIALS.accessKeyId}\naws_secret_access_key = ${EMULATOR_CREDENTIALS.secretAccessKey}\n`,
    );
    const [fromFile] = await throughBundle([call], {}, home);
    expect(fromFile.error).toMatch(/^CredentialsProviderError: .*environment variable/);
    // the same call with the keys in the environment, as Lambda gives them
    const [fromEnv] = await throughBundle([call], undefined, home);
    expect(fromEnv.value).toHaveLength(em.stack.subnetIds.test.length);
  }, 120_000);
});

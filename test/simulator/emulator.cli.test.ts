/**
 * `mgnctl emulator` as a separate process, driven by the AWS CLI v1 (botocore) with --endpoint-url:
 * a second, independent client implementation must get well-formed answers and errors.
 */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { EMULATOR_CREDENTIALS } from '../../simulator/emulator';
import { defaultDeployConfig, moveDeployConfig } from '../../simulator/network';
import { manifest, SOURCE_REGION, TARGET } from './emulator-fixtures';

/** The example deploy config moved to the fixtures' target region, as a file. */
function deployConfigFile(dir: string): string {
  const file = join(dir, 'deploy.json');
  writeFileSync(file, JSON.stringify(moveDeployConfig(defaultDeployConfig(), TARGET)));
  return file;
}

const run = promisify(execFile);
const root = join(__dirname, '..', '..');
const haveAws = spawnSync('aws', ['--version'], { encoding: 'utf8' }).status === 0;

/** Starts `mgnctl emulator` and resolves with its URL once it printed "listening on ...". */
function startCli(args: string[]): Promise<{ child: ChildProcess; url: string; output: () => string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'emulator', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => reject(new Error(`no "listening on" line in 30 s; stdout=${out} stderr=${err}`)), 30000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /^listening on (http:\/\/127\.0\.0\.1:[0-9]+)$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], output: () => out });
      }
    });
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`mgnctl emulator exited with ${code}: ${err}`));
    });
  });
}

function stop(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve(child.exitCode);
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });
}

describe('mgnctl emulator (command line)', () => {
  it('prints its usage for --help and refuses bad options with exit 2', async () => {
    const help = await run(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'emulator', '--help'], { cwd: root });
    expect(help.stdout).toContain('usage: mgnctl emulator [--port N] [--manifest FILE]... [--scenario FILE] [--deploy-config FILE] [--speed X]');
    const bad = spawnSync(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'emulator', '--speed', '0'], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--speed must be a number > 0');
  });

  it('refuses an invalid manifest with exit 2, naming the bad field', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    writeFileSync(join(dir, 'bad.json'), JSON.stringify({ waveId: 'w', targetRegion: 'nowhere', servers: [] }));
    const bad = spawnSync(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'emulator', '--manifest', join(dir, 'bad.json')], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('targetRegion');
  });

  it('refuses a bad deploy config with exit 2 naming every problem, and manifests of another region naming both regions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    const config = join(dir, 'deploy.json');
    writeFileSync(config, JSON.stringify({ region: 'eu-west-1', network: { mode: 'new', cidr: '10.0.0.0/99', availabilityZones: ['us-east-1a'] }, sourceCidrs: [], colour: 'blue' }));
    const bad = spawnSync(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'emulator', '--deploy-config', config], { cwd: root, encoding: 'utf8' });
    expect(bad.status).toBe(2);
    for (const field of ['network.cidr:', 'network.availabilityZones[0]:', 'sourceCidrs:', 'colour: unknown field']) expect(bad.stderr).toContain(field);
    const wave = join(dir, 'wave.json');
    writeFileSync(wave, JSON.stringify(manifest('elsewhere', 2)));
    const mismatch = spawnSync(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'emulator', '--manifest', wave], { cwd: root, encoding: 'utf8' });
    expect(mismatch.status).toBe(2);
    expect(mismatch.stderr).toContain(`deploys to ap-south-1 but manifests target ${TARGET}`);
  });

  it('prints the ids of the simulated stack network it serves', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    const wave = join(dir, 'wave.json');
    writeFileSync(wave, JSON.stringify(manifest('netwave', 2)));
    const { child, output } = await startCli(['--manifest', wave, '--deploy-config', deployConfigFile(dir)]);
    await new Promise((r) => setTimeout(r, 300));
    expect(await stop(child)).toBe(0);
    const out = output();
    expect(out).toMatch(new RegExp(`network \\(${TARGET}\\): VPC vpc-[0-9a-f]{17} 10\\.40\\.0\\.0/16, no default VPC`));
    expect(out).toMatch(/test subnets subnet-[0-9a-f]{17}, subnet-[0-9a-f]{17}; cutover subnets subnet-[0-9a-f]{17}, subnet-[0-9a-f]{17}/);
  });
});

const describeWithAws = haveAws ? describe : describe.skip;

describeWithAws(`mgnctl emulator with the AWS CLI${haveAws ? '' : ' (skipped: aws is not on PATH)'}`, () => {
  let child: ChildProcess;
  let url: string;
  // the emulator's credentials only: no profile, config or session token from the machine leaks in
  const { AWS_PROFILE: _p, AWS_DEFAULT_PROFILE: _d, AWS_SESSION_TOKEN: _t, ...base } = process.env;
  const env = { ...base, AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey, AWS_CONFIG_FILE: '/dev/null', AWS_SHARED_CREDENTIALS_FILE: '/dev/null', AWS_PAGER: '' };

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-cli-'));
    const file = join(dir, 'wave.json');
    writeFileSync(file, JSON.stringify(manifest('cliwave', 4)));
    ({ child, url } = await startCli(['--manifest', file, '--deploy-config', deployConfigFile(dir), '--speed', '60']));
  });

  afterAll(async () => {
    if (child) expect(await stop(child)).toBe(0);
  });

  const aws = async (region: string, ...args: string[]) => {
    try {
      const { stdout } = await run('aws', ['--endpoint-url', url, '--region', region, '--output', 'json', ...args], { env });
      return { ok: true as const, json: JSON.parse(stdout) as Record<string, unknown> };
    } catch (e) {
      const err = e as { code: number; stderr: string };
      return { ok: false as const, code: err.code, stderr: err.stderr };
    }
  };

  it('mgn describe-source-servers answers with an items list, and a 201-id filter is a ValidationException', async () => {
    const ok = await aws(TARGET, 'mgn', 'describe-source-servers');
    expect(ok).toEqual({ ok: true, json: { items: [] } });
    const ids = Array.from({ length: 201 }, (_, i) => `s-${i.toString(16).padStart(17, '0')}`);
    const bad = await aws(TARGET, 'mgn', 'describe-source-servers', '--filters', JSON.stringify({ sourceServerIDs: ids }));
    expect(bad.ok).toBe(false);
    // botocore validates the list length itself before sending; either way the error is well formed
    if (!bad.ok) expect(bad.stderr).toMatch(/An error occurred \(ValidationException\)|Invalid length for parameter filters\.sourceServerIDs/);
    const conflict = await aws(TARGET, 'mgn', 'start-test', '--source-server-ids', 's-00000000000000000');
    expect(conflict.ok).toBe(false);
    if (!conflict.ok) expect(conflict.stderr).toContain('An error occurred (ValidationException) when calling the StartTest operation: Source server s-00000000000000000 not found');
  });

  it('ssm describe-instance-information lists the on-prem sources in the target region; an unknown invocation is InvocationDoesNotExist', async () => {
    const ok = await aws(TARGET, 'ssm', 'describe-instance-information');
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      const list = ok.json.InstanceInformationList as { InstanceId: string; PingStatus: string; PlatformType: string }[];
      expect(list.map((i) => i.InstanceId).sort()).toEqual(['mi-00000000000000002', 'mi-00000000000000004']);
      expect(list.every((i) => i.PingStatus === 'Online')).toBe(true);
    }
    const missing = await aws(TARGET, 'ssm', 'get-command-invocation', '--command-id', '00000000-0000-4000-8000-000000000000', '--instance-id', 'mi-00000000000000002');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.stderr).toContain('An error occurred (InvocationDoesNotExist) when calling the GetCommandInvocation operation');
  });

  it('ec2 describe-instances lists the EC2 sources in their region; a malformed id is InvalidInstanceID.Malformed', async () => {
    const ok = await aws(SOURCE_REGION, 'ec2', 'describe-instances');
    expect(ok.ok).toBe(true);
    if (ok.ok) {
      const reservations = ok.json.Reservations as { Instances: { InstanceId: string; State: { Name: string } }[] }[];
      expect(reservations.map((r) => [r.Instances[0].InstanceId, r.Instances[0].State.Name]).sort()).toEqual([
        ['i-00000000000000001', 'running'],
        ['i-00000000000000003', 'running'],
      ]);
    }
    const bad = await aws(SOURCE_REGION, 'ec2', 'describe-instance-status', '--instance-ids', 'i-nothex');
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(bad.stderr).toContain('An error occurred (InvalidInstanceID.Malformed) when calling the DescribeInstanceStatus operation: Invalid id: "i-nothex"');
    const missing = await aws(SOURCE_REGION, 'ec2', 'describe-instances', '--instance-ids', 'i-0123456789abcdef0');
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.stderr).toContain('An error occurred (InvalidInstanceID.NotFound)');
  });

  it('the virtual clock runs at --speed: state shows time moving faster than real time', async () => {
    const a = (await (await fetch(`${url}/_emulator/state`)).json()) as { now: string };
    await new Promise((r) => setTimeout(r, 600));
    const b = (await (await fetch(`${url}/_emulator/state`)).json()) as { now: string };
    expect(Date.parse(b.now) - Date.parse(a.now)).toBeGreaterThanOrEqual(20_000);
  });
});

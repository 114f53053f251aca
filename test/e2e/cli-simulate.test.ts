/**
 * `node bin/mgnctl.cjs simulate` as a user runs it: exit codes 0 / 3 / 2, and the files it writes
 * (DIR/<waveId>/report.json with the report fields, DIR/<waveId>/report.html, DIR/trace.jsonl).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readTrace, ROOT } from './harness';

const WAVE = join(ROOT, 'examples', 'waves', 'wave-12-mixed.json');
const scenario = (name: string) => join(ROOT, 'examples', 'scenarios', `${name}.json`);

let dir: string;
beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'mgn-e2e-cli-'))));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function mgnctl(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'mgnctl.cjs'), ...args], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

describe('mgnctl simulate (the CLI, in a child process)', () => {
  it('exits 0 when every server migrated and writes report.json (the issue fields), report.html and trace.jsonl', async () => {
    const out = join(dir, 'ok');
    const { code, stdout, stderr } = await mgnctl(['simulate', WAVE, '--scenario', scenario('default'), '--out', out]);
    expect({ code, stderr: stderr.split('\n').filter((l) => /error/i.test(l)) }).toEqual({ code: 0, stderr: [] });
    expect(stdout).toMatch(/wave-12-mixed: completed, 12\/12 migrated/);
    // the simulated stack's network (examples/deploy/cross-region.json by default), also in report.json
    expect(stdout).toMatch(/^network \(ap-south-1\): VPC vpc-[0-9a-f]{17} 10\.40\.0\.0\/16, no default VPC$/m);
    expect(stdout).toMatch(/^ {2}test subnets (subnet-[0-9a-f]{17}), (subnet-[0-9a-f]{17}); cutover subnets subnet-[0-9a-f]{17}, subnet-[0-9a-f]{17}$/m);

    const report = readJson(join(out, 'wave-12-mixed', 'report.json'));
    expect(report).toMatchObject({ waveId: 'wave-12-mixed', outcome: 'completed' });
    const servers = report.servers as Array<Record<string, unknown>>;
    expect(servers).toHaveLength(12);
    for (const s of servers) {
      expect(s).toEqual(
        expect.objectContaining({
          name: expect.any(String),
          sourceServerId: expect.stringMatching(/^s-[0-9a-f]{17}$/),
          finalLifecycleState: 'CUTOVER',
          result: 'migrated',
          launches: { test: 1, cutover: 1 },
        }),
      );
      expect(s.failure).toBeUndefined();
    }
    const network = report.network as { vpcId: string; subnetIds: Record<string, string[]>; securityGroupIds: Record<string, string> };
    expect(stdout).toContain(`test subnets ${network.subnetIds.test.join(', ')}`);
    expect(network.vpcId).toMatch(/^vpc-[0-9a-f]{17}$/);
    expect(Object.keys(network.securityGroupIds).sort()).toEqual(['endpoints', 'orchestrator', 'probe', 'replication', 'target']);
    const stats = report.stats as Record<string, unknown>;
    for (const field of ['stateTransitions', 'historyEvents', 'launchJobs', 'maxServersInActiveJobs', 'simulatedSeconds', 'wallMs'])
      expect({ field, value: typeof stats[field] }).toEqual({ field, value: 'number' });
    expect(stats.stateTransitions).toBeGreaterThan(50);
    expect(stats.historyEvents).toBeGreaterThan(stats.stateTransitions as number);
    expect(stats.launchJobs).toBeGreaterThanOrEqual(2);
    expect(stats.maxServersInActiveJobs).toBe(12);
    expect(stats.simulatedSeconds).toBeGreaterThan(3600);
    const apiCalls = stats.apiCalls as Record<string, number>;
    expect(apiCalls['mgn:StartTest']).toBeGreaterThanOrEqual(1);
    expect(apiCalls['mgn:StartCutover']).toBeGreaterThanOrEqual(1);
    expect(apiCalls['ssm:SendCommand']).toBeGreaterThanOrEqual(1);
    expect(Object.keys(apiCalls).every((k) => /^(mgn|ssm|ec2|sts|s3|sns|servicequotas):[A-Z][A-Za-z]+$/.test(k))).toBe(true);

    const html = readFileSync(join(out, 'wave-12-mixed', 'report.html'), 'utf8');
    expect(html).toMatch(/^<!DOCTYPE html>/i);
    for (const s of servers) expect(html).toContain(String(s.name));
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href="http/i); // opens offline

    const trace = readTrace(join(out, 'trace.jsonl'));
    expect(trace.length).toBeGreaterThan(100);
    expect(trace.filter((r) => r.service === 'mgn' && r.operation === 'StartCutover' && r.outcome === 'ok')).not.toHaveLength(0);
    expect(trace.map((r) => r.seq)).toEqual([...trace.map((r) => r.seq)].sort((a, b) => a - b));
  });

  it('exits 3 when a server failed, the report naming its phase and reason', async () => {
    const out = join(dir, 'partial');
    const { code, stdout } = await mgnctl(['simulate', WAVE, '--scenario', scenario('fault-install-fails'), '--out', out]);
    expect(code).toBe(3);
    expect(stdout).toMatch(/failed cache-01 in install/);
    const report = readJson(join(out, 'wave-12-mixed', 'report.json'));
    expect(report.outcome).toBe('completed-with-failures');
    const failed = (report.servers as Array<Record<string, unknown>>).filter((s) => s.result !== 'migrated');
    expect(failed).toEqual([expect.objectContaining({ name: 'cache-01', result: 'failed', failure: { phase: 'install', reason: expect.stringMatching(/agent install Failed/) } })]);
    expect(existsSync(join(out, 'wave-12-mixed', 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'trace.jsonl'))).toBe(true);
  });

  it('exits 3 when the approval is rejected', async () => {
    const out = join(dir, 'rejected');
    const { code } = await mgnctl(['simulate', WAVE, '--scenario', scenario('reject'), '--out', out]);
    expect(code).toBe(3);
    expect(readJson(join(out, 'wave-12-mixed', 'report.json')).outcome).toBe('rejected');
  });

  it('exits 2 on a bad manifest, naming the problem, and writes nothing', async () => {
    const bad = join(dir, 'bad.json');
    const manifest = JSON.parse(readFileSync(WAVE, 'utf8')) as { servers: Array<Record<string, unknown>> };
    manifest.servers[0].os = 'solaris';
    writeFileSync(bad, JSON.stringify(manifest));
    const out = join(dir, 'bad-out');
    const { code, stderr } = await mgnctl(['simulate', bad, '--out', out]);
    expect(code).toBe(2);
    expect(stderr).toContain(`${bad}: servers[0].os: "solaris" is not an OS`);
    expect(existsSync(out)).toBe(false);
  });
});

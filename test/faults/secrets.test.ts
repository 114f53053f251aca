/**
 * Installer credentials never leak. With options.credentials "installer-role" the emulator's STS
 * hands out credentials carrying a canary; the canary must reach the SecureString parameter the
 * hosts read (positive control) and nowhere else: not the CLI's stdout/stderr, the reports, the
 * trace (SendCommand parameters included), the Lambdas' logs or the execution history.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { parseScenario } from '../../simulator/scenario';
import { simulate, startRealEmulator, type EmulatorFactory } from '../../simulator/runner/session';
import { faultWave } from './harness';
import { readTraceFile } from './trace-file';

const CANARY = 'CANARYc4n4ryXf00d5ecret';
const root = join(__dirname, '..', '..');

const installerRoleWave = (waveId: string): WaveManifest => {
  const base = faultWave(waveId, 4);
  return parseManifest({ ...base, options: { ...base.options, credentials: 'installer-role' } });
};
const scenario = { seed: 3, defaults: { diskGiB: 40, bandwidthMbps: 1000, installSeconds: 120 }, sts: { credentialCanary: CANARY } };

/** Every file under dir, as [relative path, text]. */
function filesUnder(dir: string, prefix = ''): Array<[string, string]> {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, `${prefix}${name}/`) : [[`${prefix}${name}`, readFileSync(path, 'utf8')] as [string, string]];
  });
}

let work: string;
beforeAll(() => {
  work = mkdtempSync(join(tmpdir(), 'mgn-secrets-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('installer credentials', () => {
  it('mgnctl simulate: not in stdout, stderr, reports, trace or Lambda logs', async () => {
    const manifestFile = join(work, 'wave.json');
    const scenarioFile = join(work, 'scenario.json');
    const out = join(work, 'cli-out');
    writeFileSync(manifestFile, JSON.stringify(installerRoleWave('secrets-cli')));
    writeFileSync(scenarioFile, JSON.stringify(scenario));
    const run = await promisify(execFile)(process.execPath, [join(root, 'bin', 'mgnctl.cjs'), 'simulate', manifestFile, '--scenario', scenarioFile, '--out', out], {
      cwd: root,
      maxBuffer: 64 * 1024 * 1024,
    });
    expect(run.stdout).toMatch(/secrets-cli: completed/);
    expect(run.stdout).not.toContain(CANARY);
    expect(run.stderr).not.toContain(CANARY);

    const files = filesUnder(out);
    expect(files.map(([name]) => name).sort()).toEqual(expect.arrayContaining(['lambda-logs.jsonl', 'secrets-cli/report.html', 'secrets-cli/report.json', 'trace.jsonl']));
    for (const [name, text] of files) expect({ name, leaked: text.includes(CANARY) }).toEqual({ name, leaked: false });

    const trace = readTraceFile(join(out, 'trace.jsonl'));
    // the installer role was used, and the hosts were told only where the credentials are
    expect(trace.filter((t) => t.operation === 'AssumeRole' && t.outcome === 'ok').length).toBeGreaterThan(0);
    const installs = trace.filter((t) => t.operation === 'SendCommand' && String(t.params.DocumentName).includes('Install'));
    expect(installs.length).toBeGreaterThan(0);
    for (const t of installs) {
      expect((t.params.Parameters as Record<string, string[]>).credentialsParameter).toEqual([expect.stringMatching(/^\/mgn-orchestrator\/installer-credentials\/secrets-cli\/[0-9a-f]{32}$/)]);
      expect(JSON.stringify(t.params)).not.toMatch(/SecretAccessKey|SessionToken|FwoGZXIvYXdzE/);
    }
    const logs = readFileSync(join(out, 'lambda-logs.jsonl'), 'utf8');
    expect(logs).toMatch(/installer credentials staged in SSM/);
  }, 60_000);

  it('simulate(): not in any state input or output of the execution history; only in the SecureString parameter', async () => {
    const stored: string[] = [];
    // the real emulator, watched where the credentials are meant to go: the SSM parameter store
    const emulator: EmulatorFactory = async (options) => {
      const like = await startRealEmulator(options);
      const parameters = (like as unknown as { fleet: { parameters: Map<string, { value?: string }> } }).fleet.parameters;
      const set = parameters.set.bind(parameters);
      parameters.set = (key, value) => {
        stored.push(JSON.stringify(value));
        return set(key, value);
      };
      return like;
    };
    const history: string[] = [];
    const session = await simulate({
      manifests: [installerRoleWave('secrets-history')],
      scenario: parseScenario(scenario),
      emulator,
      onHistoryEvent: (_execution, event) => history.push(JSON.stringify(event)),
    });
    expect(session.waves[0].report.outcome).toBe('completed');
    expect(stored.some((v) => v.includes(CANARY))).toBe(true);
    // the history really carries the states' data (a leak would show here)
    expect(history.some((e) => e.includes('"lastCompletedPhase":"install"'))).toBe(true);
    expect(history.filter((e) => e.includes(CANARY))).toEqual([]);
    expect(JSON.stringify(session.waves[0].report)).not.toContain(CANARY);
  }, 60_000);
});

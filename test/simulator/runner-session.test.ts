import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { parseScenario } from '../../simulator/scenario';
import { simulate } from '../../simulator/runner/session';
import { startFakeEmulator, type FakeEmulator } from '../fixtures/runner/fake-emulator';
import { sessionHandlers } from '../fixtures/runner/session-handlers';

const definitionPath = join(__dirname, '..', 'fixtures', 'runner', 'session.asl.json');

const manifest = (waveId: string, names: string[]): WaveManifest =>
  parseManifest({
    waveId,
    targetRegion: 'eu-west-1',
    endpoints: {
      mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com',
      s3: 'vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com',
    },
    servers: names.map((name, i) => ({
      name,
      os: 'linux',
      source: { type: 'ec2', instanceId: `i-0123456789abcdef${i}`, region: 'ap-southeast-1' },
    })),
  });

describe('simulate (session) with a fake emulator and toy steps', () => {
  let out: string;
  let fake: FakeEmulator | undefined;
  const factory = async () => (fake = await startFakeEmulator());

  beforeEach(() => {
    out = mkdtempSync(join(tmpdir(), 'sim-session-'));
    fake = undefined;
  });
  afterEach(() => rmSync(out, { recursive: true, force: true }));

  it('runs two waves concurrently, writes reports and the trace, and restores the process', async () => {
    const envBefore = process.env.AWS_ENDPOINT_URL_MGN;
    const session = await simulate({
      manifests: [manifest('wave-a', ['web-1', 'web-2']), manifest('wave-b', ['db-1'])],
      scenario: parseScenario({ approval: 'approve' }),
      outDir: out,
      definitionPath,
      handlers: sessionHandlers(() => fake!),
      emulator: factory,
    });
    expect(fake!.closed).toBe(true);
    expect(fake!.waves.map((w) => w.waveId)).toEqual(['wave-a', 'wave-b']);
    expect(process.env.AWS_ENDPOINT_URL_MGN).toBe(envBefore);
    // Date reads the real clock again once the session is over
    expect(Math.abs(Date.now() - performance.timeOrigin - performance.now())).toBeLessThan(5000);

    expect(session.waves.map((w) => [w.waveId, w.exitCode, w.report.outcome])).toEqual([
      ['wave-a', 0, 'completed'],
      ['wave-b', 0, 'completed'],
    ]);
    const a = JSON.parse(readFileSync(join(out, 'wave-a', 'report.json'), 'utf8'));
    expect(a.runId).toBe('wave-a-sim-1');
    // launches come from the trace (one StartTest each), not from the report step's own numbers
    expect(a.servers.map((s: { launches: unknown }) => s.launches)).toEqual([
      { test: 1, cutover: 0 },
      { test: 1, cutover: 0 },
    ]);
    expect(a.stats).toMatchObject({ launchJobs: 1, maxServersInActiveJobs: 2, executions: 1, simulatedSeconds: 2700, apiCallsScope: 'session' });
    // Validate, Poll x4, Choice x4, Wait x3, LaunchTest, Approval, Report
    expect(a.stats.stateTransitions).toBe(15);
    expect(a.stats.apiCalls['s3:PutObject']).toBe(2);
    expect(a.stats.apiCalls['mgn:StartTest']).toBe(2);
    // Dates inside handlers were virtual: the timeline spans the 45 simulated minutes of polling
    const web1 = a.servers[0].timeline as Array<{ phase: string; status: string; at: string }>;
    const repl = web1.filter((t) => t.phase === 'replication').map((t) => Date.parse(t.at));
    expect(repl[1] - repl[0]).toBe(2_700_000);
    expect(web1[0].at.startsWith('2026-01-05T08:00')).toBe(true);
    expect(existsSync(join(out, 'wave-a', 'report.html'))).toBe(true);
    const trace = readFileSync(join(out, 'trace.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(trace.filter((r) => r.operation === 'StartTest')).toHaveLength(2);
  });

  it('sets the handler environment from the emulator and a live 443 stand-in', async () => {
    let envSeen: Record<string, string> | undefined;
    const handlers = sessionHandlers(() => fake!);
    await simulate({
      manifests: [manifest('wave-a', ['web-1'])],
      scenario: parseScenario({}),
      definitionPath,
      handlers: {
        ...handlers,
        report: async (e, c) => {
          const out = (await handlers.report(e, c)) as { envSeen: Record<string, string> };
          envSeen = out.envSeen;
          return out;
        },
      },
      emulator: factory,
    });
    expect(envSeen).toMatchObject({
      precheckDocument: 'MgnOrchestrator-Precheck',
      mgn: fake!.url,
      region: 'eu-west-1',
      logLevel: 'INFO',
    });
    expect(envSeen!.preflight).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('reports a rejected wave with exit code 3 and a wave with a failed server with exit code 3', async () => {
    const rejected = await simulate({
      manifests: [manifest('wave-r', ['web-1'])],
      scenario: parseScenario({ approval: 'reject' }),
      definitionPath,
      handlers: sessionHandlers(() => fake!),
      emulator: factory,
    });
    expect(rejected.waves[0]).toMatchObject({ exitCode: 3, report: { outcome: 'rejected' } });
    const partial = await simulate({
      manifests: [manifest('wave-p', ['web-1', 'web-2'])],
      scenario: parseScenario({}),
      definitionPath,
      handlers: sessionHandlers(() => fake!, { failServer: 'web-2' }),
      emulator: factory,
    });
    expect(partial.waves[0].exitCode).toBe(3);
    expect(partial.waves[0].report.servers[1]).toMatchObject({ result: 'failed', failure: { phase: 'test-launch' } });
  });

  it('restarts after an interruption and reports every execution; an orchestrator failure exits 1', async () => {
    const session = await simulate({
      manifests: [manifest('wave-i', ['web-1'])],
      scenario: parseScenario({ interruptions: [{ afterPhase: 'replication' }] }),
      definitionPath,
      handlers: sessionHandlers(() => fake!),
      emulator: factory,
    });
    const report = session.waves[0].report;
    expect(report.executions.map((e) => [e.name, e.status])).toEqual([
      ['wave-i-sim-1', 'ABORTED'],
      ['wave-i-sim-2', 'SUCCEEDED'],
    ]);
    expect(report.runId).toBe('wave-i-sim-2');
    expect(report.stats.executions).toBe(2);
    expect(session.waves[0].exitCode).toBe(0);

    const failing = await simulate({
      manifests: [manifest('wave-f', ['web-1'])],
      scenario: parseScenario({}),
      definitionPath,
      handlers: {
        ...sessionHandlers(() => fake!),
        'launch-test': () => {
          throw new RangeError('job quota exceeded');
        },
      },
      emulator: factory,
    });
    expect(failing.waves[0].exitCode).toBe(1);
    expect(failing.waves[0].report).toMatchObject({ outcome: 'failed', error: { error: 'RangeError' } });
    expect(failing.waves[0].report.servers[0].result).toBe('skipped');
  });

  it('refuses concurrent waves with different target regions', async () => {
    const other = { ...manifest('wave-x', ['web-1']), targetRegion: 'us-east-1' };
    await expect(
      simulate({ manifests: [manifest('wave-a', ['web-1']), other], scenario: parseScenario({}), definitionPath, emulator: factory }),
    ).rejects.toThrow(/share one targetRegion/);
  });
});

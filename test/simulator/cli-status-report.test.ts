/**
 * `mgnctl status` and `mgnctl report` against the emulator's S3 and Step Functions: a real wave runs
 * through the simulator (one server's install fails), the emulator is kept, and the commands read the
 * run's records, report and execution from it as they would from a deployed stack.
 */
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { newRunState, mark, failServer } from '../../functions/lib/run-state';
import { EMULATOR_CREDENTIALS } from '../../simulator/emulator';
import {
  SIMULATOR_DEFAULTS,
  simulate,
  startRealEmulator,
  type EmulatorLike,
  type SimulationSession,
} from '../../simulator/runner/session';
import type { ExecutionRegistry } from '../../simulator/emulator/sfn';
import { exampleWave, scenarioWith } from '../e2e/harness';

const BUCKET = SIMULATOR_DEFAULTS.waveBucket;
const wave = exampleWave();
const REGION = wave.targetRegion;
const executionArn = (name: string) =>
  `arn:aws:states:${REGION}:${SIMULATOR_DEFAULTS.accountId}:execution:MgnWaveOrchestrator:${name}`;

let emulator: EmulatorLike;
let session: SimulationSession;
let outDir: string;
const saved: Record<string, string | undefined> = {};

/** Runs mgnctl in-process and captures what it prints (console and direct stdout writes). */
async function mgnctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(`${a.join(' ')}\n`));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  const write = jest
    .spyOn(process.stdout, 'write')
    .mockImplementation((chunk) => (out.push(String(chunk)), true));
  try {
    const code = await main(argv);
    return { code, out: out.join(''), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
    write.mockRestore();
  }
}

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'status-report-'));
  session = await simulate({
    manifests: [wave],
    scenario: scenarioWith({ servers: { 'cache-01': { fault: 'install-fails' } } }),
    outDir,
    // keep the emulator after the session: the commands read its bucket and executions
    emulator: async (options) => {
      const started = await startRealEmulator(options);
      emulator = started;
      return Object.assign(Object.create(started) as EmulatorLike, { close: () => undefined });
    },
  });
  const env = {
    AWS_ENDPOINT_URL_S3: emulator.url,
    AWS_ENDPOINT_URL_SFN: emulator.url,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    AWS_REGION: REGION,
  };
  for (const [k, v] of Object.entries(env)) {
    saved[k] = process.env[k];
    process.env[k] = v;
  }
  delete process.env.AWS_SESSION_TOKEN;
}, 300_000);

afterAll(async () => {
  for (const [k, v] of Object.entries(saved))
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  await emulator?.close();
  rmSync(outDir, { recursive: true, force: true });
});

const runId = () => session.waves[0].report.executions[session.waves[0].report.executions.length - 1].name;

// first: the newest run is the simulated one until the watch test adds another
describe('mgnctl report', () => {
  it("writes the newest run's report.json as stored and the simulator's report.html", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'report-out-'));
    try {
      const r = await mgnctl('report', wave.waveId, '--bucket', BUCKET, '--out', dir);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toContain(
        `${wave.waveId} run ${runId()}: completed-with-failures, 11 migrated, 1 failed, 0 skipped of 12`,
      );
      const json = JSON.parse(readFileSync(join(dir, 'report.json'), 'utf8'));
      const stored = emulator as unknown as {
        s3Object(bucket: string, key: string): { body: Buffer } | undefined;
      };
      expect(json).toEqual(
        JSON.parse(
          stored.s3Object(BUCKET, `waves/${wave.waveId}/runs/${runId()}/report.json`)!.body.toString(),
        ),
      );
      const html = readFileSync(join(dir, 'report.html'), 'utf8');
      expect(html).toContain('<span id="wave-id">wave-12-mixed</span>');
      expect(html).toContain('id="outcome">completed-with-failures</span>');
      expect(html).toMatch(/<tr class="server result-failed" data-server="cache-01">/);
      expect(html).toContain(`report generated ${json.generatedAt}`);
      // no simulator-only sections for a deployed run
      expect(html).not.toContain('id="stats"');
      expect(html).not.toContain('(simulated)');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mgnctl status, from the wave bucket', () => {
  it('keeps its execution line and adds the per-phase, per-state view of the run records', async () => {
    const r = await mgnctl('status', executionArn(runId()), '--bucket', BUCKET);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(
      new RegExp(
        `^${runId()}: SUCCEEDED, outcome completed-with-failures \\(12 total, 11 active, 1 failed\\), started `,
      ),
    );
    // the simulator's progress line: after the last completed phase, servers by state
    // (the report step writes report.json, not a timeline entry: the records end with finalize)
    expect(lines[1]).toMatch(
      /^wave-12-mixed\s+t\+\d\d:\d\d:\d\d {2}after finalize\s+at SUCCEEDED finalize \| /,
    );
    expect(lines[1]).toContain('install failed 1');
    expect(lines[1]).toContain('finalize done 11');
    expect(lines[1]).toContain('replication 100%');
    const install = lines.find((l) => l.trimStart().startsWith('install '))!;
    // started done failed skipped waiting-for-quota
    expect(install.trim().split(/\s+/)).toEqual(['install', '0', '11', '1', '0', '0']);
    expect(r.out).toContain('servers: 12 (11 active, 1 failed, 0 stalled), largest replication lag');
  });

  it('reads the bucket alone with --wave-id (newest run), in JSON', async () => {
    const r = await mgnctl('status', '--bucket', BUCKET, '--wave-id', wave.waveId, '--json');
    expect(r.code).toBe(0);
    const out = JSON.parse(r.out);
    expect(out).toMatchObject({ waveId: wave.waveId, runId: runId(), outcome: 'completed-with-failures' });
    expect(out.progress.phases.install).toEqual({ done: 11, failed: 1 });
    expect(out.progress.phases.finalize).toEqual({ done: 11 });
    expect(out.progress.phases.report).toBeUndefined();
    expect(out.progress).toMatchObject({
      lastCompletedPhase: 'finalize',
      state: 'ended completed-with-failures finalize',
      servers: { total: 12, failed: 1, stalled: 0 },
      serversByState: { 'install failed': 1, 'finalize done': 11 },
      replicationPercent: 100,
    });
  });

  it('answers a wave that does not exist with a clear error and exit 2', async () => {
    const r = await mgnctl('status', '--bucket', BUCKET, '--wave-id', 'no-such-wave');
    expect(r.code).toBe(2);
    expect(r.err).toBe(
      `mgnctl status: wave no-such-wave is not in bucket ${BUCKET} (nothing under waves/no-such-wave/): check the wave id, and that the bucket is the stack's WaveBucketName output`,
    );
    const run = await mgnctl('status', '--bucket', BUCKET, '--wave-id', wave.waveId, '--run', 'nope');
    expect(run.code).toBe(2);
    expect(run.err).toContain(
      `wave ${wave.waveId} has no run nope in bucket ${BUCKET}; its runs, newest first: ${runId()}`,
    );
  });

  it('keeps its contract: an unknown execution is exit 1 (ExecutionDoesNotExist), bad arguments exit 2', async () => {
    const gone = await mgnctl('status', executionArn('never-ran'), '--bucket', BUCKET);
    expect(gone.code).toBe(1);
    expect(gone.err).toMatch(/^mgnctl status: ExecutionDoesNotExist: /);
    expect((await mgnctl('status', '--watch', executionArn(runId()))).err).toContain(
      '--watch: needs --bucket',
    );
    expect((await mgnctl('status', '--bucket', 'Not_A_Bucket', '--wave-id', 'w')).code).toBe(2);
    expect((await mgnctl('status', '--bucket', BUCKET, '--wave-id', 'w', '--interval', '0')).err).toContain(
      '--interval',
    );
  });

  it('--watch redraws until the execution ends', async () => {
    const name = `${wave.waveId}-watch`;
    const registry = (emulator as unknown as { executions: ExecutionRegistry }).executions;
    registry.started({
      executionArn: executionArn(name),
      stateMachineArn: executionArn(name).replace(/:execution:([^:]+):.*$/, ':stateMachine:$1'),
      name,
      startDate: Date.now(),
      input: wave,
    });
    const s3 = new S3Client({
      region: REGION,
      endpoint: emulator.url,
      forcePathStyle: true,
      credentials: EMULATOR_CREDENTIALS,
    });
    const state = newRunState(wave, name);
    const now = new Date();
    for (const s of state.servers) {
      mark(s, 'validate', 'done', now);
      mark(s, 'preflight', 'done', now);
    }
    const put = () =>
      s3.send(
        new PutObjectCommand({
          Bucket: BUCKET,
          Key: `waves/${wave.waveId}/runs/${name}/servers.json`,
          Body: JSON.stringify(state),
        }),
      );
    await put();
    const watching = mgnctl('status', executionArn(name), '--bucket', BUCKET, '--watch', '--interval', '0.2');
    await new Promise((r) => setTimeout(r, 700));
    for (const s of state.servers) mark(s, 'precheck', 'done', new Date());
    failServer(state.servers[0], 'install', 'installer exited 1', new Date());
    await put();
    await new Promise((r) => setTimeout(r, 700));
    registry.stopped(executionArn(name), { status: 'ABORTED', stopDate: Date.now() });
    const r = await watching;
    s3.destroy();
    expect(r.code).toBe(0);
    // no TTY: one line per completed phase, then the last view in full
    expect(r.out).toMatch(
      new RegExp(`\\[t\\+\\d\\d:\\d\\d:\\d\\d\\] ${wave.waveId}: preflight done \\| preflight done 12`),
    );
    expect(r.out).toMatch(
      new RegExp(
        `\\[t\\+\\d\\d:\\d\\d:\\d\\d\\] ${wave.waveId}: precheck done \\| install failed 1, precheck done 11`,
      ),
    );
    expect(r.out).toMatch(/at ABORTED precheck|at ABORTED install/);
  });
});

describe('mgnctl report, errors', () => {
  it('answers a wave or run that does not exist with exit 2, and a run still without a report with exit 1', async () => {
    const missing = await mgnctl('report', 'no-such-wave', '--bucket', BUCKET);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain('wave no-such-wave is not in bucket');
    const noRun = await mgnctl('report', wave.waveId, '--bucket', BUCKET, '--run', 'r-404');
    expect(noRun.code).toBe(2);
    expect(noRun.err).toContain(`has no run r-404 in bucket ${BUCKET}`);
    // the watch test's run has records and no report
    const pending = await mgnctl('report', wave.waveId, '--bucket', BUCKET, '--run', `${wave.waveId}-watch`);
    expect(pending.code).toBe(1);
    expect(pending.err).toContain(`run ${wave.waveId}-watch of wave ${wave.waveId} has no report yet`);
    expect((await mgnctl('report', wave.waveId)).err).toContain('--bucket: required');
    expect(existsSync(join('reports', wave.waveId))).toBe(false);
  });
});

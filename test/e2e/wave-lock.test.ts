/**
 * One run per wave at a time, end to end (real emulator, real state machine, real handlers): a
 * second execution of a running wave ends at once as WaveAlreadyRunning with no mutating AWS call;
 * every ending of a run (success, failure, rejection) releases the lock; a run after an aborted one
 * takes the abandoned lock over; a run after a finished one takes it normally.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lockKey } from '../../functions/lib/wave-lock';
import type { Emulator, TraceEntry } from '../../simulator/emulator';
import { SIMULATOR_DEFAULTS, simulate, startRealEmulator, type SimulationSession } from '../../simulator/runner/session';
import type { HandlerMap } from '../../simulator/runner/handlers';
import { cleanupRuns, exampleWave, readTrace, scenarioWith } from './harness';

afterAll(cleanupRuns);

const wave = exampleWave();
const KEY = lockKey(wave.waveId);
const FIRST = `${wave.waveId}-sim-1`;
const SECOND = `${wave.waveId}-sim-second`;

interface LockRun {
  readonly session: SimulationSession;
  readonly trace: TraceEntry[];
  /** the lock object left in the wave bucket once the session ended */
  readonly lockLeft: unknown;
}

async function run(extra: Record<string, unknown>, handlers?: HandlerMap): Promise<LockRun> {
  const outDir = mkdtempSync(join(tmpdir(), 'mgn-lock-'));
  let emulator: Emulator | undefined;
  const session = await simulate({
    manifests: [wave],
    scenario: scenarioWith(extra),
    outDir,
    handlers,
    emulator: async (options) => {
      const started = await startRealEmulator(options);
      emulator = started as unknown as Emulator;
      return started;
    },
  });
  const trace = readTrace(join(outDir, 'trace.jsonl')) as unknown as TraceEntry[];
  return { session, trace, lockLeft: emulator!.s3Object(SIMULATOR_DEFAULTS.waveBucket, KEY) };
}

const by = (trace: TraceEntry[], execution: string) => trace.filter((t) => t.caller?.execution === execution);
const lockCalls = (trace: TraceEntry[]) =>
  trace.filter((t) => (t.service === 's3' && (t.params as { Key?: string }).Key === KEY) || t.service === 'states');
const summary = (t: TraceEntry) => `${t.caller?.step}: ${t.service}:${t.operation} ${t.outcome}`;

describe('one run per wave at a time', () => {
  it('a second execution started while the first runs ends at once as WaveAlreadyRunning, with no mutating call; the first completes and releases', async () => {
    const { session, trace, lockLeft } = await run({ secondStart: { afterPhase: 'install' } });
    const [result] = session.waves;
    expect(result.exitCode).toBe(0);
    expect(result.report.outcome).toBe('completed');
    expect(result.report.servers.filter((s) => s.result !== 'migrated')).toEqual([]);
    const [first, second] = result.report.executions;
    expect([first.name, first.status]).toEqual([FIRST, 'SUCCEEDED']);
    expect([second.name, second.status, second.error]).toEqual([SECOND, 'FAILED', 'WaveAlreadyRunning']);
    // the cause is the reason in words: who runs the wave, and what to do
    expect(second.cause).toMatch(new RegExp(`^wave ${wave.waveId} is already being run by execution ${FIRST} \\(started .*, still RUNNING\\): this execution \\(${SECOND}\\) stops without touching anything`));

    // the second run's every AWS call: a refused create, a read of the lock, a question to Step Functions
    expect(by(trace, SECOND).map(summary)).toEqual([
      'validate-wave: s3:PutObject PreconditionFailed',
      'validate-wave: s3:GetObject ok',
      'validate-wave: states:DescribeExecution ok',
    ]);
    expect(by(trace, SECOND).filter((t) => t.mutating && t.outcome === 'ok')).toEqual([]);
    // it left no record of its own and rewrote none of the first run's
    expect(trace.filter((t) => (t.params as { Key?: string }).Key?.includes(SECOND))).toEqual([]);

    // the first run took the lock once and released it in its report step
    expect(lockCalls(by(trace, FIRST)).map(summary)).toEqual([
      'validate-wave: s3:PutObject ok',
      'report: s3:GetObject ok',
      'report: s3:DeleteObject ok',
    ]);
    expect(lockLeft).toBeUndefined();
  });

  it('a run that fails releases the lock on its way out (Catch -> Report)', async () => {
    const broken: HandlerMap = {
      Preflight: () => {
        throw Object.assign(new Error('the preflight Lambda broke'), { name: 'PreflightBroke' });
      },
    };
    const { session, trace, lockLeft } = await run({}, broken);
    const report = session.waves[0].report;
    expect(report.outcome).toBe('failed');
    expect(report.executions.map((e) => [e.status, e.error])).toEqual([['FAILED', 'WaveFailed']]);
    expect(lockCalls(trace).map(summary)).toEqual(['validate-wave: s3:PutObject ok', 'report: s3:GetObject ok', 'report: s3:DeleteObject ok']);
    expect(lockLeft).toBeUndefined();
  });

  it('a rejected wave releases the lock', async () => {
    const { session, trace, lockLeft } = await run({ approval: 'reject' });
    expect(session.waves[0].report.outcome).toBe('rejected');
    expect(lockCalls(trace).map(summary)).toEqual(['validate-wave: s3:PutObject ok', 'report: s3:GetObject ok', 'report: s3:DeleteObject ok']);
    expect(lockLeft).toBeUndefined();
  });

  it('after an aborted execution (which never releases), the next one takes the lock over once Step Functions says the holder is ABORTED', async () => {
    const { session, trace, lockLeft } = await run({ interruptions: [{ afterPhase: 'install' }] });
    const report = session.waves[0].report;
    expect(report.executions.map((e) => [e.name, e.status])).toEqual([
      [FIRST, 'ABORTED'],
      [`${wave.waveId}-sim-2`, 'SUCCEEDED'],
    ]);
    expect(report.outcome).toBe('completed');
    expect(lockCalls(by(trace, FIRST)).map(summary)).toEqual(['validate-wave: s3:PutObject ok']);
    const takeover = lockCalls(by(trace, `${wave.waveId}-sim-2`));
    expect(takeover.map(summary)).toEqual([
      'validate-wave: s3:PutObject PreconditionFailed',
      'validate-wave: s3:GetObject ok',
      'validate-wave: states:DescribeExecution ok',
      'validate-wave: s3:PutObject ok',
      'report: s3:GetObject ok',
      'report: s3:DeleteObject ok',
    ]);
    // the overwrite was conditional on the abandoned lock's ETag
    expect(takeover[3].params).toMatchObject({ IfMatch: expect.stringMatching(/^"[0-9a-f]{32}"$/) });
    expect(session.lambdaLogs.some((l) => l.includes('took over the wave lock its holder left behind') && l.includes(`execution:MgnWaveOrchestrator:${FIRST}`))).toBe(true);
    expect(lockLeft).toBeUndefined();
  });

  it('a run started after the first one ended takes the lock normally and finds nothing left to do', async () => {
    const { session, trace, lockLeft } = await run({ secondStart: { afterPhase: 'report' } });
    const [first, second] = session.waves[0].report.executions;
    expect([first.status, second.name, second.status]).toEqual(['SUCCEEDED', SECOND, 'SUCCEEDED']);
    expect(lockCalls(by(trace, SECOND)).map(summary)).toEqual(['validate-wave: s3:PutObject ok', 'report: s3:GetObject ok', 'report: s3:DeleteObject ok']);
    // resuming a finished wave launches nothing again
    expect(by(trace, SECOND).filter((t) => t.service === 'mgn' && t.mutating && t.outcome === 'ok')).toEqual([]);
    expect(lockLeft).toBeUndefined();
  });
});

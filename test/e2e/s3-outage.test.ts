/**
 * examples/scenarios/s3-outage.json, end to end: S3 answers 5xx to writes of the wave's records
 * (S3 API reference, "Error responses": 500 InternalError, 503 ServiceUnavailable), past the SDK's
 * retries.
 *
 * - The manifest's write fails right after validate-wave took the wave's lock: the step releases the
 *   lock before failing (DeleteObject If-Match), and the state machine's retry takes it anew and
 *   goes on.
 * - Writes of the run records fail for two hours from the middle of the installs: install-agents
 *   fails past the state machine's retries and the wave stops (failed, exit 1, the error named);
 *   report still deletes the installer credentials the installs had staged in SSM, writes the report
 *   and releases the lock. No server is failed for it: each is reported as it stands.
 */
import { rmSync } from 'node:fs';
import type { Emulator } from '../../simulator/emulator';
import type { SimulationSession } from '../../simulator/runner/session';
import { exampleWave, simulateExampleScenario, type StepTraceRecord } from './harness';

type Traced = StepTraceRecord;

const wave = exampleWave();
const key = (k: string) => (t: Traced) => (t.params as { Key?: string }).Key === k;
const LOCK = `waves/${wave.waveId}/lock.json`;
const MANIFEST = `waves/${wave.waveId}/manifest.json`;

let session: SimulationSession;
let emulator: Emulator;
let trace: Traced[];
let outDir: string;

beforeAll(async () => {
  ({ session, emulator, trace, outDir } = await simulateExampleScenario('s3-outage.json', [wave]));
}, 300_000);

afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('S3 failing the wave records writes', () => {
  it('validate-wave releases the lock when the manifest cannot be stored; its retry takes the lock anew and the run goes on', () => {
    const validate = trace.filter((t) => t.caller?.step === 'validate-wave' && t.service === 's3');
    const failed = validate.filter((t) => t.operation === 'PutObject' && key(MANIFEST)(t) && t.outcome === 'InternalError');
    // every attempt of the SDK failed (6 attempts: MAX_SDK_ATTEMPTS)
    expect(failed).toHaveLength(6);
    const released = validate.filter((t) => t.operation === 'DeleteObject' && key(LOCK)(t));
    expect(released.map((t) => t.outcome)).toEqual(['ok']);
    expect(released[0].seq).toBeGreaterThan(Math.max(...failed.map((t) => t.seq)));
    const locks = validate.filter((t) => t.operation === 'PutObject' && key(LOCK)(t) && t.outcome === 'ok');
    expect(locks).toHaveLength(2);
    expect(locks[1].seq).toBeGreaterThan(released[0].seq);
    expect(validate.filter((t) => t.operation === 'PutObject' && key(MANIFEST)(t) && t.outcome === 'ok')).toHaveLength(1);
    expect(trace.some((t) => t.caller?.step === 'install-agents')).toBe(true);
  });

  it('stops the wave in install when the run records cannot be written, naming the error (failed, exit 1); no server is failed for it', () => {
    const report = session.waves[0].report as typeof session.waves[0]['report'] & { stoppedBy?: { error: string; cause: string } };
    expect(report.outcome).toBe('failed');
    expect(session.waves[0].exitCode).toBe(1);
    expect(report.stoppedBy?.error).toBe('TryLaterError');
    expect(report.stoppedBy?.cause).toContain('PutObject: ServiceUnavailable');
    expect(report.executions.map((e) => [e.status, e.error])).toEqual([['FAILED', 'WaveFailed']]);
    expect(report.servers).toHaveLength(wave.servers.length);
    expect(report.servers.filter((s) => s.result !== 'skipped').map((s) => `${s.name} ${s.result}`)).toEqual([]);
    for (const s of report.servers) expect(s.failure).toBeUndefined();
    // installs were running when the wave stopped
    expect(trace.some((t) => t.operation === 'SendCommand' && /agent install/.test(String(t.params.Comment)) && t.outcome === 'ok')).toBe(true);
  });

  it('report deletes the installer credentials the installs left staged, and releases the lock', () => {
    const staged = trace.filter((t) => t.caller?.step === 'install-agents' && t.operation === 'PutParameter' && t.outcome === 'ok');
    expect(staged.length).toBeGreaterThan(0);
    const names = new Set(staged.map((t) => `${t.region} ${(t.params as { Name: string }).Name}`));
    // install-agents never got to remove them: the installs had not ended
    expect(trace.filter((t) => t.caller?.step === 'install-agents' && t.operation === 'DeleteParameter')).toEqual([]);
    const deleted = trace.filter((t) => t.caller?.step === 'report' && t.operation === 'DeleteParameter');
    expect(deleted.map((t) => t.outcome)).toEqual([...names].map(() => 'ok'));
    expect(new Set(deleted.map((t) => `${t.region} ${(t.params as { Name: string }).Name}`))).toEqual(names);
    expect([...emulator.fleet.parameters.keys()].filter((k) => k.includes('installer-credentials'))).toEqual([]);
    const lockReleases = trace.filter((t) => t.caller?.step === 'report' && t.operation === 'DeleteObject' && key(LOCK)(t));
    expect(lockReleases.map((t) => t.outcome)).toEqual(['ok']);
  });
});

/**
 * Resume: a wave interrupted right after each phase in turn is re-run (new execution, same input)
 * and completes with no second StartTest, StartCutover or FinalizeCutover for any server, checked
 * in the emulator's trace.jsonl.
 * Concurrency: three waves (150, 150, 100 servers) started together never have more than 200
 * servers in active MGN jobs, and the quota refusals they meet never become server failures.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PHASES, parseScenario } from '../../simulator/scenario';
import { simulate } from '../../simulator/runner/session';
import { faultWave } from './harness';
import { acceptedCallsPerServer, readTraceFile, repeated } from './trace-file';

const FAST = { diskGiB: 40, bandwidthMbps: 1000, installSeconds: 120 };
let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'mgn-resume-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('resume after an interruption', () => {
  it.each(PHASES.map((p) => [p]))('after %s: the re-run completes without a duplicate launch or finalize', async (phase) => {
    const dir = join(out, phase);
    const manifest = faultWave(`resume-${phase}`, 6);
    const session = await simulate({
      manifests: [manifest],
      scenario: parseScenario({ seed: 11, defaults: FAST, throttle: { rate: 0.1 }, interruptions: [{ afterPhase: phase }]}),
      outDir: dir,
    });
    const report = session.waves[0].report;
    expect(report.executions.map((e) => e.interruptedAfterPhase)).toEqual([phase, undefined]);
    expect(report.outcome).toBe('completed');
    expect(report.servers.map((s) => [s.name, s.result])).toEqual(manifest.servers.map((s) => [s.name, 'migrated']));

    const trace = readTraceFile(join(dir, 'trace.jsonl'));
    expect([...repeated(trace, 'StartTest'), ...repeated(trace, 'StartCutover'), ...repeated(trace, 'FinalizeCutover')]).toEqual([]);
    // each manifest server once, by source server id: a re-run that re-registered a host would show new ids
    for (const op of ['StartTest', 'StartCutover', 'FinalizeCutover']) {
      const calls = [...acceptedCallsPerServer(trace, op).values()].reduce((n, c) => n + c, 0);
      expect({ op, calls }).toEqual({ op, calls: manifest.servers.length });
    }
  });
});

describe('three waves at once', () => {
  it('keep at most 200 servers in active jobs, and quota refusals fail no server', async () => {
    const dir = join(out, 'concurrent');
    const manifests = [faultWave('wave-a', 150, 0), faultWave('wave-b', 150, 150), faultWave('wave-c', 100, 300)];
    // 400 servers replicating at once: an account whose replicating-servers quota (mgn/L-9A599620) was raised
    const session = await simulate({ manifests, scenario: parseScenario({ seed: 5, defaults: FAST, quotas: { replicatingServers: 1000 } }), outDir: dir });

    for (const [i, wave] of session.waves.entries()) {
      expect(wave.report.outcome).toBe('completed');
      expect(wave.report.servers.filter((s) => s.result !== 'migrated')).toEqual([]);
      expect(wave.report.servers).toHaveLength(manifests[i].servers.length);
      // the emulator's own high-water mark of servers in active jobs, sampled at every job start
      expect(wave.report.stats.maxServersInActiveJobs).toBeLessThanOrEqual(200);
    }
    const trace = readTraceFile(join(dir, 'trace.jsonl'));
    // the waves really competed for the 200 slots (the peak reached MGN's limit), and the launch steps
    // shared them by decision under the account-wide lease: MGN refused no launch for the limit
    expect(session.waves[0].report.stats.maxServersInActiveJobs).toBe(200);
    const refusedLaunches = trace.filter((t) => (t.operation === 'StartTest' || t.operation === 'StartCutover') && t.outcome === 'ServiceQuotaExceededException');
    expect(refusedLaunches.length).toBe(0);
    expect([...repeated(trace, 'StartTest'), ...repeated(trace, 'StartCutover')]).toEqual([]);
  }, 600_000);
});

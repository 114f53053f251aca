/**
 * Two waves of 150 servers each, concurrently on one emulator and one virtual clock: 300 servers
 * against MGN's account-wide limit of 200 servers in active jobs. The launch steps decide under one
 * account-wide lease (functions/lib/mgn-job-lease.ts), so MGN never has to refuse a launch: without
 * the lease both waves' polls see the same free room, both fill it, and the emulator's MGN refuses
 * the second StartTest/StartCutover (ServiceQuotaExceededException), as AWS does.
 */
import { callsPerServer, cleanupRuns, generatedWave, runSimulation, scenarioWith } from './harness';

afterAll(cleanupRuns);

describe('two concurrent waves of 150 servers', () => {
  it('migrate every server without ever having more than 200 servers in active launch jobs', async () => {
    const a = generatedWave('wave-a', 150, 0x1000);
    const b = generatedWave('wave-b', 150, 0x2000);
    const ids = [...a.servers, ...b.servers].map((s) => (s.source as { instanceId: string }).instanceId);
    expect(new Set(ids).size).toBe(300);

    // 300 servers replicating at once: an account whose replicating-servers quota (mgn/L-9A599620) was raised
    const run = await runSimulation([a, b], scenarioWith({ defaults: { diskGiB: 40, bandwidthMbps: 500, installSeconds: 180 }, quotas: { replicatingServers: 1000 } }));
    for (const wave of run.session.waves) {
      const report = wave.report;
      expect({ wave: wave.waveId, outcome: report.outcome, error: report.error }).toEqual({ wave: wave.waveId, outcome: 'completed', error: undefined });
      expect(wave.exitCode).toBe(0);
      expect(report.servers).toHaveLength(150);
      expect(report.servers.filter((s) => s.result !== 'migrated').map((s) => `${s.name}: ${JSON.stringify(s.failure)}`)).toEqual([]);
      expect(report.stats.maxServersInActiveJobs).toBeGreaterThan(0);
      expect(report.stats.maxServersInActiveJobs).toBeLessThanOrEqual(200);
      expect(report.stats.historyEvents).toBeLessThan(25_000 * report.stats.executions);
    }
    // the waves' servers are distinct source servers in MGN, each launched once for test and once for cutover
    const sourceIds = run.session.waves.flatMap((w) => w.report.servers.map((s) => s.sourceServerId!));
    expect(new Set(sourceIds).size).toBe(300);
    for (const op of ['StartTest', 'StartCutover', 'FinalizeCutover'] as const) {
      const calls = callsPerServer(run.trace, op);
      expect({ op, launched: sourceIds.filter((id) => calls.get(id) === 1).length }).toEqual({ op, launched: 300 });
    }
    // the emulator measured the peak itself, account-wide: the same number in both reports
    const [ra, rb] = run.session.waves.map((w) => w.report.stats.maxServersInActiveJobs);
    expect(ra).toBe(rb);
    // each wave alone launches 150 at once: the two together went past 150, up to MGN's 200 ...
    expect(ra).toBeGreaterThan(150);
    // ... by decision, not by refusal: no launch was refused for MGN's active-job limit
    const refusedLaunches = run.trace.filter(
      (r) => r.service === 'mgn' && (r.operation === 'StartTest' || r.operation === 'StartCutover') && r.outcome === 'ServiceQuotaExceededException',
    );
    expect(refusedLaunches.map((r) => `${r.operation}: ${r.outcome}`)).toEqual([]);
  }, 300_000);
});

/**
 * The 12-server example end to end on the simulator: real emulator, real state machine, real handlers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { callsPerServer, cleanupRuns, exampleWave, runSimulation, scenarioWith } from './harness';

afterAll(cleanupRuns);

describe('the 12-server example', () => {
  it('completes with every server migrated: cut over, finalized, tested and cut over once each', async () => {
    const manifest = exampleWave();
    const run = await runSimulation([manifest], scenarioWith({ approval: 'approve' }));
    const [wave] = run.session.waves;
    expect(wave.exitCode).toBe(0);
    const report = run.report();
    expect(report.outcome).toBe('completed');
    expect(report.servers.map((s) => s.name).sort()).toEqual(manifest.servers.map((s) => s.name).sort());
    for (const s of report.servers) {
      expect({ name: s.name, result: s.result, failure: s.failure }).toEqual({ name: s.name, result: 'migrated', failure: undefined });
      expect(s.sourceServerId).toMatch(/^s-[0-9a-f]{17}$/);
      expect(s.finalLifecycleState).toBe('CUTOVER');
      expect(s.launches).toEqual({ test: 1, cutover: 1 });
    }
    const ids = report.servers.map((s) => s.sourceServerId!);
    expect(new Set(ids).size).toBe(12);
    const finalized = callsPerServer(run.trace, 'FinalizeCutover');
    for (const id of ids) expect(finalized.get(id)).toBe(1);
    // every phase shows in every server's timeline, in order, ending in done
    for (const s of report.servers) {
      const done = s.timeline.filter((t) => t.status === 'done').map((t) => t.phase);
      expect(done).toEqual(expect.arrayContaining(['validate', 'install', 'replication', 'test-verify', 'cutover-verify', 'finalize']));
    }
    expect(report.stats.simulatedSeconds).toBeGreaterThan(3600);
    expect(existsSync(join(run.outDir, manifest.waveId, 'report.html'))).toBe(true);
  });
});

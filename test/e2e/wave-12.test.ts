/**
 * The 12-server example end to end on the simulator: real emulator, real state machine, real handlers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { callsPerServer, cleanupRuns, exampleWave, okCalls, runSimulation, scenarioWith } from './harness';

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

  it('approval rejected: outcome rejected, every test instance terminated, nothing cut over, exit 3', async () => {
    const run = await runSimulation([exampleWave()], scenarioWith({ approval: 'reject' }));
    const [wave] = run.session.waves;
    expect(wave.exitCode).toBe(3);
    const report = run.report();
    expect(report.outcome).toBe('rejected');
    expect(okCalls(run.trace, 'mgn', 'StartCutover')).toHaveLength(0);
    expect(okCalls(run.trace, 'mgn', 'FinalizeCutover')).toHaveLength(0);
    // every server was tested once, and its test instance is gone
    const tested = callsPerServer(run.trace, 'StartTest');
    for (const s of report.servers) {
      expect(s.result).not.toBe('migrated');
      expect(tested.get(s.sourceServerId!)).toBe(1);
      expect(s.launches).toEqual({ test: 1, cutover: 0 });
      expect(s.finalLifecycleState).not.toMatch(/CUTOVER|CUTTING_OVER|TESTING/);
    }
    const terminatedIds = new Set<string>();
    for (const r of okCalls(run.trace, 'mgn', 'TerminateTargetInstances'))
      for (const id of (r.params.sourceServerIDs as string[] | undefined) ?? []) terminatedIds.add(id);
    for (const r of okCalls(run.trace, 'ec2', 'TerminateInstances')) for (const id of Object.values(r.params).flat()) terminatedIds.add(String(id));
    expect(terminatedIds.size).toBeGreaterThan(0);
    for (const s of report.servers) expect(terminatedIds.has(s.sourceServerId!)).toBe(true);
  });
});

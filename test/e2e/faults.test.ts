/**
 * Each fault kind of the scenario fails exactly the faulted server, in the phase FAULT_PHASE names,
 * while every other server of the 12-server example migrates.
 */
import { FAULT_PHASE, type FaultKind } from '../../simulator/scenario';
import { callsPerServer, cleanupRuns, exampleWave, runSimulation, scenarioWith } from './harness';

afterAll(cleanupRuns);

const CASES: Array<[FaultKind, string]> = [
  ['precheck-fails', 'web-02'],
  ['install-fails', 'cache-01'],
  ['replication-stalls', 'batch-01'],
  ['test-launch-fails', 'iis-02'],
  ['test-check-fails', 'web-01'],
  // app-01 has no smoke checks in the manifest: its test instance must still fail test-verify
  ['test-check-fails', 'app-01'],
  ['cutover-launch-fails', 'db-02'],
  // its install command also names iis-02, which must still install
  ['agent-offline', 'iis-01'],
  // its cutover instance fails its TCP check: reverted to READY_FOR_CUTOVER, the instance terminated
  ['cutover-check-fails', 'web-01'],
];

describe.each(CASES)('fault %s on %s', (fault, faulted) => {
  it(`fails ${faulted} in ${FAULT_PHASE[fault]} and migrates the 11 others (completed-with-failures, exit 3)`, async () => {
    const manifest = exampleWave();
    const run = await runSimulation([manifest], scenarioWith({ servers: { [faulted]: { fault } } }));
    const [wave] = run.session.waves;
    const report = run.report();
    expect(report.outcome).toBe('completed-with-failures');
    expect(wave.exitCode).toBe(3);
    expect(report.servers).toHaveLength(12);

    const bad = run.server(faulted);
    expect(bad.result).toBe('failed');
    expect(bad.failure?.phase).toBe(FAULT_PHASE[fault]);
    expect(bad.failure?.reason.length).toBeGreaterThan(0);
    expect(bad.finalLifecycleState).not.toBe('CUTOVER');
    expect(bad.timeline.some((t) => t.phase === FAULT_PHASE[fault] && t.status === 'failed')).toBe(true);

    const others = report.servers.filter((s) => s.name !== faulted);
    expect(others.filter((s) => s.result !== 'migrated').map((s) => `${s.name}: ${s.result} ${JSON.stringify(s.failure)}`)).toEqual([]);
    for (const s of others) expect(s.finalLifecycleState).toBe('CUTOVER');

    // the failed server never reached the cutover it did not earn
    const cutovers = callsPerServer(run.trace, 'StartCutover');
    const finalized = callsPerServer(run.trace, 'FinalizeCutover');
    if (fault !== 'cutover-launch-fails' && fault !== 'cutover-check-fails') expect(cutovers.get(bad.sourceServerId ?? '')).toBeUndefined();
    expect(finalized.get(bad.sourceServerId ?? '')).toBeUndefined();
    for (const s of others) expect(finalized.get(s.sourceServerId!)).toBe(1);
  });
});

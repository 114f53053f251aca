/**
 * An execution aborted right after a phase and a new execution started for the same wave: the wave
 * still ends with every server migrated, and no server is launched (test or cutover) or finalized twice.
 */
import { PHASES, type PhaseName } from '../../simulator/scenario';
import { callsPerServer, cleanupRuns, exampleWave, runSimulation, scenarioWith, type Run } from './harness';

afterAll(cleanupRuns);

function expectEachServerOnce(run: Run) {
  const report = run.report();
  const ids = report.servers.map((s) => s.sourceServerId!);
  expect(ids.every(Boolean)).toBe(true);
  for (const op of ['StartTest', 'StartCutover', 'FinalizeCutover'] as const) {
    const calls = callsPerServer(run.trace, op);
    expect({ op, twice: [...calls].filter(([, n]) => n > 1) }).toEqual({ op, twice: [] });
    for (const id of ids) expect({ op, id, n: calls.get(id) }).toEqual({ op, id, n: 1 });
  }
  for (const s of report.servers) expect(s.launches).toEqual({ test: 1, cutover: 1 });
}

const INTERRUPTIBLE: PhaseName[] = PHASES.filter((p) => p !== 'report');

describe.each(INTERRUPTIBLE)('interrupted after %s', (phase) => {
  it('resumes in a new execution and migrates every server, none launched twice', async () => {
    const run = await runSimulation([exampleWave()], scenarioWith({ interruptions: [{ afterPhase: phase }] }));
    const report = run.report();
    expect(report.executions.map((e) => [e.status, e.interruptedAfterPhase])).toEqual([
      ['ABORTED', phase],
      ['SUCCEEDED', undefined],
    ]);
    expect(report.outcome).toBe('completed');
    expect(run.session.waves[0].exitCode).toBe(0);
    expect(report.servers.filter((s) => s.result !== 'migrated').map((s) => `${s.name} ${JSON.stringify(s.failure)}`)).toEqual([]);
    expectEachServerOnce(run);
  });
});

describe('several interruptions in one wave', () => {
  it('survives an abort after install, test-launch, cutover-launch and finalize', async () => {
    const phases: PhaseName[] = ['install', 'test-launch', 'cutover-launch', 'finalize'];
    const run = await runSimulation([exampleWave()], scenarioWith({ interruptions: phases.map((afterPhase) => ({ afterPhase })) }));
    const report = run.report();
    expect(report.executions.map((e) => e.interruptedAfterPhase)).toEqual([...phases, undefined]);
    expect(report.outcome).toBe('completed');
    expectEachServerOnce(run);
  });
});

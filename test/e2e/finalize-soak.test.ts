/**
 * options.soakHours on the emulator's virtual clock: the finalize gate waits the soak after the
 * cutover launch; a re-run after a finalize rejection does not wait it again.
 */
import { parseManifest } from '../../functions/lib/manifest';
import { cleanupRuns, generatedWave, okCalls, runSimulation, scenarioWith, type TraceRecord } from './harness';

afterAll(cleanupRuns);

const HOUR = 3600_000;
const at = (r: TraceRecord) => Date.parse(r.virtualTime);
const callerOf = (r: TraceRecord) => (r as unknown as { caller?: { execution?: string; step?: string } }).caller ?? {};

function soakWave(waveId: string, options: Record<string, unknown>) {
  const base = generatedWave(waveId, 3, 900);
  return parseManifest({ ...base, options: { ...base.options, ...options } });
}

describe('soak before the finalize gate', () => {
  it('waits soakHours after the cutover launch before asking the finalize gate (auto: before finalizing)', async () => {
    const run = await runSimulation([soakWave('soak-auto', { soakHours: 6, finalizeApproval: 'auto' })], scenarioWith());
    expect(run.report().outcome).toBe('completed');
    const cutover = okCalls(run.trace, 'mgn', 'StartCutover');
    const finalize = okCalls(run.trace, 'mgn', 'FinalizeCutover');
    expect(cutover).toHaveLength(1);
    expect(finalize).toHaveLength(3);
    expect(at(finalize[0]) - at(cutover[0])).toBeGreaterThanOrEqual(6 * HOUR);
    expect(at(finalize[0]) - at(cutover[0])).toBeLessThan(7 * HOUR);
  });

  it('without a soak the gate comes right after cutover verification', async () => {
    const run = await runSimulation([soakWave('soak-none', { finalizeApproval: 'auto' })], scenarioWith());
    const cutover = okCalls(run.trace, 'mgn', 'StartCutover');
    const finalize = okCalls(run.trace, 'mgn', 'FinalizeCutover');
    expect(at(finalize[0]) - at(cutover[0])).toBeLessThan(HOUR);
  });

  it('a re-run after a finalize rejection resumes at the gate without waiting the soak again', async () => {
    const run = await runSimulation(
      [soakWave('soak-rerun', { soakHours: 6 })],
      scenarioWith({ approval: { finalize: 'reject' }, rerun: { approval: { finalize: 'approve' } } }),
    );
    expect(run.report().outcome).toBe('completed');
    const rerunCalls = run.trace.filter((r) => callerOf(r).execution === 'soak-rerun-sim-rerun-1');
    const rerunStart = at(rerunCalls[0]);
    const finalize = okCalls(run.trace, 'mgn', 'FinalizeCutover');
    expect(finalize.every((r) => callerOf(r).execution === 'soak-rerun-sim-rerun-1')).toBe(true);
    expect(at(finalize[0]) - rerunStart).toBeLessThan(HOUR);
    // the first run did soak before its (rejected) gate
    const firstPublishes = okCalls(run.trace, 'sns', 'Publish').filter((r) => String(r.params.Subject).includes('(finalize gate)'));
    expect(at(firstPublishes[0]) - at(okCalls(run.trace, 'mgn', 'StartCutover')[0])).toBeGreaterThanOrEqual(6 * HOUR);
  });
});

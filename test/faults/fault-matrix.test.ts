/**
 * The fault matrix at CI size (the full one is `npm run test:faults`): each fault kind once with 30 %
 * throttling, and one run with every chaos kind at once. Each run goes through simulate() (emulator,
 * state machine, real handlers) and is held to the invariants in harness.ts.
 */
import { FAULT_KINDS } from '../../simulator/scenario';
import { checkReport, faultWave, reducedMatrix, runCase, summarize, type CaseResult } from './harness';

describe('fault matrix (reduced)', () => {
  const results: CaseResult[] = [];

  beforeAll(async () => {
    for (const c of reducedMatrix()) results.push(await runCase(c));
  }, 240_000);

  it('covers every fault kind and every chaos kind', () => {
    const cases = reducedMatrix();
    for (const kind of FAULT_KINDS) expect(cases.some((c) => Object.values(c.faults).includes(kind))).toBe(true);
    const chaos = results[results.length - 1].injected;
    for (const kind of ['throttled', 'internal-errors', 'dropped-connections', 'lambda-timeouts', 'lambda-errors']) expect(chaos[kind] ?? 0).toBeGreaterThan(0);
  });

  it('loses no server, fails exactly the faulted ones in their phase and launches nothing twice', () => {
    for (const r of results) expect({ name: r.name, violations: r.violations }).toEqual({ name: r.name, violations: [] });
    const s = summarize(results);
    expect(s).toMatchObject({ serversLost: 0, duplicateLaunches: 0, violations: 0 });
    expect(s.faultsInjected).toBeGreaterThanOrEqual(FAULT_KINDS.length);
    for (const r of results) expect(r.outcome).toBe('completed-with-failures');
  });

  it('the invariants catch a lost server, a wrong phase, an unfaulted failure and a duplicate launch', () => {
    const manifest = faultWave('check', 3);
    const ok = (name: string) => ({ name, result: 'migrated' as const, launches: { test: 1, cutover: 1 }, timeline: [] });
    const base = { waveId: 'check', runId: 'r', outcome: 'completed-with-failures' as const, stats: {} as never, executions: [], startedAt: '' };
    const report = {
      ...base,
      servers: [
        { ...ok('srv-001'), result: 'failed' as const, failure: { phase: 'install', reason: 'x' } },
        { ...ok('srv-002'), launches: { test: 2, cutover: 1 } },
      ],
    };
    const { violations, lost, duplicates } = checkReport(manifest, { 'srv-001': 'precheck-fails' }, report);
    expect(violations.join('\n')).toMatch(/srv-001: fault precheck-fails should fail in precheck, failed in install/);
    expect(violations.join('\n')).toMatch(/srv-003: missing from the report/);
    expect(violations.join('\n')).toMatch(/srv-002: launched test 2x/);
    expect(lost).toBe(1);
    expect(duplicates).toBe(1);
    const failedWave = checkReport(manifest, {}, { ...report, outcome: 'failed', servers: [ok('srv-001'), ok('srv-002'), ok('srv-003')] });
    expect(failedWave.violations).toEqual([expect.stringMatching(/^wave ended failed/)]);
  });
});

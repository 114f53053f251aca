/**
 * Issue 12 item 2: the installer credentials the hosts read are staged under the stack's own KMS key
 * (never SSM's default aws/ssm key), at a path no one can guess (128 random bits per run), and
 * deleted when the install phase ends: in a normal run, and when a run is interrupted with the
 * credentials staged (the next run of the wave takes over its lock and deletes them).
 */
import { INSTALLER_PARAMETER_ROOT } from '../../functions/lib/installer-credentials';
import { cleanupRuns, exampleWave, runSimulation, scenarioWith, type TraceRecord } from './harness';

afterAll(cleanupRuns);

const NAME = new RegExp(`^${INSTALLER_PARAMETER_ROOT}/wave-12-mixed/[0-9a-f]{32}$`);
const puts = (trace: readonly TraceRecord[]) => trace.filter((r) => r.operation === 'PutParameter' && r.outcome === 'ok');
const key = (r: TraceRecord) => `${r.region} ${String(r.params.Name)}`;

/** Every staged parameter was deleted after it was written, in its own region. */
function expectAllDeleted(trace: readonly TraceRecord[]) {
  const staged = puts(trace);
  expect(staged.length).toBeGreaterThan(0);
  const left = staged.filter(
    (put) => !trace.some((r) => r.operation === 'DeleteParameter' && r.outcome === 'ok' && r.seq > put.seq && key(r) === key(put)),
  );
  expect(left.map(key)).toEqual([]);
}

describe('installer credentials parameter', () => {
  it('is written under the stack key at a random per-run path, and deleted when installs end', async () => {
    const first = await runSimulation([exampleWave()], scenarioWith({ approval: 'approve' }));
    const staged = puts(first.trace);
    for (const r of staged) {
      expect(r.params).toMatchObject({ Type: 'SecureString', KeyId: 'alias/MgnOrchestrator/installer-credentials' });
      expect(String(r.params.Name)).toMatch(NAME);
    }
    expectAllDeleted(first.trace);
    // deleted before any server waits for replication: as soon as the install phase ended
    const lastDelete = Math.max(...first.trace.filter((r) => r.operation === 'DeleteParameter').map((r) => r.seq));
    expect(first.trace.some((r) => r.operation === 'StartTest' && r.seq < lastDelete)).toBe(false);
    // another run of the same wave stages under another name
    const second = await runSimulation([exampleWave()], scenarioWith({ approval: 'approve' }));
    expect(new Set(puts(second.trace).map((r) => r.params.Name))).not.toEqual(new Set(staged.map((r) => r.params.Name)));
  });

  it('left behind by a run interrupted with the credentials staged, is deleted by the next run', async () => {
    const run = await runSimulation([exampleWave()], scenarioWith({ approval: 'approve', interruptions: [{ afterPhase: 'precheck' }] }));
    const report = run.report();
    expect(report.executions.map((e) => e.status)).toEqual(['ABORTED', 'SUCCEEDED']);
    // the aborted run staged its parameter and stopped before its install phase ended (no delete of its own)
    const abortedRunName = String(puts(run.trace)[0].params.Name);
    const deletes = run.trace.filter((r) => r.operation === 'DeleteParameter' && r.params.Name === abortedRunName);
    expect(deletes.length).toBeGreaterThan(0);
    expectAllDeleted(run.trace);
    expect(report.outcome).toBe('completed');
  });
});

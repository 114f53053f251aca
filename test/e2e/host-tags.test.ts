/**
 * Issue 12 item 3: Run Command reaches only instances carrying the deploy config's allowedTag.
 * With the scenario's hostTags.enforced the emulator refuses SendCommand naming an untagged target
 * with AccessDeniedException, as the step roles' `ssm:resourceTag` condition makes IAM answer.
 * - the example fleet (every source tagged) migrates 12/12 under enforcement: every source, test and
 *   cutover instance the flow commands carries the tag (the launch steps tag what MGN launches);
 * - examples/scenarios/untagged-source.json: the one untagged source (db-02, a managed instance) is
 *   set aside in preflight naming the tag and the fix, is sent nothing, and the other 11 migrate.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario } from '../../simulator/scenario';
import { cleanupRuns, exampleWave, okCalls, ROOT, runSimulation } from './harness';

afterAll(cleanupRuns);

const scenario = (name: string) => parseScenario(JSON.parse(readFileSync(join(ROOT, 'examples', 'scenarios', `${name}.json`), 'utf8')));
const targetsOf = (trace: Parameters<typeof okCalls>[0]) => trace.filter((r) => r.operation === 'SendCommand').flatMap((r) => r.params.InstanceIds as string[]);

describe('Run Command only to tagged instances', () => {
  it('the example fleet migrates 12/12 with IAM holding every SendCommand to the allowed tag', async () => {
    const run = await runSimulation([exampleWave()], scenario('default'));
    expect(run.report().outcome).toBe('completed');
    expect(run.report().servers.filter((s) => s.result === 'migrated')).toHaveLength(12);
    const sends = run.trace.filter((r) => r.operation === 'SendCommand');
    expect(sends.length).toBeGreaterThan(0);
    expect(sends.filter((r) => r.outcome !== 'ok').map((r) => `${r.outcome} ${JSON.stringify(r.params.InstanceIds)}`)).toEqual([]);
    // the verify steps commanded the launched instances too (so those carry the tag)
    expect(sends.some((r) => (r.params.InstanceIds as string[]).some((id) => id.startsWith('i-') && !exampleWave().servers.some((s) => s.source.type === 'ec2' && s.source.instanceId === id)))).toBe(true);
  });

  it('sets aside only the untagged source in preflight, naming the tag and the fix, and sends it nothing', async () => {
    const run = await runSimulation([exampleWave()], scenario('untagged-source'));
    const report = run.report();
    const db02 = run.server('db-02');
    expect(db02.result).toBe('failed');
    expect(db02.failure?.phase).toBe('preflight');
    expect(db02.failure?.reason).toContain('mgn-orchestrator:allowed=true');
    expect(db02.failure?.reason).toContain('aws ssm add-tags-to-resource');
    expect(db02.failure?.reason).toContain('mi-0a1b2c3d4e5f60702');
    expect(targetsOf(run.trace)).not.toContain('mi-0a1b2c3d4e5f60702');
    // IAM was never asked to refuse anything: preflight kept the untagged source out of every command
    expect(run.trace.filter((r) => r.outcome === 'AccessDeniedException')).toEqual([]);
    expect(report.servers.filter((s) => s.name !== 'db-02').map((s) => [s.name, s.result])).toEqual(
      report.servers.filter((s) => s.name !== 'db-02').map((s) => [s.name, 'migrated']),
    );
    expect(report.outcome).toBe('completed-with-failures');
  });
});

/**
 * MGN's own waves and applications, read from the emulator's trace: the wave's MGN wave and
 * applications are created once (a re-run finds them by name), servers are associated in calls of
 * at most 50 ids, and everything is archived once the servers are, after their MarkAsArchived.
 */
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { cleanupRuns, exampleWave, generatedWave, okCalls, runSimulation, scenarioWith, type TraceRecord } from './harness';

afterAll(cleanupRuns);

const ids = (r: TraceRecord, field: string): string[] => (Array.isArray(r.params[field]) ? (r.params[field] as string[]) : []);

/** The 12-server example with two named applications; the rest stay in the wave's default one. */
function groupedWave(): WaveManifest {
  const wave = exampleWave();
  const applicationOf = (i: number) => (i < 4 ? 'web tier' : i < 7 ? 'Payments DB' : undefined);
  return parseManifest({ ...wave, servers: wave.servers.map((s, i) => ({ ...s, ...(applicationOf(i) ? { application: applicationOf(i) } : {}) })) });
}

describe('MGN waves and applications', () => {
  it('are created once, associated ≤ 50 ids per call, archived after the servers; a re-run after finalize creates nothing twice', async () => {
    const wave = groupedWave();
    const run = await runSimulation([wave], scenarioWith({ interruptions: [{ afterPhase: 'replication' }, { afterPhase: 'finalize' }] }));
    const report = run.report();
    expect(report.executions.map((e) => e.interruptedAfterPhase)).toEqual(['replication', 'finalize', undefined]);
    expect(report.outcome).toBe('completed');

    // created once each, over three executions
    expect(okCalls(run.trace, 'mgn', 'CreateWave').map((r) => r.params.name)).toEqual([wave.waveId]);
    expect(okCalls(run.trace, 'mgn', 'CreateApplication').map((r) => r.params.name).sort()).toEqual(['Payments DB', wave.waveId, 'web tier'].sort());
    // MGN refused none of the grouping calls
    const grouping = ['CreateWave', 'CreateApplication', 'AssociateApplications', 'AssociateSourceServers', 'ArchiveApplication', 'ArchiveWave'];
    expect(run.trace.filter((r) => r.service === 'mgn' && grouping.includes(r.operation) && r.outcome !== 'ok').map((r) => `${r.operation} ${r.outcome}`)).toEqual([]);

    const waveId = okCalls(run.trace, 'mgn', 'AssociateApplications')[0].params.waveID as string;
    const associatedApps = okCalls(run.trace, 'mgn', 'AssociateApplications').flatMap((r) => ids(r, 'applicationIDs'));
    expect(associatedApps).toHaveLength(3);
    expect(new Set(associatedApps).size).toBe(3);

    // every server associated exactly once, in calls of at most 50 ids
    const associate = okCalls(run.trace, 'mgn', 'AssociateSourceServers');
    for (const call of associate) expect(ids(call, 'sourceServerIDs').length).toBeLessThanOrEqual(50);
    const associated = associate.flatMap((r) => ids(r, 'sourceServerIDs'));
    const serverIds = report.servers.map((s) => s.sourceServerId!);
    expect([...associated].sort()).toEqual([...serverIds].sort());

    // archived once each, after the last server was archived
    const archivedApps = okCalls(run.trace, 'mgn', 'ArchiveApplication');
    expect(archivedApps.map((r) => r.params.applicationID).sort()).toEqual([...associatedApps].sort());
    const archivedWave = okCalls(run.trace, 'mgn', 'ArchiveWave');
    expect(archivedWave.map((r) => r.params.waveID)).toEqual([waveId]);
    const lastServerArchived = Math.max(...okCalls(run.trace, 'mgn', 'MarkAsArchived').map((r) => r.seq));
    expect(Math.min(...archivedApps.map((r) => r.seq))).toBeGreaterThan(lastServerArchived);
    expect(archivedWave[0].seq).toBeGreaterThan(Math.max(...archivedApps.map((r) => r.seq)));

    // the report of the last run: found by name (not created), archived, with the servers each holds
    expect(report.mgn).toMatchObject({ wave: { id: waveId, name: wave.waveId, created: false, archived: true, arn: expect.stringMatching(new RegExp(`:wave/${waveId}$`)) }, problems: [] });
    expect(report.mgn!.applications.map((a) => [a.name, a.servers, a.archived, a.created]).sort()).toEqual(
      [
        ['Payments DB', 3, true, false],
        ['web tier', 4, true, false],
        [wave.waveId, 5, true, false],
      ].sort(),
    );
  }, 300_000);

  it('a wave of 120 servers in one application is associated in calls of at most 50 ids', async () => {
    // replication only: the associations happen there
    const generated = generatedWave('big120', 120, 0x7000);
    const wave = parseManifest({ ...generated, options: { ...generated.options, phases: { install: true, test: false, cutover: false, finalize: false, archive: false } } });
    const run = await runSimulation([wave], scenarioWith({ defaults: { diskGiB: 20, bandwidthMbps: 1000, installSeconds: 120 } }));
    const report = run.report();
    const associate = okCalls(run.trace, 'mgn', 'AssociateSourceServers');
    const sizes = associate.map((r) => ids(r, 'sourceServerIDs').length);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(50);
    expect(associate.length).toBeGreaterThanOrEqual(3);
    expect(new Set(associate.flatMap((r) => ids(r, 'sourceServerIDs'))).size).toBe(120);
    expect(new Set(associate.map((r) => r.params.applicationID)).size).toBe(1);
    expect(report.mgn!.applications).toEqual([expect.objectContaining({ name: 'big120', servers: 120, created: true, archived: false })]);
  }, 300_000);
});

/**
 * The install phase across regions and source kinds, end to end on the simulator (real emulator,
 * state machine and handlers): the documents are sent to SSM in each source's own region and must
 * exist there; installer credentials are read by each host in the region they were written in; each
 * source kind installs with the credentials it can use; an offline host sinks only itself.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { simulate, startRealEmulator } from '../../simulator/runner/session';
import { cleanupRuns, exampleWave, generatedWave, okCalls, readTrace, runSimulation, scenarioWith } from './harness';

afterAll(cleanupRuns);

const SOURCE = 'ap-southeast-1';

describe('a cross-region wave with installer-role credentials', () => {
  it('installs every EC2 source from its own region: documents there, credentials written and read there', async () => {
    const manifest = generatedWave('xr', 6, 0x1000); // EC2 sources in ap-southeast-1, target ap-south-1, installer-role
    expect(manifest.options.credentials).toBe('installer-role');
    const run = await runSimulation([manifest]);
    const report = run.report();
    expect(report.servers.map((s) => [s.name, s.result, s.failure?.reason])).toEqual(manifest.servers.map((s) => [s.name, 'migrated', undefined]));

    const installs = okCalls(run.trace, 'ssm', 'SendCommand').filter((r) => String(r.params.DocumentName).startsWith('MgnOrchestrator-Install'));
    expect(installs.length).toBeGreaterThan(0);
    for (const r of installs) {
      expect(r.region).toBe(SOURCE);
      const p = r.params.Parameters as Record<string, string[]>;
      expect(p.region).toEqual(['ap-south-1']); // MGN replicates to the target
      expect(p.credentialsParameter).toEqual([expect.stringMatching(/^\/mgn-orchestrator\/installer-credentials\/xr\/[0-9a-f]{32}$/)]);
      expect(p.credentialsRegion).toEqual([SOURCE]); // the host reads the SecureString where it was written
    }
    const puts = okCalls(run.trace, 'ssm', 'PutParameter');
    expect(puts.map((r) => r.region)).toEqual([SOURCE]);
    // and removed once the installs ended
    expect(okCalls(run.trace, 'ssm', 'DeleteParameter').map((r) => r.region)).toEqual([SOURCE]);
  });

  it('without the documents stack of the source region, those servers are set aside with the fix and the others migrate', async () => {
    const manifest = exampleWave(); // EC2 sources in ap-southeast-1, on-premises sources in ap-south-1
    const outDir = mkdtempSync(join(tmpdir(), 'mgn-e2e-nodocs-'));
    try {
      const session = await simulate({
        manifests: [manifest],
        scenario: scenarioWith(),
        outDir,
        // a deployment whose config lists no source region: documents in the target region only
        emulator: (o) => startRealEmulator({ ...o, documentRegions: { targetRegion: manifest.targetRegion, sourceRegions: [] } }),
      });
      const [wave] = session.waves;
      expect(wave.exitCode).toBe(3);
      const ec2 = manifest.servers.filter((s) => s.source.type === 'ec2').map((s) => s.name);
      for (const s of wave.report.servers) {
        if (ec2.includes(s.name))
          expect([s.result, s.failure?.phase, s.failure?.reason]).toEqual([
            'failed',
            'precheck',
            `SSM document MgnOrchestrator-Precheck does not exist in ${SOURCE} (InvalidDocument): deploy the stack's documents there (list ${SOURCE} in the deploy config's sourceRegions, then cdk deploy --all)`,
          ]);
        else expect([s.name, s.result]).toEqual([s.name, 'migrated']);
      }
      const refused = readTrace(join(outDir, 'trace.jsonl')).filter((r) => r.operation === 'SendCommand' && r.outcome === 'InvalidDocument');
      expect(refused.map((r) => r.region)).toEqual(expect.arrayContaining([SOURCE]));
    } finally {
      rmSync(outDir, { recursive: true, force: true });
    }
  });
});

describe('credentials per source kind', () => {
  it('left out: on-premises sources install with installer-role, EC2 sources with their instance profile; the wave migrates', async () => {
    const base = exampleWave();
    const manifest: WaveManifest = parseManifest({ ...base, waveId: 'kinds', options: { ...base.options, credentials: undefined } });
    expect(manifest.options.credentials).toBeUndefined();
    const run = await runSimulation([manifest]);
    expect(run.report().servers.filter((s) => s.result !== 'migrated')).toEqual([]);
    const installs = okCalls(run.trace, 'ssm', 'SendCommand').filter((r) => String(r.params.DocumentName).startsWith('MgnOrchestrator-Install'));
    for (const r of installs) {
      const p = r.params.Parameters as Record<string, string[]>;
      const ids = r.params.InstanceIds as string[];
      if (ids[0].startsWith('mi-')) expect([r.region, p.credentialsRegion]).toEqual(['ap-south-1', ['ap-south-1']]);
      else expect([r.region, p.credentialsParameter, p.credentialsRegion]).toEqual([SOURCE, [''], ['']]);
    }
    expect(okCalls(run.trace, 'ssm', 'PutParameter').map((r) => r.region)).toEqual(['ap-south-1']);
  });
});

describe('a host whose SSM agent went offline after its precheck', () => {
  it('fails only that host in install, naming its ping status; its batch-mates install and the wave migrates', async () => {
    // iis-01 and iis-02 share their install parameters: one install command names both
    const offline = exampleWave().servers.find((s) => s.name === 'iis-01')!;
    const offlineId = (offline.source as { instanceId: string }).instanceId;
    const run = await runSimulation([exampleWave()], scenarioWith({ servers: { 'iis-01': { fault: 'agent-offline' } } }));
    const report = run.report();
    const iis = run.server('iis-01');
    expect(iis.result).toBe('failed');
    expect(iis.failure!.phase).toBe('install');
    expect(iis.failure!.reason).toMatch(new RegExp(`^host ${offlineId} is ConnectionLost in SSM \\(ap-southeast-1, last ping .*\\), not Online: Run Command refuses commands naming it`));
    expect(report.servers.filter((s) => s.name !== 'iis-01').map((s) => [s.name, s.result])).toEqual(
      report.servers.filter((s) => s.name !== 'iis-01').map((s) => [s.name, 'migrated']),
    );
    // SSM refused the batch naming it once, and the same install went to the rest
    const refused = run.trace.filter((r) => r.operation === 'SendCommand' && r.outcome === 'InvalidInstanceId');
    expect(refused).toHaveLength(1);
    const retried = okCalls(run.trace, 'ssm', 'SendCommand').find((r) => r.seq > refused[0].seq)!;
    expect(refused[0].params.InstanceIds).toHaveLength(2);
    expect(retried.params.InstanceIds).toEqual((refused[0].params.InstanceIds as string[]).filter((id) => id !== offlineId));
    expect(okCalls(run.trace, 'ssm', 'DescribeInstanceInformation').some((r) => r.seq > refused[0].seq)).toBe(true);
  });
});

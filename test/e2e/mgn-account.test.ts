/**
 * MGN account state, end to end (real emulator, real state machine, real handlers): an account where
 * MGN was never initialized in the target region ends the wave in preflight with the remedy and no
 * mutating call; preflight changes only the stack's own replication template, and brings the wave's
 * servers MGN already knows to the isolated-network replication settings (template settings reach
 * only servers added later: MGN user guide, "Replication settings").
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STACK_TEMPLATE_TAG } from '../../functions/lib/flow/preflight';
import type { Emulator, TraceEntry } from '../../simulator/emulator';
import { simulate, startRealEmulator } from '../../simulator/runner/session';
import { cleanupRuns, exampleWave, readTrace, scenarioWith } from './harness';

afterAll(cleanupRuns);

const wave = exampleWave();

async function run(extra: Record<string, unknown>, seed?: (emulator: Emulator) => void) {
  const outDir = mkdtempSync(join(tmpdir(), 'mgn-account-'));
  let emulator: Emulator | undefined;
  const session = await simulate({
    manifests: [wave],
    scenario: scenarioWith(extra),
    outDir,
    emulator: async (options) => {
      const started = await startRealEmulator(options);
      emulator = started as unknown as Emulator;
      seed?.(emulator);
      return started;
    },
  });
  const trace = readTrace(join(outDir, 'trace.jsonl')) as unknown as TraceEntry[];
  return { session, trace, emulator: emulator! };
}

describe('MGN account state', () => {
  it('MGN never initialized: preflight ends the wave with how to initialize it, and no service is changed', async () => {
    const { session, trace } = await run({ account: { mgnInitialized: false } });
    const report = session.waves[0].report as typeof session.waves[0]['report'] & { stoppedBy?: { error: string; cause: string } };
    expect(report.outcome).toBe('failed');
    expect(report.stoppedBy?.error).toBe('MgnNotInitializedError');
    expect(report.stoppedBy?.cause).toContain(`aws mgn initialize-service --region ${wave.targetRegion}`);
    expect(report.stoppedBy?.cause).toContain('Get started');
    expect(report.stoppedBy?.cause).toContain('Nothing was changed');
    // every MGN call was refused as AWS refuses it; nothing but the run's own bookkeeping in the wave bucket and its notice was written
    const mgn = trace.filter((t) => t.service === 'mgn');
    expect(mgn.length).toBeGreaterThan(0);
    expect(mgn.filter((t) => t.outcome !== 'UninitializedAccountException')).toEqual([]);
    const changes = trace.filter((t) => t.mutating && t.outcome === 'ok' && !['s3', 'sns', 'states'].includes(t.service));
    expect(changes.map((t) => `${t.service}:${t.operation}`)).toEqual([]);
    expect(trace.filter((t) => t.service === 'ssm' || t.service === 'ec2').filter((t) => t.mutating)).toEqual([]);
  });

  it("changes only the stack's template, leaves a foreign one as it was, and fixes the known servers' replication settings once", async () => {
    const foreign = {
      replicationConfigurationTemplateID: 'rct-0123456789abcdef0',
      arn: '',
      region: wave.targetRegion,
      settings: { dataPlaneRouting: 'PUBLIC_IP', createPublicIP: true, stagingAreaSubnetId: 'subnet-0aaaaaaaaaaaaaaaa', replicationServersSecurityGroupsIDs: [], associateDefaultSecurityGroup: true },
      tags: { team: 'someone-else' },
    };
    const before = structuredClone(foreign);
    // the foreign template is the region's first: servers MGN adds take its (public) settings;
    // the run is interrupted after install, so the resumed run's preflight finds them known to MGN
    const { session, trace, emulator } = await run({ interruptions: [{ afterPhase: 'install' }] }, (e) => {
      e.fleet.templates.set(foreign.replicationConfigurationTemplateID, { ...foreign, arn: `arn:aws:mgn:${wave.targetRegion}:111122223333:replication-configuration-template/${foreign.replicationConfigurationTemplateID}` });
    });
    const report = session.waves[0].report;
    expect(report.outcome).toBe('completed');
    expect(report.servers.filter((s) => s.result !== 'migrated')).toEqual([]);

    const templates = [...emulator.fleet.templates.values()].filter((t) => t.region === wave.targetRegion);
    const left = templates.find((t) => t.replicationConfigurationTemplateID === foreign.replicationConfigurationTemplateID)!;
    expect({ settings: left.settings, tags: left.tags }).toEqual({ settings: before.settings, tags: before.tags });
    const ours = templates.filter((t) => t.tags?.[STACK_TEMPLATE_TAG] === emulator.stack.stagingSubnetId);
    expect(ours).toHaveLength(1);
    const templateWrites = trace.filter((t) => t.service === 'mgn' && /ReplicationConfigurationTemplate$/.test(t.operation) && t.mutating);
    expect(templateWrites.map((t) => t.operation)).toEqual(['CreateReplicationConfigurationTemplate']);

    // every server ends with the isolated settings, each written exactly once (the resumed run)
    for (const s of emulator.fleet.sourceServers.values()) {
      expect(s.replicationConfiguration).toMatchObject({
        dataPlaneRouting: 'PRIVATE_IP',
        createPublicIP: false,
        stagingAreaSubnetId: emulator.stack.stagingSubnetId,
        replicationServersSecurityGroupsIDs: [emulator.stack.securityGroupIds.replication],
        associateDefaultSecurityGroup: false,
      });
    }
    const updates = trace.filter((t) => t.operation === 'UpdateReplicationConfiguration' && t.outcome === 'ok');
    const perServer = new Map<string, number>();
    for (const u of updates) {
      const id = (u.params as { sourceServerID: string }).sourceServerID;
      perServer.set(id, (perServer.get(id) ?? 0) + 1);
    }
    expect([...perServer.values()].every((n) => n === 1)).toBe(true);
    expect(perServer.size).toBe(wave.servers.length);
  });
});

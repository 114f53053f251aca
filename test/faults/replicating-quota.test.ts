/**
 * The replicating-servers quota (Service Quotas mgn/L-9A599620; 150 on a fresh account), on the
 * emulator with the real state machine and handlers:
 * - a wave larger than the quota can never replicate all at once: preflight refuses it with the
 *   numbers and the remedy, and nothing is sent to any host or changed in MGN;
 * - a wave that fits only once another wave's servers stop replicating: its installs wait, then
 *   proceed; the report says how long each server waited.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseScenario } from '../../simulator/scenario';
import { simulate } from '../../simulator/runner/session';
import { installAll, runUntil } from '../simulator/emulator-fixtures';
import { keptEmulator } from '../e2e/harness';
import { faultWave } from './harness';
import { readTraceFile } from './trace-file';

const FAST = { diskGiB: 40, bandwidthMbps: 1000, installSeconds: 120 };
let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'mgn-quota-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('the replicating-servers quota', () => {
  it('refuses in preflight a wave larger than the quota, naming the numbers and the remedy, touching nothing', async () => {
    const dir = join(out, 'too-big');
    const manifest = faultWave('too-big', 7);
    const session = await simulate({ manifests: [manifest], scenario: parseScenario({ seed: 3, defaults: FAST, quotas: { replicatingServers: 6 } }), outDir: dir });
    const report = session.waves[0].report;
    expect(report.outcome).toBe('failed');
    expect(report.servers.map((s) => s.result)).toEqual(manifest.servers.map(() => 'skipped'));
    const trace = readTraceFile(join(dir, 'trace.jsonl'));
    // the operator's notification carries the wave report's stoppedBy
    const why = String(trace.find((t) => t.operation === 'Publish')?.params.Message);
    expect(why).toContain('ReplicatingQuotaError');
    expect(why).toMatch(/7 servers.*at most 6 source servers/);
    expect(why).toContain('L-9A599620');
    expect(why).toContain('split the wave');
    expect(trace.filter((t) => t.operation === 'GetServiceQuota').map((t) => t.outcome)).toEqual(['ok']);
    // nothing touched: no command to a host, no template written, no parameter staged (only the run's records and its notification)
    expect(trace.filter((t) => t.mutating && t.service !== 's3' && t.service !== 'sns')).toEqual([]);
  }, 120_000);

  it('holds a wave that fits only once another wave stops replicating, admits it then, and reports how long each server waited', async () => {
    const dir = join(out, 'waits');
    const manifest = faultWave('quota-b', 6, 6);
    const other = faultWave('quota-a', 5, 0);
    const scenario = parseScenario({ seed: 4, defaults: FAST, quotas: { replicatingServers: 8 } });
    const FREED_AFTER_MS = 3 * 3600 * 1000;
    let freedAt = 0;
    // the account already replicates another wave's 5 servers (8 - 5 < 6): they stop replicating 3 h later
    const { factory: emulator } = keptEmulator(async (em) => {
      em.addWave(other, scenario);
      await installAll(em, other);
      await runUntil(em, () => em.fleet.replicatingIn(other.targetRegion) === other.servers.length);
      const freeAt = em.clock.now() + FREED_AFTER_MS;
      em.clock.onAdvance((now) => {
        if (freedAt || now < freeAt) return;
        freedAt = now;
        for (const s of em.fleet.sourceServers.values()) if (s.record.waveId === other.waveId) em.fleet.disconnectFromService(s.region, s.sourceServerID);
      });
    });
    const session = await simulate({ manifests: [manifest], scenario, outDir: dir, emulator });
    const report = session.waves[0].report;
    expect(report.servers.filter((s) => s.failure).map((s) => [s.name, s.failure])).toEqual([]);
    expect(report.outcome).toBe('completed');
    expect(freedAt).toBeGreaterThan(0);
    for (const s of report.servers) {
      const waited = (s as { waitedForQuotaSeconds?: number }).waitedForQuotaSeconds;
      // every server waited (all or nothing), about until the other wave stopped replicating
      expect(waited).toBeGreaterThan(0);
      expect(waited!).toBeLessThanOrEqual(FREED_AFTER_MS / 1000 + 600);
      expect(s.timeline.some((e) => e.phase === 'install' && e.status === 'waiting-for-quota')).toBe(true);
    }
    // the emulator never had to refuse a registration: the flow admitted only what fits
    const trace = readTraceFile(join(dir, 'trace.jsonl'));
    expect(trace.filter((t) => t.operation === 'GetServiceQuota').length).toBeGreaterThan(1);
  }, 180_000);
});

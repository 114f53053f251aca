/**
 * A server disconnected from MGN before its cutover (an operator's DisconnectFromService) is not
 * migrated. MGN's DISCONNECTED says only that replication stopped; a migrated server is one whose
 * last cutover was finalized (lifeCycle.lastCutover.finalized). The disconnected server fails with a
 * reason that says what to do, the rest of the wave migrates, and a re-run after the operator
 * archived it installs the host afresh instead of skipping it as migrated.
 *
 * The disconnect happens where an operator would do it: in the emulated MGN, between two executions
 * of the wave (the scenario interrupts the first after replication).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../simulator/emulator';
import { simulate, type WaveProgress } from '../../simulator/runner/session';
import { parseScenario, type PhaseName } from '../../simulator/scenario';
import { keptEmulator } from '../e2e/harness';
import { faultWave } from './harness';
import { acceptedCallsPerServer, readTraceFile } from './trace-file';

const FAST = { diskGiB: 40, bandwidthMbps: 1000, installSeconds: 120 };
const REGION = 'ap-south-1';
let out: string;
beforeAll(() => {
  out = mkdtempSync(join(tmpdir(), 'mgn-disconnected-'));
});
afterAll(() => rmSync(out, { recursive: true, force: true }));

type Act = (act: { emulator: Emulator; idOf: (server: string) => string }) => void;
/** Execution n of the wave has started (n = 2, 3 ...: the re-runs after interruptions). */
const execution = (n: number) => (p: WaveProgress) => p.execution.endsWith(`-sim-${n}`);

/**
 * Runs a 4-server wave interrupted after each of `interruptions`; each operator step acts once on
 * the emulated MGN at the first progress report `when` holds for, given the source server id of a
 * server by name.
 */
async function runWithOperator(
  name: string,
  interruptions: PhaseName[],
  operator: { when: (progress: WaveProgress) => boolean; act: Act }[],
) {
  const manifest = faultWave(name, 4);
  const kept = keptEmulator();
  const acted = new Set<number>();
  const idOf = (server: string) => {
    const record = kept.emulator().fleet.records.find((r) => r.waveId === name && r.spec.name === server);
    if (!record?.sourceServerId) throw new Error(`${server} has no source server`);
    return record.sourceServerId;
  };
  const dir = join(out, name);
  const session = await simulate({
    manifests: [manifest],
    scenario: parseScenario({
      seed: 3,
      defaults: FAST,
      interruptions: interruptions.map((afterPhase) => ({ afterPhase })),
    }),
    outDir: dir,
    emulator: kept.factory,
    onProgress: (progress) => {
      const step = operator.findIndex((o, i) => !acted.has(i) && o.when(progress));
      if (step < 0) return;
      acted.add(step);
      operator[step].act({ emulator: kept.emulator(), idOf });
    },
  });
  expect(acted.size).toBe(operator.length);
  return { manifest, report: session.waves[0].report, trace: readTraceFile(join(dir, 'trace.jsonl')) };
}

describe('a server disconnected from MGN before its cutover', () => {
  it('fails with the reason and what to do; it is never launched, finalized or archived; the rest migrate', async () => {
    let disconnectedId = '';
    const { manifest, report, trace } = await runWithOperator(
      'disconnected-1',
      ['replication'],
      [
        {
          when: execution(2),
          act: ({ emulator, idOf }) => {
            disconnectedId = idOf('srv-002');
            const server = emulator.fleet.disconnectFromService(REGION, disconnectedId);
            expect(server.lifeCycle).toBe('DISCONNECTED');
          },
        },
      ],
    );

    const srv2 = report.servers.find((s) => s.name === 'srv-002')!;
    expect(srv2).toMatchObject({
      result: 'failed',
      sourceServerId: disconnectedId,
      finalLifecycleState: 'DISCONNECTED',
      failure: { phase: 'preflight' },
    });
    expect(srv2.failure!.reason).toMatch(/^MGN lifecycle DISCONNECTED with no finalized cutover: /);
    expect(srv2.failure!.reason).toMatch(
      /reinstall the agent on the source or archive the source server in MGN, then re-run the wave$/,
    );
    expect(report.outcome).toBe('completed-with-failures');
    expect(report.servers.filter((s) => s.name !== 'srv-002').map((s) => [s.name, s.result])).toEqual(
      manifest.servers.filter((s) => s.name !== 'srv-002').map((s) => [s.name, 'migrated']),
    );
    for (const op of ['StartTest', 'StartCutover', 'FinalizeCutover', 'MarkAsArchived'])
      expect({ op, calls: acceptedCallsPerServer(trace, op).get(disconnectedId) ?? 0 }).toEqual({
        op,
        calls: 0,
      });
  }, 120_000);

  it('is not taken for migrated on a re-run: once archived, the host is installed and migrated afresh', async () => {
    let oldId = '';
    const { manifest, report, trace } = await runWithOperator(
      'disconnected-2',
      ['replication', 'report'],
      [
        {
          when: execution(2),
          act: ({ emulator, idOf }) => {
            oldId = idOf('srv-002');
            emulator.fleet.disconnectFromService(REGION, oldId);
          },
        },
        // after the second run failed it, the operator archives it as the reason says
        { when: execution(3), act: ({ emulator }) => void emulator.fleet.markAsArchived(REGION, oldId) },
      ],
    );

    const srv2 = report.servers.find((s) => s.name === 'srv-002')!;
    expect(srv2.result).toBe('migrated');
    expect(srv2.sourceServerId).not.toBe(oldId);
    expect(report.servers.map((s) => [s.name, s.result])).toEqual(
      manifest.servers.map((s) => [s.name, 'migrated']),
    );
    // the others were migrated by the second run and taken as such by the third: one cutover each
    const cutovers = acceptedCallsPerServer(trace, 'FinalizeCutover');
    expect(cutovers.get(oldId)).toBeUndefined();
    expect([...cutovers.values()]).toEqual([1, 1, 1, 1]);
  }, 120_000);

  it('disconnected while replicating, fails in the replication phase at once instead of waiting for the timeout', async () => {
    let disconnectedId = '';
    const { report } = await runWithOperator(
      'disconnected-3',
      [],
      [
        {
          // every agent is installed and the wave is waiting for replication
          when: (p) => p.lastCompletedPhase === 'install',
          act: ({ emulator, idOf }) => {
            disconnectedId = idOf('srv-001');
            emulator.fleet.disconnectFromService(REGION, disconnectedId);
          },
        },
      ],
    );
    const srv1 = report.servers.find((s) => s.name === 'srv-001')!;
    expect(srv1).toMatchObject({
      result: 'failed',
      sourceServerId: disconnectedId,
      failure: { phase: 'replication' },
    });
    expect(srv1.failure!.reason).toMatch(/^MGN lifecycle DISCONNECTED with no finalized cutover/);
    // set aside on the first poll after the disconnect, not after options.replicationTimeoutHours (24h)
    const failedAt = Date.parse(srv1.timeline.find((t) => t.status === 'failed')!.at);
    const replicationStarted = Date.parse(srv1.timeline.find((t) => t.phase === 'replication')!.at);
    expect((failedAt - replicationStarted) / 3_600_000).toBeLessThan(2);
    expect(report.servers.filter((s) => s.name !== 'srv-001').every((s) => s.result === 'migrated')).toBe(
      true,
    );
  }, 120_000);
});

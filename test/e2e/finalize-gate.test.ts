/**
 * The finalize gate (issue 13) end to end on the emulator: each answer of the second approval, the
 * re-run that resumes at the gate after a rejection, and `mgnctl simulate`'s exit code 3 for
 * rejected and reverted waves (a contract: README, "Exit codes").
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../../simulator/emulator';
import { simulate, startRealEmulator, type EmulatorFactory } from '../../simulator/runner/session';
import { parseScenario } from '../../simulator/scenario';
import { callsPerServer, exampleWave, okCalls, readTrace, ROOT, type TraceRecord } from './harness';

let out: string;
beforeAll(() => (out = mkdtempSync(join(tmpdir(), 'mgn-finalize-'))));
afterAll(() => rmSync(out, { recursive: true, force: true }));

const exampleScenario = (name: string) => parseScenario(JSON.parse(readFileSync(join(ROOT, 'examples', 'scenarios', `${name}.json`), 'utf8')));

/** Runs the 12-server example wave under an example scenario, keeping the emulator to look at its fleet afterwards. */
async function run(name: string) {
  let emulator: Emulator | undefined;
  const factory: EmulatorFactory = async (options) => {
    const started = await startRealEmulator(options);
    emulator = started as unknown as Emulator;
    return started;
  };
  const dir = join(out, name);
  const session = await simulate({ manifests: [exampleWave()], scenario: exampleScenario(name), outDir: dir, emulator: factory });
  const trace = readTrace(join(dir, 'trace.jsonl'));
  const wave = session.waves[0];
  return { wave, report: wave.report, trace, fleet: emulator!.fleet };
}

/** The subjects of the approval requests SNS published, in order. */
const approvalSubjects = (trace: readonly TraceRecord[]) =>
  okCalls(trace, 'sns', 'Publish')
    .map((r) => String(r.params.Subject ?? ''))
    .filter((s) => s.startsWith('Approval needed'));

describe('finalize gate on the emulator', () => {
  it('approve: asked after the cutover gate, naming its gate; every server migrated and archived', async () => {
    const { wave, report, trace, fleet } = await run('default');
    expect(wave.exitCode).toBe(0);
    expect(report.outcome).toBe('completed');
    expect(approvalSubjects(trace)).toEqual([
      'Approval needed: cutover of wave wave-12-mixed (cutover gate)',
      'Approval needed: finalize the cutover of wave wave-12-mixed (finalize gate)',
    ]);
    expect(report.servers.every((s) => s.result === 'migrated')).toBe(true);
    for (const s of report.servers) expect(fleet.sourceServers.get(s.sourceServerId!)).toMatchObject({ lifeCycle: 'CUTOVER', isArchived: true });
  });

  it('reject: every server stays cut over (CUTTING_OVER), not finalized, cutover instances running; outcome rejected, awaiting finalize', async () => {
    const { wave, report, trace, fleet } = await run('finalize-reject');
    expect(wave.exitCode).toBe(3);
    expect(report.outcome).toBe('rejected');
    expect(report.stoppedBy?.error).toBe('ApprovalRejected');
    expect(report.awaitingFinalize?.servers).toHaveLength(12);
    expect(report.servers.map((s) => [s.result, s.finalLifecycleState])).toEqual(report.servers.map(() => ['skipped', 'CUTTING_OVER']));
    expect(okCalls(trace, 'mgn', 'FinalizeCutover')).toEqual([]);
    expect(okCalls(trace, 'mgn', 'MarkAsArchived')).toEqual([]);
    for (const s of report.servers) {
      const server = fleet.sourceServers.get(s.sourceServerId!)!;
      expect(server.lastCutover.finalized).toBeUndefined();
      expect(server.replication.state).toBe('CONTINUOUS');
      expect(fleet.instances.get(server.launchedInstance!.ec2InstanceID)?.state).toBe('running');
    }
  });

  it('reject, then a re-run approved at the finalize gate: resumes at the gate, launches nothing again, finalizes each server once', async () => {
    const { wave, report, trace } = await run('finalize-reject-rerun');
    expect(wave.exitCode).toBe(0);
    expect(report.outcome).toBe('completed');
    expect(report.executions.map((e) => [e.name, e.status])).toEqual([
      ['wave-12-mixed-sim-1', 'SUCCEEDED'],
      ['wave-12-mixed-sim-rerun-1', 'SUCCEEDED'],
    ]);
    expect(report.servers.every((s) => s.result === 'migrated')).toBe(true);
    // the re-run asked only the finalize gate: its servers were all cutting over already
    expect(approvalSubjects(trace)).toEqual([
      'Approval needed: cutover of wave wave-12-mixed (cutover gate)',
      'Approval needed: finalize the cutover of wave wave-12-mixed (finalize gate)',
      'Approval needed: finalize the cutover of wave wave-12-mixed (finalize gate)',
    ]);
    const ids = report.servers.map((s) => s.sourceServerId!);
    for (const op of ['StartTest', 'StartCutover', 'FinalizeCutover'] as const) {
      const calls = callsPerServer(trace, op);
      expect({ op, counts: ids.map((id) => calls.get(id)) }).toEqual({ op, counts: ids.map(() => 1) });
    }
    expect(okCalls(trace, 'mgn', 'TerminateTargetInstances').filter((r) => r.virtualTime > okCalls(trace, 'mgn', 'StartCutover')[0].virtualTime)).toEqual([]);
  });

  it('revert: every server back to READY_FOR_CUTOVER still replicating, no cutover instance left running, sources kept; outcome reverted', async () => {
    const { wave, report, trace, fleet } = await run('finalize-revert');
    expect(wave.exitCode).toBe(3);
    expect(report.outcome).toBe('reverted');
    expect(report.stoppedBy?.error).toBe('RevertRequested');
    expect(report.servers.map((s) => [s.result, s.finalLifecycleState])).toEqual(report.servers.map(() => ['reverted', 'READY_FOR_CUTOVER']));
    expect(okCalls(trace, 'mgn', 'FinalizeCutover')).toEqual([]);
    const cutovers = [...fleet.instances.values()].filter((i) => i.purpose === 'cutover');
    expect(cutovers).toHaveLength(12);
    expect(cutovers.filter((i) => i.state !== 'terminated' && i.state !== 'shutting-down').map((i) => i.instanceId)).toEqual([]);
    for (const s of report.servers) {
      const server = fleet.sourceServers.get(s.sourceServerId!)!;
      expect(server).toMatchObject({ lifeCycle: 'READY_FOR_CUTOVER', isArchived: false });
      expect(server.replication.state).toBe('CONTINUOUS');
      expect(server.lastCutover.reverted).toBeDefined();
      expect(server.lastCutover.finalized).toBeUndefined();
    }
    // the EC2 sources still run; nothing terminated them
    const sources = [...fleet.instances.values()].filter((i) => i.purpose === 'source');
    expect(sources.length).toBeGreaterThan(0);
    expect(sources.every((i) => i.state === 'running')).toBe(true);
  });
});

function mgnctl(args: string[]): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin', 'mgnctl.cjs'), ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.resume();
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

describe('mgnctl simulate exit codes at the finalize gate (contract)', () => {
  it.each([
    ['finalize-reject', 'rejected'],
    ['finalize-revert', 'reverted'],
  ])('%s exits 3 with outcome %s', async (scenario, outcome) => {
    const dir = join(out, `cli-${scenario}`);
    const { code } = await mgnctl(['simulate', join(ROOT, 'examples', 'waves', 'wave-12-mixed.json'), '--scenario', join(ROOT, 'examples', 'scenarios', `${scenario}.json`), '--out', dir]);
    expect(code).toBe(3);
    expect(JSON.parse(readFileSync(join(dir, 'wave-12-mixed', 'report.json'), 'utf8')).outcome).toBe(outcome);
  });
});

/**
 * Shared harness of the end-to-end tests: the real emulator, the real state machine and the real
 * handlers through `simulate()`, outputs in a temporary folder, and readers for what a run leaves
 * behind (report.json, report.html, trace.jsonl).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import type { Emulator } from '../../simulator/emulator';
import { simulate, startRealEmulator, type EmulatorFactory, type SimulationSession } from '../../simulator/runner/session';
import { parseScenario } from '../../simulator/scenario';
import type { ServerReport, SimulationReport } from '../../simulator/report/types';

export const ROOT = join(__dirname, '..', '..');

/** The 12-server example wave (4 Linux EC2, 3 Linux on-prem, 2 Windows EC2, 3 Windows on-prem). */
export const exampleWave = (): WaveManifest =>
  parseManifest(JSON.parse(readFileSync(join(ROOT, 'examples', 'waves', 'wave-12-mixed.json'), 'utf8')));

/**
 * The fleet the examples' scenarios share (seed, disks, bandwidth, install time), plus `extra`.
 */
export const scenarioWith = (extra: Record<string, unknown> = {}) =>
  parseScenario({ seed: 42, defaults: { diskGiB: 150, bandwidthMbps: 250, installSeconds: 240 }, ...extra });

export interface TraceRecord {
  readonly seq: number;
  readonly virtualTime: string;
  readonly service: string;
  readonly operation: string;
  readonly region: string;
  readonly params: Record<string, unknown>;
  readonly outcome: string;
  readonly status: number;
}

export interface Run {
  readonly session: SimulationSession;
  readonly outDir: string;
  readonly trace: readonly TraceRecord[];
  readonly report: (waveId?: string) => SimulationReport;
  readonly server: (name: string, waveId?: string) => ServerReport;
}

const tmpDirs: string[] = [];

/** Removes every output folder `runSimulation` made (call in afterAll). */
export const cleanupRuns = () => {
  for (const d of tmpDirs.splice(0)) rmSync(d, { recursive: true, force: true });
};

export async function runSimulation(manifests: readonly WaveManifest[], scenario = scenarioWith()): Promise<Run> {
  const outDir = mkdtempSync(join(tmpdir(), 'mgn-e2e-'));
  tmpDirs.push(outDir);
  const session = await simulate({ manifests, scenario, outDir });
  const trace = readTrace(join(outDir, 'trace.jsonl'));
  const report = (waveId = manifests[0].waveId) => {
    const wave = session.waves.find((w) => w.waveId === waveId);
    if (!wave) throw new Error(`no wave ${waveId} in the session`);
    return wave.report;
  };
  const server = (name: string, waveId?: string) => {
    const s = report(waveId).servers.find((x) => x.name === name);
    if (!s) throw new Error(`no server ${name} in the report`);
    return s;
  };
  return { session, outDir, trace, report, server };
}

export function readTrace(path: string): TraceRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as TraceRecord);
}

export type LaunchOperation = 'StartTest' | 'StartCutover' | 'FinalizeCutover';

/** How many times each source server was named in a successful call of `operation` (from trace.jsonl). */
export function callsPerServer(trace: readonly TraceRecord[], operation: LaunchOperation): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of trace) {
    if (r.service !== 'mgn' || r.operation !== operation || r.outcome !== 'ok') continue;
    const ids = Array.isArray(r.params.sourceServerIDs)
      ? (r.params.sourceServerIDs as string[])
      : typeof r.params.sourceServerID === 'string'
        ? [r.params.sourceServerID]
        : [];
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Successful calls per "<service>:<Operation>" in the trace. */
export const okCalls = (trace: readonly TraceRecord[], service: string, operation: string) =>
  trace.filter((r) => r.service === service && r.operation === operation && r.outcome === 'ok');

/** `n` generated Linux EC2 servers with distinct instance ids, names `<prefix>-<i>`. */
export function generatedWave(waveId: string, n: number, idBase: number, targetRegion = 'ap-south-1'): WaveManifest {
  const servers = Array.from({ length: n }, (_, i) => ({
    name: `${waveId}-srv-${String(i + 1).padStart(3, '0')}`,
    os: i % 5 === 4 ? 'windows' : 'linux',
    source: { type: 'ec2', instanceId: `i-${(idBase + i).toString(16).padStart(17, '0')}`, region: 'ap-southeast-1' },
    checks: [{ type: 'tcp', port: i % 5 === 4 ? 443 : 80 }],
  }));
  return parseManifest({
    waveId,
    targetRegion,
    endpoints: {
      mgn: `vpce-0a1b2c3d4e5f60718-abcd1234.mgn.${targetRegion}.vpce.amazonaws.com`,
      s3: `*.vpce-0f1e2d3c4b5a69788-efgh5678.s3.${targetRegion}.vpce.amazonaws.com`,
    },
    options: { approval: 'required', pollIntervalSeconds: 60, replicationTimeoutHours: 48, credentials: 'installer-role' },
    servers,
  });
}

/**
 * An emulator factory for `simulate()` that keeps the real emulator it starts, for the test to read
 * (`emulator()`, after the session started it); `setup` runs on it before the session uses it.
 */
export function keptEmulator(setup?: (em: Emulator) => Promise<void> | void): { factory: EmulatorFactory; emulator(): Emulator } {
  let kept: Emulator | undefined;
  return {
    factory: async (options) => {
      const started = await startRealEmulator(options);
      kept = started as unknown as Emulator;
      await setup?.(kept);
      return started;
    },
    emulator: () => {
      if (!kept) throw new Error('the session has not started its emulator');
      return kept;
    },
  };
}

/** A trace record with the step that made the call (simulate() tags each). */
export type StepTraceRecord = TraceRecord & { caller?: { step?: string } };

/** One simulation of an example scenario (examples/scenarios/<file>), with what it left behind. */
export interface ExampleScenarioRun {
  readonly session: SimulationSession;
  readonly emulator: Emulator;
  readonly trace: StepTraceRecord[];
  readonly outDir: string;
}

/** Runs `manifests` under the example scenario `file` on the real emulator, in a fresh temporary folder. */
export async function simulateExampleScenario(file: string, manifests: readonly WaveManifest[]): Promise<ExampleScenarioRun> {
  const outDir = mkdtempSync(join(tmpdir(), `mgn-${file.replace(/\.json$/, '')}-`));
  const kept = keptEmulator();
  const session = await simulate({
    manifests: [...manifests],
    scenario: parseScenario(JSON.parse(readFileSync(join(ROOT, 'examples', 'scenarios', file), 'utf8'))),
    outDir,
    emulator: kept.factory,
  });
  return { session, emulator: kept.emulator(), trace: readTrace(join(outDir, 'trace.jsonl')) as StepTraceRecord[], outDir };
}

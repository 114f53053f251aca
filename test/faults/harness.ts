/**
 * The fault matrix: waves run through the real simulator path (`simulate()`: emulator, state
 * machine, handlers) with faults, throttling and chaos switched on, each run checked against the
 * invariants of issue 7. Shared by `npm run test:faults` (the full matrix) and jest (a reduced one).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WaveManifest } from '../../functions/lib/manifest';
import { parseManifest } from '../../functions/lib/manifest';
import { FAULT_KINDS, FAULT_PHASE, parseScenario, type FaultKind, type Scenario } from '../../simulator/scenario';
import { simulate } from '../../simulator/runner/session';
import type { SimulationReport } from '../../simulator/report/types';

export type Chaos = NonNullable<Scenario['chaos']>;

export interface FaultCase {
  readonly name: string;
  readonly faults: Readonly<Record<string, FaultKind>>;
  readonly throttle: number;
  readonly seed: number;
  readonly chaos?: Chaos;
  readonly servers?: number;
}

export interface CaseResult {
  readonly name: string;
  readonly servers: number;
  readonly faultsInjected: number;
  readonly serversLost: number;
  readonly duplicateLaunches: number;
  readonly violations: readonly string[];
  readonly outcome: string;
  readonly wallMs: number;
  /** What the emulator and runner injected, from trace.jsonl and the runner's counters. */
  readonly injected: Readonly<Record<string, number>>;
}

/** Trace outcomes that are chaos or throttling, not answers of the fleet. */
const INJECTED_OUTCOMES: Readonly<Record<string, string>> = {
  ThrottlingException: 'throttled',
  Throttling: 'throttled',
  RequestLimitExceeded: 'throttled',
  SlowDown: 'throttled',
  InternalServerException: 'internal-errors',
  InternalServerError: 'internal-errors',
  InternalError: 'internal-errors',
  InternalFailure: 'internal-errors',
  ConnectionDropped: 'dropped-connections',
  SlowResponseAbandoned: 'lambda-timeouts',
};

function injectedFrom(traceFile: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of readFileSync(traceFile, 'utf8').split('\n')) {
    if (!line) continue;
    const kind = INJECTED_OUTCOMES[(JSON.parse(line) as { outcome: string }).outcome];
    if (kind) counts[kind] = (counts[kind] ?? 0) + 1;
  }
  return counts;
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/**
 * A mixed wave: Linux and Windows, EC2 sources in another region and on-premises (mi-) sources,
 * every server with a smoke check so a test-check fault has something to fail.
 */
export function faultWave(waveId: string, count = 8, idOffset = 0): WaveManifest {
  const servers = Array.from({ length: count }, (_, i) => {
    const os = i % 3 === 2 ? 'windows' : 'linux';
    const n = i + idOffset;
    const onprem = i % 2 === 1;
    return {
      name: `srv-${String(n + 1).padStart(3, '0')}`,
      os,
      source: onprem
        ? { type: 'onprem', managedInstanceId: `mi-${hex(0xa00000 + n, 17)}`, hostname: `srv-${n + 1}.corp.example.com` }
        : { type: 'ec2', instanceId: `i-${hex(0xb00000 + n, 17)}`, region: 'ap-southeast-1' },
      tags: { Wave: waveId },
      checks: [os === 'windows' ? { type: 'service', name: 'W3SVC' } : { type: 'tcp', port: 22 }],
    };
  });
  return parseManifest({
    waveId,
    targetRegion: 'ap-south-1',
    endpoints: {
      mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com',
      s3: 'vpce-0f1e2d3c4b5a69788-efgh5678.s3.ap-south-1.vpce.amazonaws.com',
    },
    servers,
    options: { approval: 'required', pollIntervalSeconds: 300, replicationTimeoutHours: 24 },
  });
}

/** Launches a fault allows: a failed launch is retried once by the flow (then given up). */
const ALLOWED_LAUNCHES: Partial<Record<FaultKind, { test: number; cutover: number }>> = {
  'test-launch-fails': { test: 2, cutover: 0 },
  'cutover-launch-fails': { test: 1, cutover: 2 },
};

/** Checks one wave report against the invariants; returns every violation found. */
export function checkReport(manifest: WaveManifest, faults: Readonly<Record<string, FaultKind>>, report: SimulationReport) {
  const violations: string[] = [];
  let lost = 0;
  let duplicates = 0;
  const byName = new Map(report.servers.map((s) => [s.name, s]));
  for (const spec of manifest.servers) {
    const server = byName.get(spec.name);
    if (!server) {
      lost++;
      violations.push(`${spec.name}: missing from the report`);
      continue;
    }
    const fault = faults[spec.name];
    if (fault) {
      if (server.result !== 'failed') violations.push(`${spec.name}: fault ${fault} injected but result is ${server.result}`);
      else if (server.failure?.phase !== FAULT_PHASE[fault])
        violations.push(`${spec.name}: fault ${fault} should fail in ${FAULT_PHASE[fault]}, failed in ${server.failure?.phase} (${server.failure?.reason})`);
    } else if (server.result !== 'migrated') {
      lost++;
      violations.push(`${spec.name}: no fault injected but result is ${server.result} (${server.failure?.phase}: ${server.failure?.reason})`);
    }
    const allowed = (fault && ALLOWED_LAUNCHES[fault]) ?? { test: 1, cutover: 1 };
    const extra = Math.max(0, server.launches.test - allowed.test) + Math.max(0, server.launches.cutover - allowed.cutover);
    if (extra > 0) {
      duplicates += extra;
      violations.push(`${spec.name}: launched test ${server.launches.test}x, cutover ${server.launches.cutover}x (allowed ${allowed.test}/${allowed.cutover})`);
    }
  }
  for (const s of report.servers) if (!manifest.servers.some((m) => m.name === s.name)) violations.push(`${s.name}: in the report but not in the manifest`);
  if (report.outcome === 'failed') violations.push(`wave ended failed (${report.error?.error ?? ''}: ${report.error?.cause ?? ''})`);
  return { violations, lost, duplicates };
}

export async function runCase(c: FaultCase): Promise<CaseResult> {
  const manifest = faultWave(`faults-${c.seed}`, c.servers ?? 8);
  const scenario = parseScenario({
    seed: c.seed,
    defaults: { diskGiB: 40, bandwidthMbps: 1000, installSeconds: 120 },
    servers: Object.fromEntries(Object.entries(c.faults).map(([name, fault]) => [name, { fault }])),
    throttle: { rate: c.throttle },
    ...(c.chaos ? { chaos: c.chaos } : {}),
  });
  const started = Date.now();
  const outDir = mkdtempSync(join(tmpdir(), 'mgn-faults-'));
  let report: SimulationReport;
  let injected: Record<string, number>;
  try {
    const session = await simulate({ manifests: [manifest], scenario, outDir });
    report = session.waves[0].report;
    injected = injectedFrom(join(outDir, 'trace.jsonl'));
    if (report.stats.lambdaErrorsInjected) injected['lambda-errors'] = report.stats.lambdaErrorsInjected;
  } catch (err) {
    return {
      name: c.name,
      servers: manifest.servers.length,
      faultsInjected: Object.keys(c.faults).length,
      serversLost: manifest.servers.length,
      duplicateLaunches: 0,
      violations: [`simulate threw: ${(err as Error).stack ?? String(err)}`],
      outcome: 'error',
      wallMs: Date.now() - started,
      injected: {},
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
  const { violations, lost, duplicates } = checkReport(manifest, c.faults, report);
  return {
    name: c.name,
    servers: manifest.servers.length,
    faultsInjected: Object.keys(c.faults).length,
    serversLost: lost,
    duplicateLaunches: duplicates,
    violations,
    outcome: report.outcome,
    wallMs: Date.now() - started,
    injected,
  };
}

/** The servers a fault kind lands on in an 8-server wave: one Linux EC2, one Windows on-premises. */
const FAULTED = ['srv-001', 'srv-006'];

export const CHAOS_CASES: ReadonlyArray<{ label: string; chaos: Chaos }> = [
  { label: 'internal-errors', chaos: { internalErrorRate: 0.05 } },
  { label: 'dropped-connections', chaos: { dropConnectionRate: 0.03 } },
  { label: 'slow-responses', chaos: { slowResponseRate: 0.03 } },
  { label: 'lambda-errors', chaos: { lambdaErrorRate: 0.1 } },
];

/** Every fault kind x throttle {0, 0.3} x seeds, plus each chaos kind (with a fault) per seed. */
export function fullMatrix(seeds: readonly number[] = [1, 2, 3]): FaultCase[] {
  const cases: FaultCase[] = [];
  for (const kind of FAULT_KINDS)
    for (const throttle of [0, 0.3])
      for (const seed of seeds)
        cases.push({ name: `${kind} throttle=${throttle} seed=${seed}`, faults: Object.fromEntries(FAULTED.map((n) => [n, kind])), throttle, seed });
  for (const { label, chaos } of CHAOS_CASES)
    for (const seed of seeds)
      cases.push({ name: `chaos ${label} seed=${seed}`, faults: { 'srv-003': FAULT_KINDS[(seed + 2) % FAULT_KINDS.length] }, throttle: 0.1, seed, chaos });
  return cases;
}

/** For CI: each fault kind once with throttle 0.3, and one run with every chaos kind at once. */
export function reducedMatrix(): FaultCase[] {
  return [
    ...FAULT_KINDS.map((kind, i) => ({ name: `${kind} throttle=0.3 seed=${i + 1}`, faults: { [FAULTED[i % 2]]: kind }, throttle: 0.3, seed: i + 1 })),
    {
      name: 'chaos all kinds seed=7',
      faults: { 'srv-002': 'test-check-fails' as FaultKind },
      throttle: 0.1,
      seed: 7,
      chaos: { internalErrorRate: 0.03, dropConnectionRate: 0.02, slowResponseRate: 0.02, lambdaErrorRate: 0.05 },
    },
  ];
}

export interface MatrixSummary {
  readonly runs: number;
  readonly servers: number;
  readonly faultsInjected: number;
  readonly serversLost: number;
  readonly duplicateLaunches: number;
  readonly violations: number;
  readonly injected: Readonly<Record<string, number>>;
}

export function summarize(results: readonly CaseResult[]): MatrixSummary {
  const sum = (f: (r: CaseResult) => number) => results.reduce((n, r) => n + f(r), 0);
  return {
    runs: results.length,
    servers: sum((r) => r.servers),
    faultsInjected: sum((r) => r.faultsInjected),
    serversLost: sum((r) => r.serversLost),
    duplicateLaunches: sum((r) => r.duplicateLaunches),
    violations: sum((r) => r.violations.length),
    injected: results.reduce<Record<string, number>>((all, r) => {
      for (const [k, n] of Object.entries(r.injected)) all[k] = (all[k] ?? 0) + n;
      return all;
    }, {}),
  };
}

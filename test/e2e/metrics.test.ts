/**
 * The EMF metrics a real wave emits (functions/lib/observability.ts), read from the simulated log
 * group (lambda-logs.jsonl): a wave with a stalled replication, a failed test launch and a failed
 * cutover launch must show them, per wave and account-wide, as the dashboard and alarms expect.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cleanupRuns, exampleWave, runSimulation, scenarioWith, type Run } from './harness';

type Emf = Record<string, unknown> & { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } };

let run: Run;
let records: Emf[];

beforeAll(async () => {
  run = await runSimulation(
    [exampleWave()],
    scenarioWith({
      servers: {
        'batch-01': { fault: 'replication-stalls' },
        'iis-02': { fault: 'test-launch-fails' },
        'db-02': { fault: 'cutover-launch-fails' },
      },
    }),
  );
  records = readFileSync(join(run.outDir, 'lambda-logs.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('{"_aws"'))
    .map((l) => JSON.parse(l) as Emf);
}, 300_000);
afterAll(cleanupRuns);

const dims = (r: Emf) => r._aws.CloudWatchMetrics[0].Dimensions[0].join(',');
const values = (name: string, dimensionSet: string, where: (r: Emf) => boolean = () => true) =>
  records.filter((r) => dims(r) === dimensionSet && name in r && where(r)).map((r) => r[name] as number);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe('metrics of a wave (EMF, namespace MgnOrchestrator)', () => {
  it('are in the Lambda log group, never on the operator\'s terminal, all in one namespace with the service dimension', () => {
    expect(records.length).toBeGreaterThan(20);
    for (const r of records) {
      expect(r._aws.CloudWatchMetrics[0].Namespace).toBe('MgnOrchestrator');
      expect(r.service).toBe('mgn-orchestrator');
    }
  });

  it('count launch-job failures per wave and launch kind, and account-wide: two launches each before giving up', () => {
    expect(sum(values('LaunchJobFailures', 'service,WaveId,LaunchKind', (r) => r.LaunchKind === 'test' && r.WaveId === 'wave-12-mixed'))).toBe(2);
    expect(sum(values('LaunchJobFailures', 'service,WaveId,LaunchKind', (r) => r.LaunchKind === 'cutover'))).toBe(2);
    expect(sum(values('LaunchJobFailures', 'service,LaunchKind'))).toBe(4);
    expect(run.server('iis-02').failure?.phase).toBe('test-launch');
  });

  it('report stalled servers and the largest replication lag during replication', () => {
    expect(Math.max(...values('StalledServers', 'service,WaveId'))).toBe(1);
    expect(Math.max(...values('StalledServers', 'service'))).toBe(1);
    expect(values('MaxReplicationLagSeconds', 'service,WaveId').length).toBeGreaterThan(0);
    expect(values('ReplicationPercent', 'service,WaveId').at(-1)).toBe(100);
  });

  it('give servers by phase as the wave goes, and by result at the report', () => {
    const failedIn = (phase: string) => values('FailedServers', 'service,WaveId,Phase', (r) => r.Phase === phase);
    expect(failedIn('preflight').at(-1)).toBe(0);
    expect(failedIn('replication').at(-1)).toBe(1);
    expect(failedIn('test-launch').at(-1)).toBe(2);
    const byResult = (result: string) => values('WaveServers', 'service,WaveId,Result', (r) => r.Result === result);
    const report = run.report();
    for (const result of ['migrated', 'failed', 'skipped'])
      expect(byResult(result)).toEqual([report.servers.filter((s) => s.result === result).length]);
    expect(byResult('failed')).toEqual([3]);
  });
});

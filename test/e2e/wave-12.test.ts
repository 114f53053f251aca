/**
 * The 12-server example end to end on the simulator: real emulator, real state machine, real handlers.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { RetryErrorInfo, RetryToken } from '@smithy/types';
import { FixedDelayRetryStrategy } from '../../functions/lib/adapters/client-config';
import { callsPerServer, cleanupRuns, exampleWave, okCalls, runSimulation, scenarioWith } from './harness';

afterAll(cleanupRuns);

describe('the 12-server example', () => {
  it('completes with every server migrated: cut over, finalized, tested and cut over once each', async () => {
    const manifest = exampleWave();
    const run = await runSimulation([manifest], scenarioWith({ approval: 'approve' }));
    const [wave] = run.session.waves;
    expect(wave.exitCode).toBe(0);
    const report = run.report();
    expect(report.outcome).toBe('completed');
    expect(report.servers.map((s) => s.name).sort()).toEqual(manifest.servers.map((s) => s.name).sort());
    for (const s of report.servers) {
      expect({ name: s.name, result: s.result, failure: s.failure }).toEqual({ name: s.name, result: 'migrated', failure: undefined });
      expect(s.sourceServerId).toMatch(/^s-[0-9a-f]{17}$/);
      expect(s.finalLifecycleState).toBe('CUTOVER');
      expect(s.launches).toEqual({ test: 1, cutover: 1 });
    }
    const ids = report.servers.map((s) => s.sourceServerId!);
    expect(new Set(ids).size).toBe(12);
    const finalized = callsPerServer(run.trace, 'FinalizeCutover');
    for (const id of ids) expect(finalized.get(id)).toBe(1);
    // every phase shows in every server's timeline, in order, ending in done
    for (const s of report.servers) {
      const done = s.timeline.filter((t) => t.status === 'done').map((t) => t.phase);
      expect(done).toEqual(expect.arrayContaining(['validate', 'install', 'replication', 'test-verify', 'cutover-verify', 'finalize']));
    }
    expect(report.stats.simulatedSeconds).toBeGreaterThan(3600);
    expect(existsSync(join(run.outDir, manifest.waveId, 'report.html'))).toBe(true);
  });

  it('approval rejected: outcome rejected, every test instance terminated, nothing cut over, exit 3', async () => {
    const run = await runSimulation([exampleWave()], scenarioWith({ approval: 'reject' }));
    const [wave] = run.session.waves;
    expect(wave.exitCode).toBe(3);
    const report = run.report();
    expect(report.outcome).toBe('rejected');
    expect(okCalls(run.trace, 'mgn', 'StartCutover')).toHaveLength(0);
    expect(okCalls(run.trace, 'mgn', 'FinalizeCutover')).toHaveLength(0);
    // every server was tested once, and its test instance is gone
    const tested = callsPerServer(run.trace, 'StartTest');
    for (const s of report.servers) {
      expect(s.result).not.toBe('migrated');
      expect(tested.get(s.sourceServerId!)).toBe(1);
      expect(s.launches).toEqual({ test: 1, cutover: 0 });
      expect(s.finalLifecycleState).not.toMatch(/CUTOVER|CUTTING_OVER|TESTING/);
    }
    const terminatedIds = new Set<string>();
    for (const r of okCalls(run.trace, 'mgn', 'TerminateTargetInstances'))
      for (const id of (r.params.sourceServerIDs as string[] | undefined) ?? []) terminatedIds.add(id);
    for (const r of okCalls(run.trace, 'ec2', 'TerminateInstances')) for (const id of Object.values(r.params).flat()) terminatedIds.add(String(id));
    expect(terminatedIds.size).toBeGreaterThan(0);
    for (const s of report.servers) expect(terminatedIds.has(s.sourceServerId!)).toBe(true);
  });

  it('throttling at 30 %: every server migrates, exit 0, without spending real time in SDK backoff', async () => {
    // every SDK retry the handlers make, with the delay the SDK waits before it
    const delays: number[] = [];
    const refresh = FixedDelayRetryStrategy.prototype.refreshRetryTokenForRetry;
    const spy = jest.spyOn(FixedDelayRetryStrategy.prototype, 'refreshRetryTokenForRetry').mockImplementation(async function (
      this: FixedDelayRetryStrategy,
      token: RetryToken,
      info: RetryErrorInfo,
    ) {
      const next = await refresh.call(this, token, info);
      delays.push(next.getRetryDelay());
      return next;
    });
    const run = await runSimulation([exampleWave()], scenarioWith({ throttle: { rate: 0.3 } })).finally(() => spy.mockRestore());
    const [wave] = run.session.waves;
    const report = run.report();
    expect(report.error).toBeUndefined();
    expect(report.outcome).toBe('completed');
    expect(wave.exitCode).toBe(0);
    expect(report.servers.filter((s) => s.result !== 'migrated').map((s) => s.name)).toEqual([]);
    // the emulator did throttle, in every service's own words (S3 SlowDown included)
    const throttled = run.trace.filter((r) => ['ThrottlingException', 'SlowDown', 'RequestLimitExceeded', 'Throttling'].includes(r.outcome));
    expect(throttled.length).toBeGreaterThan(run.trace.length * 0.2);
    expect(throttled.some((r) => r.service === 's3' && r.outcome === 'SlowDown')).toBe(true);
    // no server launched twice because a throttled call was retried
    for (const [, n] of callsPerServer(run.trace, 'StartTest')) expect(n).toBe(1);
    for (const [, n] of callsPerServer(run.trace, 'StartCutover')) expect(n).toBe(1);
    // SDK retries are immediate in the simulator (the adaptive backoff of a deployed function made this
    // run take a minute of wall time): the handlers retried throttled calls, each after 0 ms
    expect(delays.length).toBeGreaterThan(throttled.length / 2);
    expect(new Set(delays)).toEqual(new Set([0]));
  });

  it('throttling that outlasts every retry in ValidateWave fails the run as ValidateWaveFailed (exit 1), never as a rejected manifest', async () => {
    const run = await runSimulation([exampleWave()], scenarioWith({ throttle: { rate: 1 } }));
    const [wave] = run.session.waves;
    const report = run.report();
    expect(wave.exitCode).toBe(1);
    expect(report.outcome).toBe('failed');
    expect(report.error?.error).toBe('ValidateWaveFailed');
    expect(report.executions.map((e) => e.error)).toEqual(['ValidateWaveFailed']);
    // the state machine retried the step (TryLaterError) on the virtual clock before giving up
    expect(report.stats.retries).toBeGreaterThanOrEqual(8);
    expect(report.stats.simulatedSeconds).toBeGreaterThan(60);
    expect(run.trace.every((r) => r.service === 's3')).toBe(true);
  });
});

/**
 * The account-wide MGN job lease (functions/lib/mgn-job-lease.ts): one launch decision at a time,
 * taken with a conditional create, refused while held, taken over only once it lapsed, released by
 * its holder only; the launch steps are granted exactly what it needs.
 */
import { LEASE_RETRY_SECONDS, LEASE_SECONDS, MGN_JOB_LEASE_KEY, withMgnJobLease } from '../../functions/lib/mgn-job-lease';
import type { FlowDeps } from '../../functions/lib/ports';
import { stepByName } from '../../functions/lib/steps';
import { WAVE_ID } from '../../functions/lib/manifest';
import { stepStatements } from '../../infra/step-permissions';
import { FakeWorld, waveOf } from '../asl/fake-world';

function world(): { world: FakeWorld; deps: FlowDeps; warnings: string[] } {
  const w = new FakeWorld(waveOf(2));
  const warnings: string[] = [];
  const deps: FlowDeps = { ...w.deps(), log: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } };
  return { world: w, deps, warnings };
}

describe('withMgnJobLease', () => {
  it('runs the decision holding the lease and releases it afterwards', async () => {
    const { world: w, deps } = world();
    let heldDuring: unknown;
    const result = await withMgnJobLease('wave-a/run-1/test-launch', deps, async () => {
      heldDuring = JSON.parse(w.objects.get(MGN_JOB_LEASE_KEY)!);
      return 42;
    });
    expect(result).toEqual({ ran: true, value: 42 });
    expect(heldDuring).toEqual({
      holder: 'wave-a/run-1/test-launch',
      acquiredAt: w.now().toISOString(),
      expiresAt: new Date(w.now().getTime() + LEASE_SECONDS * 1000).toISOString(),
    });
    expect(w.objects.has(MGN_JOB_LEASE_KEY)).toBe(false);
  });

  it('does not run a second decision while the first holds the lease (the two launch steps of two waves)', async () => {
    const { deps } = world();
    const order: string[] = [];
    const second = await withMgnJobLease('wave-a/run-1/test-launch', deps, async () => {
      order.push('a starts');
      const inner = await withMgnJobLease('wave-b/run-9/cutover-launch', deps, async () => order.push('b decided'));
      order.push('a ends');
      return inner;
    });
    expect(order).toEqual(['a starts', 'a ends']);
    expect(second).toEqual({ ran: true, value: { ran: false, heldBy: 'wave-a/run-1/test-launch' } });
    // once released, the other wave's next poll decides
    await expect(withMgnJobLease('wave-b/run-9/cutover-launch', deps, async () => 'b')).resolves.toEqual({ ran: true, value: 'b' });
  });

  it('releases the lease when the decision throws', async () => {
    const { world: w, deps } = world();
    await expect(withMgnJobLease('wave-a/run-1/test-launch', deps, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(w.objects.has(MGN_JOB_LEASE_KEY)).toBe(false);
  });

  it('takes over a lease whose holder died, only after it lapsed', async () => {
    const { world: w, deps, warnings } = world();
    await deps.store.createJson(MGN_JOB_LEASE_KEY, { holder: 'wave-x/run-0/test-launch', acquiredAt: w.now().toISOString(), expiresAt: new Date(w.now().getTime() + LEASE_SECONDS * 1000).toISOString() });
    w.advance(LEASE_SECONDS - 1);
    await expect(withMgnJobLease('wave-a/run-1/test-launch', deps, async () => 'a')).resolves.toEqual({ ran: false, heldBy: 'wave-x/run-0/test-launch' });
    w.advance(1);
    await expect(withMgnJobLease('wave-a/run-1/test-launch', deps, async () => 'a')).resolves.toEqual({ ran: true, value: 'a' });
    expect(warnings).toEqual(['took over the MGN job lease its holder left behind']);
  });

  it('outlasts the launch steps (their Lambda timeout) and sits where no wave id can be', () => {
    for (const step of ['launch-test', 'launch-cutover']) expect(LEASE_SECONDS).toBeGreaterThan(stepByName(step).timeoutSeconds);
    expect(LEASE_RETRY_SECONDS).toBeLessThan(60);
    expect(WAVE_ID.test('_mgn-jobs')).toBe(false);
    // the launch steps may delete it (the same grant as the waves' locks), nothing else
    const ctx = { partition: 'aws', region: 'eu-west-1', account: '123456789012', sourceRegions: [], waveBucketArn: 'arn:aws:s3:::waves', topicArn: 't', installerRoleArn: 'r', launchedInstanceRoleArn: 'l', documentArns: [] };
    for (const step of ['launch-test', 'launch-cutover'])
      expect(stepStatements(stepByName(step), ctx).filter((s) => s.actions.includes('s3:DeleteObject'))).toEqual([
        expect.objectContaining({ actions: ['s3:DeleteObject'], resources: ['arn:aws:s3:::waves/waves/*/lock.json'] }),
      ]);
  });
});

import { FakeWorld, waveOf, type Fault } from './fake-world';
import { runWave } from './run-wave';

/** Step Functions refuses state input/output above 256 KiB. */
const STEP_FUNCTIONS_PAYLOAD_LIMIT = 256 * 1024;

describe('payload budget', () => {
  it('a 1,000-server wave with failures in every phase keeps every state output far under 256 KiB', async () => {
    const manifest = waveOf(1000);
    const kinds: Fault[] = ['precheck-fails', 'install-fails', 'replication-stalls', 'test-launch-fails', 'test-check-fails', 'cutover-launch-fails'];
    const faults: Record<string, Fault> = {};
    manifest.servers.forEach((s, i) => {
      if (i % 10 === 0) faults[s.name] = kinds[(i / 10) % kinds.length];
    });
    const world = new FakeWorld({ ...manifest, options: { ...manifest.options, replicationTimeoutHours: 2 } }, { faults });
    // 1,000 replicating servers: an account whose replicating-servers quota (mgn/L-9A599620) was raised
    world.replicatingQuota = 1000;
    const run = await runWave(world, { approval: 'approve' });

    expect(run.report?.outcome).toBe('completed-with-failures');
    expect(run.report?.servers).toHaveLength(1000);
    expect(run.report?.servers.filter((s) => s.result === 'failed')).toHaveLength(100);
    expect(run.report?.servers.filter((s) => s.result === 'migrated')).toHaveLength(900);
    expect(run.outputBytes.size).toBeGreaterThan(20);
    const largest = Math.max(...run.outputBytes.values());
    expect(largest).toBeLessThan(STEP_FUNCTIONS_PAYLOAD_LIMIT / 64);
  });
});

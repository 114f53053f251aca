import { DEFAULT_DOCUMENTS, Fleet, TIMINGS } from '../../simulator/emulator/fleet';
import { VirtualClock } from '../../simulator/clock';
import { serverBound, syncSeconds, waveLowerBound } from '../../bench/lower-bound';
import { benchWorkload, type ServerProfile } from '../../bench/workload';

const ALL = { install: true, test: true, cutover: true };

describe('the benchmark lower bound', () => {
  it("takes replication time from the fleet's own model: the same READY_FOR_TEST time the emulator schedules", () => {
    const { manifest, scenario, profiles } = benchWorkload(12, 7);
    const clock = new VirtualClock();
    const fleet = new Fleet({ clock, seed: 7, documents: DEFAULT_DOCUMENTS, initialized: true });
    fleet.addWave(manifest, scenario);
    for (const [i, record] of fleet.records.entries()) {
      const profile = profiles[i];
      const server = fleet.registerSourceServer(record, manifest.targetRegion, {}, [...(profile.devices ?? [])], undefined, clock.now());
      const readyAfter = (server.replication.continuousAt - clock.now()) / 1000;
      const bound = serverBound(profile, ALL);
      expect(bound.parts.replicate).toBeCloseTo(readyAfter, 3);
      expect(record.installSeconds).toBe(profile.installSeconds);
    }
  });

  it('adds each step the wave needs: precheck, install, replication, test and cutover launches, boots and checks', () => {
    const profile: ServerProfile = { name: 'a', platform: 'Linux', diskGiB: 100, bandwidthMbps: 500, installSeconds: 200, hasChecks: true };
    const bound = serverBound(profile, ALL);
    const launch = TIMINGS.jobStart + TIMINGS.snapshot + TIMINGS.conversion + TIMINGS.launch;
    const boot = TIMINGS.instancePending + TIMINGS.boot;
    const checks = TIMINGS.commandDelivery + TIMINGS.shellScript;
    expect(syncSeconds(profile)).toBeCloseTo((100 * 1024 ** 3 * 8) / 500e6, 2);
    expect(bound.chainSeconds).toBeCloseTo(
      TIMINGS.commandDelivery + TIMINGS.precheck + TIMINGS.commandDelivery + 200 + 11 * TIMINGS.initiationStep + syncSeconds(profile) + TIMINGS.creatingSnapshot +
        (launch + boot + checks) + (TIMINGS.jobStart + TIMINGS.terminate + 1) + (launch + boot + checks),
      3,
    );
    // without the test phase there is no test launch and no test instance to terminate
    expect(serverBound(profile, { ...ALL, test: false }).chainSeconds).toBeCloseTo(bound.chainSeconds - (launch + boot + checks) - 41, 3);
  });

  it('is the slowest server, or the job quota when many small servers must share 200 slots', () => {
    const small: ServerProfile = { name: 's', platform: 'Linux', diskGiB: 20, bandwidthMbps: 1000, installSeconds: 120, hasChecks: false };
    const slow: ServerProfile = { ...small, name: 'slow', diskGiB: 2000, bandwidthMbps: 100 };
    const two = waveLowerBound([small, slow], ALL);
    expect(two.critical.name).toBe('slow');
    expect(two.lowerBoundSeconds).toBe(two.critical.chainSeconds);
    const many = waveLowerBound(Array.from({ length: 1000 }, (_, i) => ({ ...small, name: `s${i}` })), ALL);
    expect(many.quotaSeconds).toBeGreaterThan(many.critical.chainSeconds);
    expect(many.lowerBoundSeconds).toBe(many.quotaSeconds);
  });
});

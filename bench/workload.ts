/**
 * The benchmark's waves: a seeded, realistic spread of servers generated in code (no files), so a
 * run on a fresh clone measures exactly what the README reports.
 *
 * Spread per server (independent draws from one seeded generator):
 * - disk 20–2,000 GiB, log-uniform (most servers are small, a few are big, as in real estates);
 * - bandwidth to the staging subnet 100–1,000 Mbps, uniform;
 * - agent install 120–300 s on Linux, 240–600 s on Windows; about 30 % Windows;
 * - half EC2 sources in another region (cross-region), half on-premises managed instances with a
 *   hostname; some Linux servers with two devices; most with smoke checks (tcp, http or service).
 */
import { parseManifest, type ServerSpec, type WaveManifest } from '../functions/lib/manifest';
import { SeededRandom } from '../simulator/emulator/random';
import { parseScenario, type Scenario } from '../simulator/scenario';

export const SPREAD = {
  diskGiB: { min: 20, max: 2000 },
  bandwidthMbps: { min: 100, max: 1000 },
  installSeconds: { Linux: { min: 120, max: 300 }, Windows: { min: 240, max: 600 } },
  windowsShare: 0.3,
  ec2Share: 0.5,
} as const;

export const BENCH_REGION = 'ap-south-1';
export const BENCH_SOURCE_REGION = 'ap-southeast-1';
const ENDPOINTS = {
  mgn: 'vpce-0a1b2c3d4e5f60718-abcd1234.mgn.ap-south-1.vpce.amazonaws.com',
  s3: 'vpce-0f1e2d3c4b5a69788-efgh5678.s3.ap-south-1.vpce.amazonaws.com',
};

export interface ServerProfile {
  readonly name: string;
  readonly platform: 'Linux' | 'Windows';
  readonly diskGiB: number;
  readonly bandwidthMbps: number;
  readonly installSeconds: number;
  /** devices the manifest names (undefined: the host's default single disk) */
  readonly devices?: readonly string[];
  readonly hasChecks: boolean;
}

export interface BenchWorkload {
  readonly manifest: WaveManifest;
  readonly scenario: Scenario;
  readonly profiles: readonly ServerProfile[];
}

const hex = (n: number, width: number) => n.toString(16).padStart(width, '0');

/** A wave of `servers` servers and the scenario that gives each its disk, bandwidth and install time. */
export function benchWorkload(servers: number, seed = 2024): BenchWorkload {
  const random = new SeededRandom((seed ^ 0x6be7c4) >>> 0);
  const between = (min: number, max: number) => min + random.next() * (max - min);
  const specs: ServerSpec[] = [];
  const scenarioServers: NonNullable<Scenario['servers']> = {};
  const profiles: ServerProfile[] = [];
  for (let i = 0; i < servers; i++) {
    const windows = random.next() < SPREAD.windowsShare;
    const ec2 = random.next() < SPREAD.ec2Share;
    const platform = windows ? 'Windows' : 'Linux';
    const diskGiB = Math.round(Math.exp(between(Math.log(SPREAD.diskGiB.min), Math.log(SPREAD.diskGiB.max))));
    const bandwidthMbps = Math.round(between(SPREAD.bandwidthMbps.min, SPREAD.bandwidthMbps.max));
    const install = SPREAD.installSeconds[platform];
    const installSeconds = Math.round(between(install.min, install.max));
    const twoDisks = !windows && random.next() < 0.2;
    const checkKind = random.next();
    const name = `${windows ? 'win' : 'lnx'}-${String(i + 1).padStart(4, '0')}`;
    const spec: ServerSpec = {
      name,
      os: windows ? 'windows' : 'linux',
      source: ec2
        ? { type: 'ec2', instanceId: `i-0b${hex(i, 15)}`, region: BENCH_SOURCE_REGION }
        : { type: 'onprem', managedInstanceId: `mi-0c${hex(i, 15)}`, hostname: `${name}.corp.example.com` },
      tags: { Application: `app-${i % 25}`, Wave: 'bench' },
      ...(twoDisks ? { devices: ['/dev/xvda', '/dev/xvdf'] } : {}),
      ...(checkKind < 0.4
        ? { checks: [{ type: 'tcp' as const, port: windows ? 3389 : 22 }] }
        : checkKind < 0.7
          ? { checks: [{ type: 'http' as const, url: 'http://localhost/health', expectStatus: 200 }] }
          : checkKind < 0.85
            ? { checks: [{ type: 'service' as const, name: windows ? 'W3SVC' : 'sshd' }] }
            : {}),
    };
    specs.push(spec);
    scenarioServers[name] = { diskGiB, bandwidthMbps, installSeconds };
    profiles.push({
      name,
      platform,
      diskGiB,
      bandwidthMbps,
      installSeconds,
      devices: spec.devices,
      hasChecks: (spec.checks ?? []).length > 0,
    });
  }
  const manifest = parseManifest({
    waveId: `bench-${servers}`,
    targetRegion: BENCH_REGION,
    endpoints: ENDPOINTS,
    servers: specs,
    options: { approval: 'required' },
  });
  // a wave replicates all its servers at once: past 150 (MGN's default replicating-servers quota,
  // Service Quotas mgn/L-9A599620) the account needs the quota raised, as the benchmark assumes
  const scenario = parseScenario({ seed, servers: scenarioServers, approval: 'approve', ...(servers > 150 ? { quotas: { replicatingServers: Math.max(servers, 1000) } } : {}) });
  return { manifest, scenario, profiles };
}

/**
 * The earliest a wave could finish on the emulated fleet if every step reacted instantly: the
 * benchmark's yardstick for the orchestrator's overhead (simulatedSeconds / lowerBoundSeconds).
 *
 * Built only from the emulator's own model (simulator/emulator/fleet.ts TIMINGS, INITIATION_STEPS,
 * LIMITS) and each server's install time, disk and bandwidth, for the operations the wave's phases
 * require of each server. It is a true lower bound: every term is a delay the fleet imposes whatever
 * the orchestrator does, and the orchestrator's own choices (phase barriers, polling, batching) are
 * left out. Per server s (seconds):
 *
 *   precheck   commandDelivery + precheck                                   Run Command, on the host
 *   install    commandDelivery + installSeconds(s)                          the agent registers when it ends
 *   replicate  |INITIATION_STEPS| × initiationStep + sync(s) + creatingSnapshot   then CONTINUOUS, READY_FOR_TEST
 *              sync(s) = ceil(8 × bytes(s) / (bandwidthMbps(s) × 10^6) s, to the ms), bytes(s) as the fleet
 *              splits diskGiB(s) over the host's devices
 *   launch     jobStart + snapshot + conversion + launch                    LAUNCHED (jitter 0: the least the fleet adds)
 *   boot       instancePending + boot                                       status checks ok, SSM Online
 *   checks     commandDelivery + shellScript, if the server has smoke checks
 *   terminate  jobStart + terminate + 1                                     the test instance's TerminateTargetInstances job
 *                                                                           completes; StartCutover refuses a server in an active job
 *   finalize   0                                                            FinalizeCutover / MarkAsArchived are immediate
 *
 *   chain(s) = precheck + install + replicate + [test: launch + boot + checks] + [cutover: terminate + launch + boot + checks]
 *
 * The servers-in-active-jobs quota gives a second bound: every launch job stays active at least
 * jobStart + snapshot + conversion + 40 + launch + 1 s (the fleet's earliest job end) and every terminate
 * job jobStart + terminate + 1 s; none can start before the first server is READY_FOR_TEST, all must
 * have ended before the wave ends, and at most LIMITS.serversInActiveJobs servers are in active jobs:
 *
 *   quota = min_s(ready(s)) + Σ_s slotSeconds(s) / serversInActiveJobs
 *
 *   lowerBoundSeconds = max( max_s chain(s), quota )
 */
import { INITIATION_STEPS, LIMITS, TIMINGS } from '../simulator/emulator/fleet';
import type { ServerProfile } from './workload';

const GiB = 1024 ** 3;

/** Which parts of the flow the wave runs (the manifest's options.phases). */
export interface WavePhases {
  readonly install: boolean;
  readonly test: boolean;
  readonly cutover: boolean;
}

export interface ServerBound {
  readonly name: string;
  /** seconds from the wave's start until the server is READY_FOR_TEST with CONTINUOUS replication */
  readonly readySeconds: number;
  /** the whole per-server chain */
  readonly chainSeconds: number;
  readonly parts: Readonly<Record<'precheck' | 'install' | 'replicate' | 'test' | 'cutover', number>>;
}

export interface LowerBound {
  readonly lowerBoundSeconds: number;
  /** the server whose chain is longest */
  readonly critical: ServerBound;
  /** the servers-in-active-jobs bound */
  readonly quotaSeconds: number;
}

/** Bytes the fleet replicates for a server: diskGiB split evenly (rounded) over its devices, as fleet.ts does. */
export function replicatedBytes(profile: ServerProfile): number {
  const devices = profile.devices?.length ? profile.devices.length : 1;
  return Math.round((profile.diskGiB * GiB) / devices) * devices;
}

/** Initial sync duration in seconds (ms resolution, rounded up like the fleet's syncEnd). */
export const syncSeconds = (profile: ServerProfile): number =>
  Math.ceil(((replicatedBytes(profile) * 8) / (profile.bandwidthMbps * 1e6)) * 1000) / 1000;

const LAUNCHED_AFTER_START = TIMINGS.jobStart + TIMINGS.snapshot + TIMINGS.conversion + TIMINGS.launch;
const BOOT = TIMINGS.instancePending + TIMINGS.boot;
const SMOKE = TIMINGS.commandDelivery + TIMINGS.shellScript;
/** the fleet completes a job on its first end check, one second after its longest possible course */
const LAUNCH_JOB_ACTIVE = TIMINGS.jobStart + TIMINGS.snapshot + TIMINGS.conversion + 40 + TIMINGS.launch + 1;
const TERMINATE_JOB_ACTIVE = TIMINGS.jobStart + TIMINGS.terminate + 1;

export function serverBound(profile: ServerProfile, phases: WavePhases): ServerBound {
  const precheck = phases.install ? TIMINGS.commandDelivery + TIMINGS.precheck : 0;
  const install = phases.install ? TIMINGS.commandDelivery + profile.installSeconds : 0;
  const replicate = INITIATION_STEPS.length * TIMINGS.initiationStep + syncSeconds(profile) + TIMINGS.creatingSnapshot;
  const checks = profile.hasChecks ? SMOKE : 0;
  const test = phases.test ? LAUNCHED_AFTER_START + BOOT + checks : 0;
  const cutover = phases.cutover ? (phases.test ? TERMINATE_JOB_ACTIVE : 0) + LAUNCHED_AFTER_START + BOOT + checks : 0;
  const readySeconds = precheck + install + replicate;
  return {
    name: profile.name,
    readySeconds,
    chainSeconds: readySeconds + test + cutover,
    parts: { precheck, install, replicate, test, cutover },
  };
}

export function waveLowerBound(profiles: readonly ServerProfile[], phases: WavePhases): LowerBound {
  if (profiles.length === 0) throw new Error('a wave needs at least one server');
  const bounds = profiles.map((p) => serverBound(p, phases));
  const critical = bounds.reduce((a, b) => (b.chainSeconds > a.chainSeconds ? b : a));
  const slotSeconds =
    (phases.test ? LAUNCH_JOB_ACTIVE : 0) + (phases.cutover ? LAUNCH_JOB_ACTIVE + (phases.test ? TERMINATE_JOB_ACTIVE : 0) : 0);
  const quotaSeconds = Math.min(...bounds.map((b) => b.readySeconds)) + (profiles.length * slotSeconds) / LIMITS.serversInActiveJobs;
  return { lowerBoundSeconds: Math.max(critical.chainSeconds, quotaSeconds), critical, quotaSeconds };
}

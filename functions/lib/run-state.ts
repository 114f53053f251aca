/**
 * Per-server detail of one run, kept in the stack's bucket at waves/<waveId>/runs/<runId>/servers.json.
 * It is a cache of what this run did and saw (command ids, job ids, timelines, failures): MGN stays
 * the source of truth for where each server is, so a new run starts with fresh records and resumes
 * from MGN's lifecycle states.
 */
import type { LaunchKind, LaunchPlan } from './launch-settings';
import type { MgnGrouping } from './mgn-grouping';
import type { QuiesceProgress } from './quiesce';
import { RunStateMissingError } from './errors';
import type { OsFamily, ServerSpec, WaveManifest } from './manifest';
import { sourceInstanceId } from './server-identity';
import type { PhaseName } from './phases';
import type { WaveStore } from './ports';
import { manifestKey, serversKey, type WaveContext, type WaveCounts } from './wave-context';

/** `waiting-for-quota`: ready to install, held back by the replicating-servers quota (functions/lib/replication-quota.ts). */
export type TimelineStatus = 'started' | 'done' | 'failed' | 'skipped' | 'waiting-for-quota';

export interface TimelineEntry {
  readonly phase: PhaseName;
  readonly status: TimelineStatus;
  readonly at: string;
}

export interface InstallProgress {
  stage: 'precheck-sent' | 'precheck-passed' | 'install-sent' | 'installed';
  commandId?: string;
  sentAt?: string;
}

export interface ReplicationWatch {
  startedAt: string;
  state?: string;
  percent: number;
  lagSeconds?: number;
  etaSeconds?: number;
  /** the last time replicated bytes grew, to tell a slow sync from a stuck one */
  lastProgressAt: string;
  lastReplicatedBytes: number;
  stalled: boolean;
}

export interface LaunchProgress {
  jobId?: string;
  /** launch jobs started for this server in this phase (one retry after a FAILED launch) */
  attempts: number;
  instanceId?: string;
  /** the last "not now" answer, for the report if the phase times out */
  lastRefusal?: string;
  /** the EC2 launch template version the launch settings were found in or written to */
  launchTemplate?: { id: string; version: number; wrote: boolean };
}

export interface VerifyProgress {
  kind: LaunchKind;
  startedAt: string;
  instanceId: string;
  /** booting: waiting for EC2 status checks; checking: network probes, SSM, service checks; passed */
  stage: 'booting' | 'checking' | 'passed';
  /** when the EC2 status checks passed */
  bootedAt?: string;
  /** the Run Command of the service checks, once sent */
  commandId?: string;
}

/** A launched (test or cutover) instance as DescribeInstances showed it. */
export interface LaunchedInstance {
  instanceId: string;
  subnetId?: string;
  privateIpAddress?: string;
  instanceType?: string;
  securityGroupIds: string[];
}

/** One smoke check of a launched instance: where it ran and how it ended. */
export interface CheckResult {
  type: 'tcp' | 'http' | 'service';
  /** ip:port, the probed URL, or the service name */
  target: string;
  /** passed | pending | failed: <why> | not run: <why> */
  result: string;
}

/** What the verification of one launched instance found (the report shows it). */
export interface VerificationSummary {
  instanceId: string;
  /** pending | passed | failed: <why> */
  ec2StatusChecks: string;
  /** pending | online | unavailable: <why> */
  ssm: string;
  checks: CheckResult[];
}

export interface CleanupProgress {
  /** why: one cleanup per purpose, so a repeated poll never terminates twice */
  purpose: 'discard' | 'prepare-cutover' | 'test-failed' | 'cutover-failed' | 'revert';
  /** the lifecycle state the server returns to before its target instance is terminated */
  to: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER';
  lifecycleChanged: boolean;
  terminateJobId?: string;
  finished: boolean;
  /** when MGN first answered "not now" (Conflict, throttling) to this cleanup, to give up eventually */
  refusedSince?: string;
  /** set when MGN kept refusing past CLEANUP_GIVE_UP_SECONDS: the last refusal */
  gaveUp?: string;
}

export interface ServerRecord {
  readonly name: string;
  readonly os: OsFamily;
  /** the EC2 instance id or SSM managed instance id of the source */
  readonly sourceInstanceId: string;
  /** the region whose SSM manages the source */
  readonly ssmRegion: string;
  sourceServerId?: string;
  status: 'active' | 'failed';
  failure?: { phase: PhaseName; reason: string };
  launches: { test: number; cutover: number };
  timeline: TimelineEntry[];
  install?: InstallProgress;
  replication?: ReplicationWatch;
  testLaunch?: LaunchProgress;
  cutoverLaunch?: LaunchProgress;
  /** source quiesce before cutover (options.quiesce) */
  quiesce?: QuiesceProgress;
  verify?: VerifyProgress;
  /** the launch settings preflight resolved for each launch kind (functions/lib/launch-settings.ts) */
  launchPlan?: Partial<Record<LaunchKind, LaunchPlan>>;
  /** the launched instances, as launched (verify reads them with DescribeInstances) */
  instances?: Partial<Record<LaunchKind, LaunchedInstance>>;
  /** what verification found, per launch kind */
  verification?: Partial<Record<LaunchKind, VerificationSummary>>;
  /** target instances to retire (rejection, cutover preparation, a failed test or cutover): see target-instances.ts */
  cleanup?: CleanupProgress;
  /** held back in install by the replicating-servers quota: since when, and how long once admitted */
  quotaWait?: { since: string; waitedSeconds?: number };
  /** the finalize gate answered revert: when the cutover was rolled back (READY_FOR_CUTOVER, cutover instance terminated) */
  reverted?: string;
}

export interface RunState {
  readonly waveId: string;
  readonly runId: string;
  /** when each phase's poll loop first ran (phase deadlines) */
  phaseStartedAt: Partial<Record<PhaseName, string>>;
  /** SecureString parameters holding installer credentials, to delete once installs end */
  credentialParameters: { region: string; name: string }[];
  /** This run's installer-credentials parameter name (random, functions/lib/installer-credentials.ts), once staged */
  credentialsParameterName?: string;
  servers: ServerRecord[];
  /** the MGN wave and applications the run groups its servers in (mgn-grouping.ts) */
  mgn?: MgnGrouping;
}

/** SSM manages EC2 sources in their own region and on-premises (mi-) sources in the target region. */
export const ssmRegionOf = (server: ServerSpec, targetRegion: string): string =>
  server.source.type === 'ec2' ? server.source.region : targetRegion;

export function newRunState(manifest: WaveManifest, runId: string): RunState {
  return {
    waveId: manifest.waveId,
    runId,
    phaseStartedAt: {},
    credentialParameters: [],
    servers: manifest.servers.map((s) => ({
      name: s.name,
      os: s.os,
      sourceInstanceId: sourceInstanceId(s),
      ssmRegion: ssmRegionOf(s, manifest.targetRegion),
      status: 'active',
      launches: { test: 0, cutover: 0 },
      timeline: [],
    })),
  };
}

export async function loadRunState(store: WaveStore, ctx: Pick<WaveContext, 'waveId' | 'runId'>): Promise<RunState> {
  const state = await store.getJson<RunState>(serversKey(ctx.waveId, ctx.runId));
  if (!state) throw new RunStateMissingError(`no server records at ${serversKey(ctx.waveId, ctx.runId)}`);
  return state;
}

export const saveRunState = (store: WaveStore, state: RunState): Promise<void> =>
  store.putJson(serversKey(state.waveId, state.runId), state);

export async function loadManifest(store: WaveStore, waveId: string): Promise<WaveManifest> {
  const manifest = await store.getJson<WaveManifest>(manifestKey(waveId));
  if (!manifest) throw new RunStateMissingError(`no manifest at ${manifestKey(waveId)}`);
  return manifest;
}

export function mark(record: ServerRecord, phase: PhaseName, status: TimelineStatus, at: Date): void {
  const last = [...record.timeline].reverse().find((e) => e.phase === phase);
  if (last && last.status === status) return;
  // Poll loops look at every server on every poll: a phase that is done is not "started" again.
  if (last && status === 'started' && (last.status === 'done' || last.status === 'skipped')) return;
  record.timeline.push({ phase, status, at: at.toISOString() });
}

/** Sets a server aside: it takes no further part in the wave and the report says where and why. */
export function failServer(record: ServerRecord, phase: PhaseName, reason: string, at: Date): void {
  record.status = 'failed';
  record.failure = { phase, reason: reason.slice(0, 2000) };
  mark(record, phase, 'failed', at);
}

export const activeServers = (state: RunState): ServerRecord[] => state.servers.filter((s) => s.status === 'active');

export function countsOf(state: RunState): WaveCounts {
  const failed = state.servers.filter((s) => s.status === 'failed').length;
  return { total: state.servers.length, active: state.servers.length - failed, failed };
}

/** When this phase's loop started (set on its first poll). */
export function phaseStart(state: RunState, phase: PhaseName, now: Date): Date {
  const at = state.phaseStartedAt[phase];
  if (at) return new Date(at);
  state.phaseStartedAt[phase] = now.toISOString();
  return now;
}

/**
 * Launching test and cutover instances for the whole wave, one poll at a time.
 *
 * MGN's rules: at most 200 servers per StartTest/StartCutover job, at most 200 servers across all
 * ACTIVE jobs in the account (any kind: other waves' launches and terminations count), at most 20
 * active jobs. So each poll counts what is active account-wide (DescribeJobs) and starts only what
 * fits; the rest waits in the queue for the next poll. Throttling, quota and conflict answers mean
 * "try later", never a server failure. A FAILED launch is retried once, then the server is set aside.
 * A server already launched (or past the phase) is never launched again: MGN's lifecycle and the
 * server's last job say so, even in a new run.
 *
 * Right before a server joins a job, its launch settings for this launch (subnet, groups, IP, type,
 * profile, tags: the plan preflight resolved) are put in place in MGN and in its EC2 launch template
 * (./launch-configuration.ts); a server whose settings are refused is set aside, one throttled stays
 * queued.
 */
import { TryLaterError, reasonOf } from '../errors';
import { launchPlanOf, resolveLaunch, type LaunchKind, type LaunchPlan } from '../launch-settings';
import type { WaveManifest } from '../manifest';
import type { PhaseName } from '../phases';
import type { FlowDeps, JobView, LifecycleState, SourceServerView } from '../ports';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
  type LaunchProgress,
  type ServerRecord,
} from '../run-state';
import { advanceQuiesce } from '../quiesce';
import { readWave, serversInPhase, specOf } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';
import { LEASE_RETRY_SECONDS, withMgnJobLease } from '../mgn-job-lease';
import { applyLaunchSettings } from './launch-configuration';
import { MAX_SERVERS_PER_JOB, requestCleanup, retireTargetInstances } from './target-instances';

export const MAX_SERVERS_IN_ACTIVE_JOBS = 200;
export const MAX_ACTIVE_JOBS = 20;
export const MAX_LAUNCH_ATTEMPTS = 2;
export const LAUNCH_POLL_SECONDS = 60;
/** Servers still not launched this long after the phase started are set aside with the last refusal. */
export const LAUNCH_PHASE_TIMEOUT_SECONDS = 6 * 3600;
/** Jobs older than this are not active any more; DescribeJobs is asked from this far back. */
export const ACTIVE_JOB_LOOKBACK_SECONDS = 7 * 86400;
/** Cutover waits for the replication lag to fall below this (seconds), when MGN reports a lag. */
export const CUTOVER_MAX_LAG_SECONDS = 300;

export type { LaunchKind } from '../launch-settings';

export interface LaunchOptions {
  /**
   * Put each server's launch settings in place before its launch (default true). Off only in tests
   * that prove what AWS does without them: MGN launches from a template that names no subnet.
   */
  readonly applySettings?: boolean;
}

/** The plan preflight stored for the server, or one resolved now (a record from before plans were stored). */
function planFor(manifest: WaveManifest, record: ServerRecord, kind: LaunchKind, deps: FlowDeps): { plan?: LaunchPlan; problems: string[] } {
  const stored = record.launchPlan?.[kind];
  if (stored) return { plan: stored, problems: [] };
  const index = manifest.servers.findIndex((s) => s.name === record.name);
  return launchPlanOf(resolveLaunch(manifest, index, kind, deps.config));
}

interface LaunchRules {
  readonly phase: PhaseName;
  /** the lifecycle state a server launches from */
  readonly launchFrom: LifecycleState;
  /** the lifecycle state while its instance is launched (TESTING / CUTTING_OVER) */
  readonly launched: LifecycleState;
  /** at or past this state the phase is behind the server */
  readonly past: LifecycleState;
  readonly initiatedBy: string;
  /** the state a failed server returns to (terminate is refused in TESTING and CUTTING_OVER) */
  readonly revertTo: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER';
  readonly lastJobOf: (v: SourceServerView) => string | undefined;
  readonly progressOf: (r: ServerRecord) => LaunchProgress;
  readonly start: (deps: FlowDeps, ids: string[]) => Promise<JobView>;
}

export const LAUNCH_RULES: Record<LaunchKind, LaunchRules> = {
  test: {
    phase: 'test-launch',
    launchFrom: 'READY_FOR_TEST',
    launched: 'TESTING',
    past: 'READY_FOR_CUTOVER',
    initiatedBy: 'START_TEST',
    revertTo: 'READY_FOR_TEST',
    lastJobOf: (v) => v.lastTestJobId,
    progressOf: (r) => (r.testLaunch ??= { attempts: 0 }),
    start: (deps, ids) => deps.mgn.startTest(ids),
  },
  cutover: {
    phase: 'cutover-launch',
    launchFrom: 'READY_FOR_CUTOVER',
    launched: 'CUTTING_OVER',
    past: 'CUTOVER',
    initiatedBy: 'START_CUTOVER',
    revertTo: 'READY_FOR_CUTOVER',
    lastJobOf: (v) => v.lastCutoverJobId,
    progressOf: (r) => (r.cutoverLaunch ??= { attempts: 0 }),
    start: (deps, ids) => deps.mgn.startCutover(ids),
  },
};

/** The longest a launch poll waits when it waits for a job's expected end. */
export const MAX_LAUNCH_WAIT_SECONDS = 3600;

const seconds = (iso: string | undefined): number | undefined => {
  const ms = iso ? Date.parse(iso) : NaN;
  return Number.isNaN(ms) ? undefined : ms / 1000;
};

/** The shortest LAUNCH job (test or cutover: the same snapshot, conversion and launch) that ended lately, in seconds. */
export function shortestLaunchJobSeconds(jobs: readonly JobView[]): number | undefined {
  let shortest: number | undefined;
  for (const j of jobs) {
    const start = seconds(j.creationDateTime);
    const end = seconds(j.endDateTime);
    if (
      j.type !== 'LAUNCH' ||
      j.status !== 'COMPLETED' ||
      start === undefined ||
      end === undefined ||
      end < start
    )
      continue;
    shortest = Math.min(shortest ?? Infinity, end - start);
  }
  return shortest;
}

/**
 * The next launch poll. A job frees its servers' room and reports its launches when it ends, and
 * MGN launch jobs take minutes: once this wave has seen one end, the poll sleeps until the earliest
 * active job could end at that pace (so a 1,000-server phase, five rounds of 200 under MGN's limit,
 * costs about one poll per round instead of one a minute), and polls every `pollSeconds` otherwise:
 * while no job has ended yet, while a job runs longer than the shortest seen, or while servers wait
 * on something other than a job (held).
 */
export function nextLaunchWait(input: {
  readonly nowSeconds: number;
  /** creation times (epoch seconds) of the launch jobs still active */
  readonly activeJobStarts: readonly number[];
  readonly shortestJobSeconds?: number;
  readonly held: number;
  readonly pollSeconds: number;
}): number {
  if (input.held > 0 || input.shortestJobSeconds === undefined || input.activeJobStarts.length === 0)
    return input.pollSeconds;
  const untilEnd = Math.min(...input.activeJobStarts) + input.shortestJobSeconds - input.nowSeconds;
  return untilEnd > input.pollSeconds
    ? Math.min(MAX_LAUNCH_WAIT_SECONDS, Math.ceil(untilEnd) + 1)
    : input.pollSeconds;
}

/** Servers in active jobs account-wide, and the number of active jobs. */
export function activeJobLoad(jobs: readonly JobView[]): { servers: number; jobs: number } {
  const active = jobs.filter((j) => j.status !== 'COMPLETED');
  return { servers: active.reduce((n, j) => n + j.servers.length, 0), jobs: active.length };
}

type ServerLaunchState = 'launched' | 'in-flight' | 'queue' | 'hold';

function classify(
  rules: LaunchRules,
  record: ServerRecord,
  view: SourceServerView,
  jobs: ReadonlyMap<string, JobView>,
  activeJobOf: ReadonlyMap<string, string>,
): { state: ServerLaunchState; failedLaunch?: string } {
  const progress = rules.progressOf(record);
  const jobId =
    progress.jobId ??
    activeJobOf.get(view.sourceServerId) ??
    (view.lifecycleState === rules.launched ? rules.lastJobOf(view) : undefined);
  if (jobId) {
    progress.jobId = jobId;
    const job = jobs.get(jobId);
    const entry = job?.servers.find((s) => s.sourceServerId === view.sourceServerId);
    if (entry?.launchStatus === 'LAUNCHED') {
      progress.instanceId = entry.launchedInstanceId ?? view.launchedInstanceId;
      return { state: 'launched' };
    }
    if (!job) {
      // The job is gone from MGN's history: trust the lifecycle.
      if (view.lifecycleState === rules.launched && view.launchedInstanceId) {
        progress.instanceId = view.launchedInstanceId;
        return { state: 'launched' };
      }
      progress.jobId = undefined;
      return { state: 'queue' };
    }
    const failed =
      entry?.launchStatus === 'FAILED' || entry?.launchStatus === 'TERMINATED' || job.status === 'COMPLETED';
    if (!failed) return { state: 'in-flight' };
    progress.jobId = undefined;
    return {
      state: 'queue',
      failedLaunch: `launch job ${jobId} ended with ${entry?.launchStatus ?? 'no launch'} for this server`,
    };
  }
  if (view.lifecycleState === rules.launchFrom || view.lifecycleState === rules.launched)
    return { state: 'queue' };
  return { state: 'hold' };
}

/** Why a server may not launch yet (cutover waits for a low replication lag). */
function holdReason(kind: LaunchKind, view: SourceServerView): string | undefined {
  if (kind === 'cutover' && view.lagSeconds !== undefined && view.lagSeconds > CUTOVER_MAX_LAG_SECONDS)
    return `replication lag ${Math.round(view.lagSeconds)}s is above ${CUTOVER_MAX_LAG_SECONDS}s`;
  return undefined;
}

/**
 * One poll of a launch phase over the whole wave. Done when every active server is launched (or was
 * already past the phase) and failed servers' instances are being retired.
 */
export async function launchWave(kind: LaunchKind, ctx: WaveContext, deps: FlowDeps, options: LaunchOptions = {}): Promise<WaveContext> {
  // The whole decision (DescribeJobs to the last start) holds the account-wide lease, so two waves'
  // polls never fill the same free room under MGN's 200-servers-in-active-jobs limit.
  const leased = await withMgnJobLease(`${ctx.waveId}/${ctx.runId}/${kind}-launch`, deps, () => launchPoll(kind, ctx, deps, options));
  if (leased.ran) return leased.value;
  deps.log.info(`${kind} launch poll deferred: another launch step holds the MGN job lease`, { heldBy: leased.heldBy });
  const state = await loadRunState(deps.store, ctx);
  return pollAgain(ctx, LAUNCH_RULES[kind].phase, LEASE_RETRY_SECONDS, countsOf(state));
}

async function launchPoll(kind: LaunchKind, ctx: WaveContext, deps: FlowDeps, options: LaunchOptions): Promise<WaveContext> {
  const rules = LAUNCH_RULES[kind];
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const phaseStartedAt = Date.parse((state.phaseStartedAt[rules.phase] ??= at.toISOString()));
  const timedOut = (at.getTime() - phaseStartedAt) / 1000 > LAUNCH_PHASE_TIMEOUT_SECONDS;
  const views = await readWave(deps.mgn, manifest, state);

  const recentJobs = await deps.mgn.listJobs(
    new Date(at.getTime() - ACTIVE_JOB_LOOKBACK_SECONDS * 1000).toISOString(),
  );
  const activeJobOf = new Map<string, string>();
  for (const job of recentJobs)
    if (job.status !== 'COMPLETED' && job.initiatedBy === rules.initiatedBy)
      for (const s of job.servers) activeJobOf.set(s.sourceServerId, job.jobId);
  const knownJobIds = new Set<string>();
  for (const r of activeServers(state)) {
    const v = views.get(r.name);
    const id =
      rules.progressOf(r).jobId ??
      (v && v.lifecycleState === rules.launched ? rules.lastJobOf(v) : undefined);
    if (id) knownJobIds.add(id);
  }
  const recentById = new Map(recentJobs.map((j) => [j.jobId, j]));
  const missing = [...knownJobIds].filter((id) => !recentById.has(id));
  const jobs = new Map([
    ...recentById,
    ...(missing.length > 0 ? (await deps.mgn.describeJobs(missing)).map((j) => [j.jobId, j] as const) : []),
  ]);

  const queue: ServerRecord[] = [];
  /** cutover candidates whose source must be quiesced first (options.quiesce) */
  const toQuiesce: ServerRecord[] = [];
  let inFlight = 0;
  let held = 0;
  for (const { record, view } of serversInPhase(state, views, rules.phase, at, rules.past)) {
    const { state: launchState, failedLaunch } = classify(rules, record, view, jobs, activeJobOf);
    const progress = rules.progressOf(record);
    // classify forgets the failed job (progress.jobId), so each failed launch is counted once
    if (failedLaunch) deps.metrics?.launchJobFailed(kind);
    if (launchState === 'launched') mark(record, rules.phase, 'done', at);
    else if (launchState === 'in-flight') inFlight += 1;
    else if (failedLaunch && progress.attempts >= MAX_LAUNCH_ATTEMPTS) {
      failServer(record, rules.phase, `${failedLaunch}; gave up after ${progress.attempts} launches`, at);
      requestCleanup(record, kind === 'test' ? 'test-failed' : 'cutover-failed', rules.revertTo);
    } else if (launchState === 'queue') {
      const hold = holdReason(kind, view);
      if (hold) {
        progress.lastRefusal = hold;
        held += 1;
      } else if (kind === 'cutover' && manifest.options.quiesce && record.quiesce?.stage !== 'done')
        toQuiesce.push(record);
      else queue.push(record);
    } else {
      progress.lastRefusal = `lifecycle ${view.lifecycleState ?? 'unknown'} is not ${rules.launchFrom}`;
      held += 1;
    }
  }

  if (toQuiesce.length > 0) {
    const quiesce = await advanceQuiesce(
      deps,
      ctx.waveId,
      toQuiesce.map((record) => ({ record, spec: specOf(manifest, record) })),
      at,
    );
    for (const { record, reason } of quiesce.failed) failServer(record, rules.phase, reason, at);
    queue.push(...quiesce.ready);
    held += toQuiesce.length - quiesce.ready.length - quiesce.failed.length;
  }

  // Start what fits under the account-wide active-job limits; queue the rest.
  const load = activeJobLoad(recentJobs);
  let room = Math.max(0, MAX_SERVERS_IN_ACTIVE_JOBS - load.servers);
  let jobSlots = Math.max(0, MAX_ACTIVE_JOBS - load.jobs);
  let started = 0;
  let refused: string | undefined;
  const startedJobs: JobView[] = [];
  /** Starts one job; a refusal other than "not now" is narrowed down to the server(s) it concerns. */
  const startJob = async (batch: ServerRecord[]): Promise<void> => {
    try {
      const job = await rules.start(
        deps,
        batch.map((r) => r.sourceServerId!),
      );
      startedJobs.push(job);
      for (const r of batch) {
        const progress = rules.progressOf(r);
        progress.jobId = job.jobId;
        progress.attempts += 1;
        progress.lastRefusal = undefined;
        r.launches[kind] += 1;
        mark(r, rules.phase, 'started', at);
      }
      room -= batch.length;
      jobSlots -= 1;
      started += batch.length;
      inFlight += batch.length;
    } catch (error) {
      if (error instanceof TryLaterError) {
        refused = `${error.code}: ${error.message}`;
        queue.unshift(...batch);
        for (const r of queue) rules.progressOf(r).lastRefusal = refused;
      } else if (batch.length === 1)
        failServer(batch[0], rules.phase, `MGN refused the launch: ${reasonOf(error)}`, at);
      else
        for (const r of batch)
          if (!refused && room > 0 && jobSlots > 0) await startJob([r]);
          else queue.push(r);
    }
  };
  /** servers whose launch settings could not be written yet (throttled): queued for the next poll */
  const deferred: ServerRecord[] = [];
  /** Puts the batch's launch settings in place, then starts the servers whose settings are. */
  const settleAndStart = async (batch: ServerRecord[]): Promise<void> => {
    if (options.applySettings === false) return startJob(batch);
    const planned: { record: ServerRecord; plan: LaunchPlan }[] = [];
    for (const record of batch) {
      const { plan, problems } = planFor(manifest, record, kind, deps);
      if (plan) planned.push({ record, plan });
      else failServer(record, rules.phase, problems.join('; '), at);
    }
    const settings = await applyLaunchSettings(deps, kind, ctx.waveId, planned);
    for (const { record, reason } of settings.refused) failServer(record, rules.phase, reason, at);
    for (const { record, reason } of settings.later) {
      rules.progressOf(record).lastRefusal = reason;
      deferred.push(record);
    }
    if (settings.later.length > 0) refused = settings.later[0].reason;
    for (const { record, launchTemplate } of settings.ready) rules.progressOf(record).launchTemplate = launchTemplate;
    if (settings.ready.length > 0) await startJob(settings.ready.map((r) => r.record));
  };
  while (queue.length > 0 && room > 0 && jobSlots > 0 && !refused)
    await settleAndStart(queue.splice(0, Math.min(MAX_SERVERS_PER_JOB, room)));
  const queued = queue.length + deferred.length;

  if (timedOut)
    for (const r of activeServers(state)) {
      const p = rules.progressOf(r);
      if (
        p.jobId ||
        r.timeline.some((e) => e.phase === rules.phase && (e.status === 'done' || e.status === 'skipped'))
      )
        continue;
      failServer(
        r,
        rules.phase,
        `not launched within ${LAUNCH_PHASE_TIMEOUT_SECONDS / 3600}h${p.lastRefusal ? `: ${p.lastRefusal}` : ''}`,
        at,
      );
    }

  // readWave read the servers being retired too; this poll launched none of them.
  const cleanupLeft = await retireTargetInstances(deps, state.servers, views);

  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info(`${kind} launch poll`, {
    started,
    inFlight,
    queued,
    held,
    activeServersInJobs: load.servers,
    refused,
    ...counts,
  });
  const waiting = timedOut ? inFlight : inFlight + queued + held;
  const activeLaunchJobs = [...recentJobs.filter((j) => j.status !== 'COMPLETED'), ...startedJobs].filter(
    (j) => j.type === undefined || j.type === 'LAUNCH',
  );
  const waitSeconds = nextLaunchWait({
    nowSeconds: at.getTime() / 1000,
    activeJobStarts: activeLaunchJobs.map((j) => seconds(j.creationDateTime) ?? at.getTime() / 1000),
    shortestJobSeconds: shortestLaunchJobSeconds(recentJobs),
    held: held + (cleanupLeft > 0 ? 1 : 0),
    pollSeconds: Math.min(LAUNCH_POLL_SECONDS, manifest.options.pollIntervalSeconds),
  });
  return waiting === 0 && cleanupLeft === 0
    ? phaseDone(ctx, rules.phase, counts)
    : pollAgain(ctx, rules.phase, waitSeconds, counts);
}

export const launchTest = (ctx: WaveContext, deps: FlowDeps) => launchWave('test', ctx, deps);
export const launchCutover = (ctx: WaveContext, deps: FlowDeps) => launchWave('cutover', ctx, deps);

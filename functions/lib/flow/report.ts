import { reasonOf } from '../errors';
import type { PhaseName } from '../phases';
import type { FlowDeps, SourceServerView } from '../ports';
import type { LaunchKind } from '../launch-settings';
import { countsOf, type LaunchedInstance, type RunState, type TimelineEntry, type VerificationSummary } from '../run-state';
import {
  DISCONNECTED_REASON,
  describeRecords,
  isDisconnectedUnmigrated,
  isFinalized,
} from '../source-servers';
import { reportKey, serversKey, type Outcome, type WaveContext } from '../wave-context';
import { releaseWaveLock } from '../wave-lock';
import type { Gate } from '../finalize-gate';
import { removeInstallerCredentials } from './install-agents';

/** The final report (CONTRACTS.md), written to waves/<waveId>/runs/<runId>/report.json. */
export interface WaveReport {
  readonly waveId: string;
  readonly runId: string;
  readonly outcome: Outcome;
  readonly generatedAt: string;
  /** why the wave stopped, when outcome is "failed", "rejected" or "reverted"; `gate` names the approval gate that stopped it */
  readonly stoppedBy?: { readonly error: string; readonly cause: string; readonly gate?: Gate };
  /**
   * The finalize gate answered reject (or timed out): these servers are cut over (MGN lifecycle
   * CUTTING_OVER, "Cutover in progress") and not finalized, replication still running. A re-run of
   * the wave resumes at the finalize gate without launching anything again.
   */
  readonly awaitingFinalize?: { readonly servers: readonly string[]; readonly resume: string };
  readonly servers: readonly ReportServer[];
  /** MGN's own grouping of the wave (functions/lib/mgn-grouping.ts), once the run reached replication */
  readonly mgn?: ReportMgnGrouping;
}

export interface ReportMgnGroup {
  readonly id: string;
  readonly arn: string;
  readonly name: string;
  /** true when this run created it; false when it was found by name */
  readonly created: boolean;
  readonly archived: boolean;
}

export interface ReportMgnGrouping {
  readonly wave: ReportMgnGroup | null;
  readonly applications: readonly (ReportMgnGroup & { readonly servers: number })[];
  /** what MGN refused (never a reason to set a server aside) */
  readonly problems: readonly string[];
}

function reportMgnGrouping(state: RunState | undefined): ReportMgnGrouping | undefined {
  const g = state?.mgn;
  if (!g) return undefined;
  const group = (x: { id: string; arn: string; name: string; created: boolean; archived: boolean }): ReportMgnGroup => ({
    id: x.id,
    arn: x.arn,
    name: x.name,
    created: x.created,
    archived: x.archived,
  });
  return {
    wave: g.wave ? group(g.wave) : null,
    applications: g.applications.map((a) => ({ ...group(a), servers: a.sourceServerIds.length })),
    problems: [...g.problems],
  };
}

export interface ReportServer {
  readonly name: string;
  readonly sourceServerId: string | null;
  readonly finalLifecycleState: string;
  /** reverted: the finalize gate answered revert and the server is back to READY_FOR_CUTOVER, its source kept */
  readonly result: 'migrated' | 'failed' | 'skipped' | 'reverted';
  readonly failure?: { readonly phase: PhaseName; readonly reason: string };
  readonly launches: { readonly test: number; readonly cutover: number };
  /** the test and cutover instances as launched (DescribeInstances at verification) */
  readonly instances?: Partial<Record<LaunchKind, ReportInstance>>;
  /** which checks ran on each launched instance, and how they ended */
  readonly verification?: Partial<Record<LaunchKind, VerificationSummary>>;
  readonly timeline: readonly TimelineEntry[];
  /** how long the server waited in install for room under the replicating-servers quota (mgn/L-9A599620) */
  readonly waitedForQuotaSeconds?: number;
}

export interface ReportInstance {
  readonly instanceId: string;
  readonly subnetId: string | null;
  readonly privateIpAddress: string | null;
  readonly instanceType: string | null;
  readonly securityGroupIds: readonly string[];
}

const reportInstance = (i: LaunchedInstance): ReportInstance => ({
  instanceId: i.instanceId,
  subnetId: i.subnetId ?? null,
  privateIpAddress: i.privateIpAddress ?? null,
  instanceType: i.instanceType ?? null,
  securityGroupIds: i.securityGroupIds,
});

function instancesOf(instances: RunState['servers'][number]['instances']): ReportServer['instances'] {
  const out: Partial<Record<LaunchKind, ReportInstance>> = {};
  if (instances?.test) out.test = reportInstance(instances.test);
  if (instances?.cutover) out.cutover = reportInstance(instances.cutover);
  return Object.keys(out).length > 0 ? out : undefined;
}

export function waveOutcome(ctx: WaveContext, servers: readonly ReportServer[]): Outcome {
  if (ctx.error) return 'failed';
  if (ctx.outcome === 'reverted') return 'reverted';
  if (ctx.outcome === 'rejected' || ctx.rejection || ctx.finalizeRejection) return 'rejected';
  return servers.some((s) => s.result === 'failed') ? 'completed-with-failures' : 'completed';
}

export function buildReport(
  ctx: WaveContext,
  state: RunState | undefined,
  views: ReadonlyMap<string, SourceServerView>,
  at: Date,
): WaveReport {
  const servers: ReportServer[] = (state?.servers ?? []).map((r) => {
    const view = views.get(r.name);
    // disconnected after the last phase that looked at it: not migrated, and the report says why
    const disconnected = r.status !== 'failed' && isDisconnectedUnmigrated(view);
    const failure =
      r.failure ?? (disconnected ? { phase: 'report' as const, reason: DISCONNECTED_REASON } : undefined);
    const instances = instancesOf(r.instances);
    return {
      name: r.name,
      sourceServerId: r.sourceServerId ?? null,
      finalLifecycleState: view?.lifecycleState ?? (r.sourceServerId ? 'UNKNOWN' : 'NOT_IN_MGN'),
      result:
        r.status === 'failed' || disconnected
          ? 'failed'
          : isFinalized(view)
            ? 'migrated'
            : r.reverted && view?.lifecycleState === 'READY_FOR_CUTOVER'
              ? 'reverted'
              : 'skipped',
      ...(failure ? { failure } : {}),
      launches: r.launches,
      ...(instances ? { instances } : {}),
      ...(r.verification && Object.keys(r.verification).length > 0 ? { verification: r.verification } : {}),
      timeline: r.timeline,
      ...(r.quotaWait ? { waitedForQuotaSeconds: r.quotaWait.waitedSeconds ?? Math.round((at.getTime() - Date.parse(r.quotaWait.since)) / 1000) } : {}),
    };
  });
  const stop =
    ctx.error ??
    ctx.revertRequest ??
    ctx.finalizeRejection ??
    (ctx.rejection || ctx.outcome === 'rejected'
      ? (ctx.rejection ?? {
          Error: 'NotApproved',
          Cause: `approval answered ${JSON.stringify(ctx.approval ?? {})}`,
        })
      : undefined);
  return {
    waveId: ctx.waveId,
    runId: ctx.runId,
    outcome: waveOutcome(ctx, servers),
    generatedAt: at.toISOString(),
    ...(stop
      ? { stoppedBy: { error: stop.Error ?? 'unknown', cause: (stop.Cause ?? '').slice(0, 4000), ...gateOf(ctx) } }
      : {}),
    ...awaitingFinalizeOf(ctx, servers),
    servers,
    ...(reportMgnGrouping(state) ? { mgn: reportMgnGrouping(state) } : {}),
  };
}

/** The approval gate whose answer (or timeout) stopped the wave, if one did. */
function gateOf(ctx: WaveContext): { gate?: Gate } {
  if (ctx.error) return {};
  if (ctx.revertRequest || ctx.finalizeRejection) return { gate: 'finalize' };
  if (ctx.rejection || ctx.outcome === 'rejected') return { gate: 'cutover' };
  return {};
}

/** After a finalize-gate rejection: the servers cut over and not finalized, and how to finish them. */
function awaitingFinalizeOf(ctx: WaveContext, servers: readonly ReportServer[]): Pick<WaveReport, 'awaitingFinalize'> {
  if (!ctx.finalizeRejection || ctx.error) return {};
  const waiting = servers.filter((s) => s.result === 'skipped' && s.finalLifecycleState === 'CUTTING_OVER').map((s) => s.name);
  return {
    awaitingFinalize: {
      servers: waiting,
      resume:
        'not finalized: the cutover instances run and replication continues. Re-run the wave (same manifest) to resume at the finalize gate; nothing is launched again',
    },
  };
}

export function reportSummary(report: WaveReport, key: string): string {
  const by = (result: ReportServer['result']) => report.servers.filter((s) => s.result === result);
  const lines = [
    `Wave ${report.waveId} (run ${report.runId}): ${report.outcome}.`,
    `${by('migrated').length} migrated, ${by('failed').length} failed, ${by('skipped').length} skipped of ${report.servers.length}.`,
  ];
  if (report.stoppedBy)
    lines.push(
      `Stopped by ${report.stoppedBy.error}${report.stoppedBy.gate ? ` at the ${report.stoppedBy.gate} gate` : ''}: ${report.stoppedBy.cause.slice(0, 500)}`,
    );
  if (by('reverted').length > 0)
    lines.push(`${by('reverted').length} reverted to Ready for cutover (cutover instances terminated, sources kept, still replicating).`);
  if (report.awaitingFinalize)
    lines.push(`Awaiting finalize: ${report.awaitingFinalize.servers.length} servers; ${report.awaitingFinalize.resume}.`);
  for (const s of by('failed').slice(0, 50))
    lines.push(`  ${s.name} failed in ${s.failure?.phase}: ${s.failure?.reason.slice(0, 200)}`);
  lines.push(`Full report: ${key}`);
  return lines.join('\n');
}

/**
 * Writes the final report (every server with its result) and notifies the topic. It runs after
 * failures too, so it reads MGN best-effort and still writes what it knows. Every ending of a run
 * passes through here, so it releases the wave's lock, whatever happened (wave-lock.ts).
 */
export async function writeReport(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  try {
    return await reportRun(ctx, deps);
  } finally {
    await releaseWaveLock(ctx.waveId, ctx.runId, deps);
  }
}

async function reportRun(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const state = await deps.store.getJson<RunState>(serversKey(ctx.waveId, ctx.runId));
  const at = deps.now();
  let views: Map<string, SourceServerView> = new Map();
  if (state) {
    try {
      // Left over only when the wave stopped during installs.
      if (state.credentialParameters.length > 0) {
        await removeInstallerCredentials(deps, state);
        await deps.store.putJson(serversKey(ctx.waveId, ctx.runId), state);
      }
    } catch (error) {
      deps.log.error('could not remove installer credentials parameters', { reason: reasonOf(error) });
    }
    try {
      views = await describeRecords(deps.mgn, state.servers);
    } catch (error) {
      deps.log.error('could not read final lifecycle states from MGN', { reason: reasonOf(error) });
    }
  }
  const report = buildReport(ctx, state, views, at);
  const key = reportKey(ctx.waveId, ctx.runId);
  await deps.store.putJson(key, report);
  const results = { migrated: 0, failed: 0, skipped: 0, reverted: 0 };
  for (const s of report.servers) results[s.result] += 1;
  deps.metrics?.serversByResult(results);
  try {
    await deps.notifier.publish(`Wave ${ctx.waveId}: ${report.outcome}`, reportSummary(report, key));
  } catch (error) {
    deps.log.error('could not publish the report summary', { reason: reasonOf(error) });
  }
  deps.log.info('wave report written', { outcome: report.outcome, key });
  return {
    ...ctx,
    phase: 'report',
    lastCompletedPhase: 'report',
    done: true,
    waitSeconds: 0,
    polls: 0,
    outcome: report.outcome,
    reportKey: key,
    ...(state ? { counts: countsOf(state) } : {}),
  };
}

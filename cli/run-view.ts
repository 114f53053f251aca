/**
 * A deployed run seen from its server records (waves/<waveId>/runs/<runId>/servers.json): the
 * progress line `mgnctl simulate` draws (cli/progress-display.ts) and a per-phase table of servers by
 * timeline status. Read only: MGN stays the source of truth; the records say what the run did and saw.
 */
import { PHASES, type PhaseName } from '../functions/lib/phases';
import type { RunState, TimelineStatus } from '../functions/lib/run-state';
import type { WaveProgress } from './progress-display';

export const TIMELINE_STATUSES: readonly TimelineStatus[] = [
  'started',
  'done',
  'failed',
  'skipped',
  'waiting-for-quota',
];

export interface PhaseCounts {
  readonly phase: PhaseName;
  /** servers whose latest entry in this phase has each status */
  readonly servers: Readonly<Partial<Record<TimelineStatus, number>>>;
}

export interface RunView {
  readonly progress: WaveProgress;
  readonly phases: readonly PhaseCounts[];
  readonly servers: {
    readonly total: number;
    readonly active: number;
    readonly failed: number;
    readonly stalled: number;
  };
  /** the largest replication lag among the run's servers, seconds */
  readonly maxLagSeconds?: number;
}

const phaseIndex = (p: string) => (PHASES as readonly string[]).indexOf(p);

/**
 * `executionState`: the Step Functions status when known (RUNNING, SUCCEEDED, ...); `now` and
 * `startedAt` give the elapsed time (the execution's start, or the first timeline entry).
 */
export function runView(state: RunState, now: Date, executionState?: string, startedAt?: Date): RunView {
  const perPhase = new Map<PhaseName, Partial<Record<TimelineStatus, number>>>();
  const position: Record<string, number> = {};
  let first = Infinity;
  for (const server of state.servers) {
    const latest = new Map<PhaseName, TimelineStatus>();
    for (const entry of server.timeline) {
      latest.set(entry.phase, entry.status);
      const at = Date.parse(entry.at);
      if (at < first) first = at;
    }
    for (const [phase, status] of latest) {
      const counts = perPhase.get(phase) ?? {};
      counts[status] = (counts[status] ?? 0) + 1;
      perPhase.set(phase, counts);
    }
    const last = server.timeline[server.timeline.length - 1];
    const where =
      server.status === 'failed'
        ? `${server.failure?.phase ?? last?.phase ?? '?'} failed`
        : last
          ? `${last.phase} ${last.status}`
          : 'not started';
    position[where] = (position[where] ?? 0) + 1;
  }
  const phases = [...perPhase]
    .sort(([a], [b]) => phaseIndex(a) - phaseIndex(b))
    .map(([phase, servers]) => ({ phase, servers }));
  // the furthest phase any server reached, and the furthest one nobody is still in
  const reached = phases.length > 0 ? phases[phases.length - 1].phase : undefined;
  const completed = [...phases]
    .reverse()
    .find(
      (p) =>
        !p.servers.started &&
        !p.servers['waiting-for-quota'] &&
        (p.servers.done ?? 0) + (p.servers.skipped ?? 0) > 0,
    );
  const replicating = state.servers.filter((s) => s.replication);
  const lags = replicating
    .map((s) => s.replication!.lagSeconds)
    .filter((l): l is number => typeof l === 'number');
  const start = startedAt?.getTime() ?? (Number.isFinite(first) ? first : now.getTime());
  const failed = state.servers.filter((s) => s.status === 'failed').length;
  return {
    progress: {
      waveId: state.waveId,
      execution: state.runId,
      state: [executionState, reached].filter(Boolean).join(' ') || 'not started',
      ...(completed ? { lastCompletedPhase: completed.phase } : {}),
      simulatedSeconds: Math.max(0, (now.getTime() - start) / 1000),
      fleet: {
        lifecycle: position,
        ...(replicating.length > 0
          ? {
              replicationPercent:
                replicating.reduce((sum, s) => sum + s.replication!.percent, 0) / replicating.length,
            }
          : {}),
      },
    },
    phases,
    servers: {
      total: state.servers.length,
      active: state.servers.length - failed,
      failed,
      stalled: replicating.filter((s) => s.status === 'active' && s.replication!.stalled).length,
    },
    ...(lags.length > 0 ? { maxLagSeconds: Math.max(...lags) } : {}),
  };
}

/** The per-phase table: one row per phase reached, servers by timeline status. */
export function phaseTable(view: RunView): string[] {
  const head = `  ${'phase'.padEnd(16)}${TIMELINE_STATUSES.map((s) => s.padStart(s.length + 2)).join('')}`;
  const rows = view.phases.map(
    (p) =>
      `  ${p.phase.padEnd(16)}${TIMELINE_STATUSES.map((s) => String(p.servers[s] ?? 0).padStart(s.length + 2)).join('')}`,
  );
  const s = view.servers;
  const summary = `  servers: ${s.total} (${s.active} active, ${s.failed} failed, ${s.stalled} stalled)${view.maxLagSeconds !== undefined ? `, largest replication lag ${view.maxLagSeconds} s` : ''}`;
  return [head, ...rows, summary];
}

/**
 * The simulator's per-wave report: the report step's object (CONTRACTS.md, "Final report object")
 * plus what only the simulator can see (Step Functions billing and limits, API calls served by the
 * emulator, launch jobs, virtual and wall time).
 */
import type { StackNetwork } from '../network';
import type { ReportMgnGrouping } from '../../functions/lib/flow/report';
import type { PhaseName } from '../scenario';

export type WaveOutcome = 'completed' | 'completed-with-failures' | 'rejected' | 'reverted' | 'failed';
export type ServerResult = 'migrated' | 'failed' | 'skipped' | 'reverted';
export type TimelineStatus = 'started' | 'done' | 'failed' | 'skipped' | 'waiting-for-quota';

export interface TimelineEntry {
  readonly phase: PhaseName | string;
  readonly status: TimelineStatus;
  /** ISO-8601 */
  readonly at: string;
}

export interface ServerReport {
  readonly name: string;
  readonly sourceServerId?: string;
  readonly finalLifecycleState?: string;
  readonly result: ServerResult;
  readonly failure?: { readonly phase: PhaseName | string; readonly reason: string };
  readonly launches: { readonly test: number; readonly cutover: number };
  readonly timeline: readonly TimelineEntry[];
}

/** What the report step writes to waves/<waveId>/runs/<runId>/report.json. */
export interface WaveReport {
  readonly waveId: string;
  readonly runId: string;
  readonly outcome: WaveOutcome;
  /** why the wave stopped (a failure, a rejection at either gate, a revert) */
  readonly stoppedBy?: { readonly error: string; readonly cause: string };
  /** the finalize gate rejected: servers cut over and not finalized; a re-run resumes at the gate */
  readonly awaitingFinalize?: { readonly servers: readonly string[]; readonly resume: string };
  readonly servers: readonly ServerReport[];
  /** MGN's own wave and applications the run grouped the servers in */
  readonly mgn?: ReportMgnGrouping;
}

export interface ExecutionSummary {
  readonly name: string;
  readonly status: string;
  readonly error?: string;
  readonly cause?: string;
  readonly interruptedAfterPhase?: string;
  readonly stateTransitions: number;
  readonly historyEvents: number;
}

export interface SimulationStats {
  /** Billed state transitions over every execution of the wave. */
  readonly stateTransitions: number;
  /** History events over every execution of the wave (each execution is limited to 25,000). */
  readonly historyEvents: number;
  /** "<service>:<Operation>" -> requests the emulator served for this wave. */
  readonly apiCalls: Readonly<Record<string, number>>;
  /** Whether apiCalls counts this wave's requests only or every request of the session (waves not told apart). */
  readonly apiCallsScope: 'wave' | 'session';
  /** StartTest and StartCutover jobs that included this wave's servers. */
  readonly launchJobs: number;
  /** Most servers in MGN jobs active at once, across the whole session (the account-wide limit is 200). */
  readonly maxServersInActiveJobs: number;
  readonly simulatedSeconds: number;
  readonly wallMs: number;
  readonly maxPayloadBytes: number;
  /** Executions started for the wave (more than one after interruptions). */
  readonly executions: number;
  readonly retries: number;
  readonly lambdaErrorsInjected: number;
}

export interface SimulationReport extends WaveReport {
  readonly stats: SimulationStats;
  readonly executions: readonly ExecutionSummary[];
  /** Set when the orchestrator itself failed (the last execution did not succeed). */
  readonly error?: { readonly error: string; readonly cause: string };
  /** Virtual start of the wave, ISO-8601. */
  readonly startedAt: string;
  /** The ids of what the simulated stack created (VPC, subnet tiers, groups, endpoints, instance profile). */
  readonly network?: StackNetwork;
}

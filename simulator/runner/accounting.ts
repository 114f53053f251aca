/**
 * Bills and limits an execution the way Step Functions (Standard) does, from the event log of
 * aws-local-stepfunctions.
 *
 * State transitions (what Standard workflows bill): one per state entered, at any nesting level,
 * plus one per retry attempt.
 *
 * History events (what counts toward the 25,000-event limit), per state as Step Functions writes them:
 * - execution: ExecutionStarted, then ExecutionSucceeded | ExecutionFailed | ExecutionAborted | ExecutionTimedOut;
 * - Task calling a Lambda ARN: TaskStateEntered, TaskScheduled, TaskStarted, TaskSucceeded, TaskStateExited;
 *   every failed attempt (the first or a retry) adds TaskScheduled, TaskStarted, TaskFailed; a caught
 *   failure still exits (TaskStateExited); an uncaught one ends the execution without an exit event;
 * - Task on `.waitForTaskToken`: as above plus TaskSubmitted once the task has been handed over;
 * - Pass, Wait, Choice, Succeed: <Type>StateEntered, <Type>StateExited;
 * - Fail: FailStateEntered (the execution's ExecutionFailed follows);
 * - Map (inline) and Parallel: <Type>StateEntered, <Type>StateStarted, then per iteration
 *   MapIterationStarted and MapIterationSucceeded | MapIterationFailed (the iteration's states are
 *   counted as above), then <Type>StateSucceeded | <Type>StateFailed, <Type>StateExited.
 *
 * Payload limit: a state's input or output larger than 262,144 bytes (UTF-8 JSON) fails the execution
 * with States.DataLimitExceeded, which Step Functions treats as terminal (no Retry, no Catch here).
 */
import type { StateType } from './definition';

export const MAX_PAYLOAD_BYTES = 262_144;
export const MAX_HISTORY_EVENTS = 25_000;

export const payloadBytes = (value: unknown): number => Buffer.byteLength(JSON.stringify(value ?? null) ?? 'null', 'utf8');

/** A terminal error: aws-local-stepfunctions reads isRetryable/isCatchable and neither retries nor catches it. */
export class DataLimitExceededError extends Error {
  override readonly name = 'States.DataLimitExceeded';
  readonly isRetryable = false;
  readonly isCatchable = false;
  constructor(where: string, bytes: number) {
    super(`${where} is ${bytes} bytes, over the ${MAX_PAYLOAD_BYTES}-byte limit of Step Functions`);
  }
}

export interface ExecutionCounters {
  stateTransitions: number;
  historyEvents: number;
  /** History event type -> count, as modelled above. */
  historyByType: Record<string, number>;
  /** Retry attempts across all states. */
  retries: number;
  maxPayloadBytes: number;
}

/** The events of aws-local-stepfunctions this model reads (a structural subset of its EventLog). */
export interface LibraryEvent {
  type: string;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  index?: number;
  Error?: string;
  Cause?: unknown;
}

export interface LimitViolation {
  readonly error: string;
  readonly cause: string;
}

export class ExecutionAccounting {
  readonly counters: ExecutionCounters = {
    stateTransitions: 0,
    historyEvents: 0,
    historyByType: {},
    retries: 0,
    maxPayloadBytes: 0,
  };
  /** The first limit the execution broke, if any. */
  violation?: LimitViolation;
  /** Keys (state name + iteration) whose last failure was caught: their exit is the only event left. */
  private readonly caught = new Set<string>();

  constructor(
    private readonly originalTypes: ReadonlyMap<string, StateType>,
    private readonly taskResources: ReadonlyMap<string, string>,
    private readonly limits = { payloadBytes: MAX_PAYLOAD_BYTES, historyEvents: MAX_HISTORY_EVENTS },
  ) {}

  private add(type: string, n = 1): void {
    this.counters.historyEvents += n;
    this.counters.historyByType[type] = (this.counters.historyByType[type] ?? 0) + n;
    if (!this.violation && this.counters.historyEvents > this.limits.historyEvents)
      this.violation = {
        error: 'States.Runtime',
        cause: `the execution history exceeded ${this.limits.historyEvents} events, the Step Functions limit for Standard workflows`,
      };
  }

  private checkPayload(stateName: string, which: 'input' | 'output', value: unknown): void {
    if (value === undefined) return;
    const bytes = payloadBytes(value);
    if (bytes > this.counters.maxPayloadBytes) this.counters.maxPayloadBytes = bytes;
    if (!this.violation && bytes > this.limits.payloadBytes)
      this.violation = {
        error: 'States.DataLimitExceeded',
        cause: `the ${which} of state "${stateName}" is ${bytes} bytes, over the ${this.limits.payloadBytes}-byte limit`,
      };
  }

  /** Records a payload the runner saw directly (a handler's input or result). */
  observePayload(bytes: number): void {
    if (bytes > this.counters.maxPayloadBytes) this.counters.maxPayloadBytes = bytes;
  }

  private typeOf(name: string, libraryType: string): StateType {
    return this.originalTypes.get(name) ?? (libraryType as StateType);
  }

  private isTokenTask(name: string): boolean {
    return (this.taskResources.get(name) ?? '').endsWith('.waitForTaskToken');
  }

  record(event: LibraryEvent): void {
    const state = event.state;
    const key = state ? `${state.name}#${event.index ?? ''}` : '';
    switch (event.type) {
      case 'ExecutionStarted':
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionAborted':
        this.add(event.type);
        return;
      case 'ExecutionTimeout':
        this.add('ExecutionTimedOut');
        return;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed':
        this.add(event.type);
        return;
      case 'StateEntered': {
        if (!state) return;
        const type = this.typeOf(state.name, state.type);
        this.counters.stateTransitions++;
        this.add(`${type}StateEntered`);
        if (type === 'Map' || type === 'Parallel') this.add(`${type}StateStarted`);
        this.checkPayload(state.name, 'input', state.input);
        return;
      }
      case 'StateRetried':
        this.counters.stateTransitions++;
        this.counters.retries++;
        return;
      case 'StateFailed': {
        if (!state) return;
        const type = this.typeOf(state.name, state.type);
        if (type === 'Task') {
          this.add('TaskScheduled');
          this.add('TaskStarted');
          if (this.isTokenTask(state.name)) this.add('TaskSubmitted');
          this.add('TaskFailed');
        } else if (type === 'Map' || type === 'Parallel') {
          this.add(`${type}StateFailed`);
        }
        return;
      }
      case 'StateCaught':
        if (state) this.caught.add(key);
        return;
      case 'StateExited': {
        if (!state) return;
        const type = this.typeOf(state.name, state.type);
        this.checkPayload(state.name, 'output', state.output);
        if (this.caught.delete(key)) {
          this.add(`${type}StateExited`);
          return;
        }
        if (type === 'Task') {
          this.add('TaskScheduled');
          this.add('TaskStarted');
          if (this.isTokenTask(state.name)) this.add('TaskSubmitted');
          this.add('TaskSucceeded');
        } else if (type === 'Map' || type === 'Parallel') {
          this.add(`${type}StateSucceeded`);
        }
        this.add(`${type}StateExited`);
        return;
      }
      default:
        return;
    }
  }
}

/**
 * The local runner of the state machine: aws-local-stepfunctions executes the (prepared) ASL, each
 * Task answered in-process, Wait states and retry intervals parked on the virtual scheduler, the
 * approval task answered from the scenario, billing and limits counted as Step Functions would.
 */
import '../polyfills';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';
import type { Socket } from 'node:net';
import type { StateMachine as StateMachineType } from 'aws-local-stepfunctions';
import { PHASES, type PhaseName } from '../scenario';
import { DataLimitExceededError, ExecutionAccounting, MAX_HISTORY_EVENTS, MAX_PAYLOAD_BYTES, payloadBytes, type ExecutionCounters, type LibraryEvent } from './accounting';
import { WAIT_INPUT_KEY, type PreparedDefinition } from './definition';
import { HandlerResolver, invokeLambda, lambdaContext, LambdaFunctionError, type TaskHandler } from './handlers';
import type { VirtualScheduler } from './scheduler';

// CommonJS entry of the library (its ESM build is not loadable from our CommonJS code).
const { StateMachine } = require('aws-local-stepfunctions') as { StateMachine: typeof StateMachineType };

export type ExecutionStatus = 'SUCCEEDED' | 'FAILED' | 'ABORTED' | 'TIMED_OUT';
export type ApprovalAnswer = 'approve' | 'reject';
/** The answer of each gate (issue 13): revert sends RevertRequested (the cutover gate refuses it and asks again). */
export type GateAnswer = 'approve' | 'reject' | 'revert';
export interface ApprovalAnswers {
  readonly cutover: GateAnswer;
  readonly finalize: GateAnswer;
}
/** The scenario's `approval`: a string answers the cutover gate (the finalize gate approves), an object each gate. */
export const approvalAnswers = (approval: ApprovalAnswer | Partial<ApprovalAnswers> | undefined): ApprovalAnswers =>
  typeof approval === 'string' || approval === undefined
    ? { cutover: approval ?? 'approve', finalize: 'approve' }
    : { cutover: approval.cutover ?? 'approve', finalize: approval.finalize ?? 'approve' };

/** The error a rejected approval raises in the approval task (CONTRACTS.md: SendTaskFailure error). */
export class ApprovalRejectedError extends Error {
  override readonly name = 'ApprovalRejected';
}

/** The error a revert answer raises in the approval task (SendTaskFailure error RevertRequested). */
export class RevertRequestedError extends Error {
  override readonly name = 'RevertRequested';
}

/** Injected by the scenario's chaos.lambdaErrorRate: the Lambda service failing an invocation. */
export class LambdaServiceError extends Error {
  override readonly name = 'Lambda.ServiceException';
}

export interface ExecutionResult {
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
  readonly counters: ExecutionCounters;
  /** Virtual epoch ms. */
  readonly startMs: number;
  readonly stopMs: number;
  /** Set when the runner aborted it for a scenario interruption. */
  readonly interruptedAfterPhase?: PhaseName;
  readonly lambdaErrorsInjected: number;
}

/** What the runner tells an observer (the CLI's progress display) as an execution moves. */
export interface ExecutionObserver {
  onStateEntered?(execution: string, stateName: string): void;
  /** Every history event of the execution as the library reports it (state inputs and outputs included). */
  onHistoryEvent?(execution: string, event: unknown): void;
  onTaskOutput?(execution: string, stateName: string, output: unknown): void;
}

/**
 * Told of every execution's start and end, as Step Functions knows them (the emulator's
 * DescribeExecution answers from it: a wave run asks it whether its lock's holder still runs).
 */
export interface ExecutionListener {
  started(execution: { executionArn: string; stateMachineArn: string; name: string; startDate: number; input: unknown }): void;
  stopped(executionArn: string, end: { status: ExecutionStatus; stopDate: number; output?: unknown; error?: string; cause?: string }): void;
}

/** Who is behind a request: the execution and the step whose Lambda invocation sent it. */
export interface RequestCaller {
  readonly execution: string;
  readonly step?: string;
}

export interface RunnerOptions {
  readonly prepared: PreparedDefinition;
  readonly scheduler: VirtualScheduler;
  readonly resolver?: HandlerResolver;
  /** How the approval tasks are answered (scenario.approval); default approve at every gate. */
  readonly approval?: ApprovalAnswer | Partial<ApprovalAnswers>;
  /** Share (0..1) of Lambda invocations failed with Lambda.ServiceException before the handler runs. */
  readonly lambdaErrorRate?: number;
  /** Seeded random source (retry jitter, chaos). */
  readonly random?: () => number;
  readonly region?: string;
  readonly accountId?: string;
  readonly stateMachineName?: string;
  readonly limits?: { payloadBytes: number; historyEvents: number };
  readonly observer?: ExecutionObserver;
  readonly executions?: ExecutionListener;
}

export interface StartOptions {
  readonly name?: string;
  /** Called with every Lambda output; return true to abort the execution right after that state. */
  readonly interruptAfter?: (output: unknown) => PhaseName | undefined;
  /** This execution's approval answers, instead of the runner's (a re-run answering the gates otherwise). */
  readonly approval?: ApprovalAnswer | Partial<ApprovalAnswers>;
}

export interface ExecutionHandle {
  readonly name: string;
  abort(): void;
  readonly done: Promise<ExecutionResult>;
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: 'NONE' | 'FULL';
}

interface StateDef {
  Type: string;
  Resource?: string;
  Retry?: Retrier[];
  TimeoutSeconds?: number;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function collectStates(states: Json, into: Map<string, StateDef>): void {
  for (const [name, raw] of Object.entries(states)) {
    if (!isObject(raw)) continue;
    into.set(name, raw as unknown as StateDef);
    for (const key of ['ItemProcessor', 'Iterator']) {
      const sub = raw[key];
      if (isObject(sub) && isObject(sub.States)) collectStates(sub.States, into);
    }
    if (Array.isArray(raw.Branches))
      for (const b of raw.Branches) if (isObject(b) && isObject(b.States)) collectStates(b.States, into);
  }
}

const TOKEN_TASK = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;

/** The gate an approval task's Payload names ("cutover" when it names none). */
const gateOf = (params: unknown): 'cutover' | 'finalize' => {
  const payload = isObject(params) && isObject(params.Payload) ? params.Payload : {};
  return payload.gate === 'finalize' ? 'finalize' : 'cutover';
};

/**
 * Retry bookkeeping of one execution, mirroring aws-local-stepfunctions' own so that the runner
 * knows each retry's interval (the library's is overridden to 0 ms) and parks it in virtual time.
 * Keyed by state name + input: a retry re-runs the state with the same input.
 */
class RetryTracker {
  private readonly attempts = new Map<string, { counts: number[]; pendingSeconds?: number }>();

  constructor(private readonly random: () => number) {}

  takePendingDelay(key: string): number | undefined {
    const entry = this.attempts.get(key);
    const seconds = entry?.pendingSeconds;
    if (entry) entry.pendingSeconds = undefined;
    return seconds;
  }

  succeeded(key: string): void {
    this.attempts.delete(key);
  }

  failed(key: string, state: StateDef, error: Error): void {
    const retriers = state.Retry ?? [];
    const retryable = (error as { isRetryable?: boolean }).isRetryable ?? true;
    const entry = this.attempts.get(key) ?? { counts: retriers.map(() => 0) };
    for (let i = 0; i < retriers.length; i++) {
      const r = retriers[i];
      const matches = r.ErrorEquals.some(
        (e) => e === error.name || e === 'States.ALL' || (e === 'States.TaskFailed' && state.Type === 'Task' && error.name !== 'States.Timeout'),
      );
      if (!retryable || !matches) continue;
      const max = r.MaxAttempts ?? 3;
      if (entry.counts[i] >= max) break;
      let seconds = (r.IntervalSeconds ?? 1) * Math.pow(r.BackoffRate ?? 2, entry.counts[i]);
      if (r.MaxDelaySeconds && seconds > r.MaxDelaySeconds) seconds = r.MaxDelaySeconds;
      if (r.JitterStrategy === 'FULL') seconds = Math.floor(this.random() * (seconds * 1000 + 1)) / 1000;
      entry.counts[i]++;
      entry.pendingSeconds = seconds;
      this.attempts.set(key, entry);
      return;
    }
    this.attempts.delete(key);
  }
}

/** mulberry32: a small seeded PRNG so chaos and jitter repeat with the scenario's seed. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Which Lambda invocation each local client port belongs to, so that the emulator's "slower than
 * the Lambda timeout" chaos can time out the invocation waiting for that answer, and its trace can
 * name the step that made each call. Every HTTP request a handler sends runs inside its
 * invocation's async context; a keep-alive socket serves one request at a time, so its port names
 * the invocation of its current request.
 */
interface Invocation {
  readonly id: string;
  /** The step (function) name. */
  readonly functionName: string;
}
const currentInvocation = new AsyncLocalStorage<Invocation>();
const invocationByPort = new Map<number, Invocation>();
let watchingRequests = false;

function watchHandlerRequests(): void {
  if (watchingRequests) return;
  watchingRequests = true;
  subscribe('http.client.request.start', (message) => {
    const invocation = currentInvocation.getStore();
    const { request } = message as { request: ClientRequest };
    // Node 20 publishes once the request has its socket; earlier versions before.
    const own = (socket: Socket) => {
      // A request outside any invocation (the session's own report reads) must not inherit the
      // invocation of an earlier socket that had the same port.
      const record = () => {
        if (socket.localPort === undefined) return;
        if (invocation) invocationByPort.set(socket.localPort, invocation);
        else invocationByPort.delete(socket.localPort);
      };
      if (socket.localPort !== undefined) record();
      else socket.once('connect', record);
    };
    if (request.socket) own(request.socket);
    else request.once('socket', own);
  });
}

export class StateMachineRunner {
  private readonly states = new Map<string, StateDef>();
  private readonly resolver: HandlerResolver;
  private readonly random: () => number;
  private executionCounter = 0;
  /** Invocations in flight: awsRequestId -> what stops one like the Lambda service at its timeout. */
  private readonly inFlight = new Map<string, () => void>();
  /** Invocations in flight: awsRequestId -> the execution and step it runs for. */
  private readonly callers = new Map<string, RequestCaller>();

  constructor(private readonly options: RunnerOptions) {
    collectStates((options.prepared.definition as { States: Json }).States, this.states);
    this.resolver = options.resolver ?? new HandlerResolver();
    this.random = options.random ?? seededRandom(1);
  }

  private get region(): string {
    return this.options.region ?? 'us-east-1';
  }

  private get accountId(): string {
    return this.options.accountId ?? '123456789012';
  }

  private get machineName(): string {
    return this.options.stateMachineName ?? 'MgnWave';
  }

  /** Starts one execution of the definition with `input`. */
  start(input: unknown, startOptions: StartOptions = {}): ExecutionHandle {
    const { prepared, scheduler } = this.options;
    const clock = scheduler.clock;
    const name = startOptions.name ?? `execution-${++this.executionCounter}`;
    const executionId = `${name}#${randomUUID()}`;
    const accounting = new ExecutionAccounting(
      prepared.originalTypes,
      prepared.taskResources,
      this.options.limits ?? { payloadBytes: MAX_PAYLOAD_BYTES, historyEvents: MAX_HISTORY_EVENTS },
    );
    const retries = new RetryTracker(this.random);
    const startMs = clock.now();
    let stopReason: { status: ExecutionStatus; error?: string; cause?: string } | undefined;
    let interruptedAfterPhase: PhaseName | undefined;
    let lambdaErrorsInjected = 0;
    let finished = false;
    let abortRun: () => void = () => undefined;

    const stop = (reason: { status: ExecutionStatus; error?: string; cause?: string }) => {
      if (finished || stopReason) return;
      stopReason = reason;
      scheduler.unregister(executionId);
      abortRun();
    };

    const handlers: Record<string, (input: unknown) => Promise<unknown>> = {};
    for (const [stateName, type] of prepared.originalTypes) {
      const def = this.states.get(stateName);
      if (!def) continue;
      if (type === 'Wait') {
        handlers[stateName] = async (params) => {
          const p = (isObject(params) ? params : {}) as { seconds?: number; timestamp?: string; [WAIT_INPUT_KEY]?: unknown };
          const wakeMs =
            typeof p.seconds === 'number'
              ? clock.now() + Math.max(0, p.seconds) * 1000
              : typeof p.timestamp === 'string'
                ? Date.parse(p.timestamp)
                : clock.now();
          if (Number.isNaN(wakeMs)) throw new Error(`Wait state "${stateName}": ${String(p.timestamp)} is not a timestamp`);
          await scheduler.sleepUntil(executionId, wakeMs);
          return p[WAIT_INPUT_KEY] ?? null;
        };
      } else if (type === 'Task') {
        const resource = def.Resource ?? '';
        const tokenTask = TOKEN_TASK.test(resource);
        handlers[stateName] = async (taskInput) => {
          const key = `${stateName}\u0000${JSON.stringify(taskInput)}`;
          const delay = retries.takePendingDelay(key);
          if (delay !== undefined) await scheduler.sleepFor(executionId, delay);
          try {
            const output = await scheduler.busy(async () => {
              const inBytes = payloadBytes(taskInput);
              accounting.observePayload(inBytes);
              if (inBytes > MAX_PAYLOAD_BYTES) throw new DataLimitExceededError(`the input of state "${stateName}"`, inBytes);
              if (this.options.lambdaErrorRate && this.random() < this.options.lambdaErrorRate) {
                lambdaErrorsInjected++;
                throw new LambdaServiceError('Lambda.ServiceException: the simulator injected a Lambda service error (scenario chaos)');
              }
              const result = tokenTask
                ? await this.answerApproval(stateName, taskInput, name, startOptions.approval)
                : await this.invokeTask(stateName, resource, def, taskInput, name);
              const outBytes = payloadBytes(result);
              accounting.observePayload(outBytes);
              if (outBytes > MAX_PAYLOAD_BYTES) throw new DataLimitExceededError(`the output of state "${stateName}"`, outBytes);
              return result;
            });
            retries.succeeded(key);
            this.options.observer?.onTaskOutput?.(name, stateName, output);
            // The approval task answers with {approved, by}, not a context: its answer completes its gate's phase.
            const phase = startOptions.interruptAfter?.(tokenTask ? { lastCompletedPhase: gateOf(taskInput) === 'finalize' ? 'finalize-approval' : 'approval' } : output);
            if (phase) {
              interruptedAfterPhase = phase;
              stop({ status: 'ABORTED', error: 'Interrupted', cause: `the scenario interrupted the execution after phase ${phase}` });
            }
            return output;
          } catch (err) {
            const error = err instanceof Error ? err : new Error(String(err));
            retries.failed(key, def, error);
            throw error;
          }
        };
      }
    }

    const retryIntervalOverrides: Record<string, number> = {};
    for (const s of prepared.retryableStates) retryIntervalOverrides[s] = 0;

    const machine = new StateMachine(prepared.definition as never, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    const token = `sim-task-token-${randomUUID()}`;
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${this.machineName}:${name}`;
    const stateMachineArn = `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${this.machineName}`;
    const context = {
      Execution: {
        Id: executionArn,
        Name: name,
        RoleArn: `arn:aws:iam::${this.accountId}:role/${this.machineName}-role`,
        StartTime: new Date(startMs).toISOString(),
      },
      StateMachine: { Id: stateMachineArn, Name: this.machineName },
      Task: { Token: token },
    };
    this.options.executions?.started({ executionArn, stateMachineArn, name, startDate: startMs, input });

    scheduler.register(
      executionId,
      prepared.timeoutSeconds !== undefined
        ? {
            atMs: startMs + prepared.timeoutSeconds * 1000,
            onDeadline: () => stop({ status: 'TIMED_OUT', error: 'States.Timeout', cause: `execution exceeded TimeoutSeconds ${prepared.timeoutSeconds}` }),
          }
        : undefined,
    );
    const execution = machine.run(input as never, {
      overrides: { taskResourceLocalHandlers: handlers as never, retryIntervalOverrides },
      context: context as never,
    });
    abortRun = execution.abort;

    const drainEvents = (async () => {
      for await (const event of execution.eventLogs) {
        const e = event as unknown as LibraryEvent;
        accounting.record(e);
        this.options.observer?.onHistoryEvent?.(name, e);
        if (e.type === 'StateEntered' && e.state) this.options.observer?.onStateEntered?.(name, e.state.name);
        if (accounting.violation) stop({ status: 'FAILED', error: accounting.violation.error, cause: accounting.violation.cause });
      }
    })();

    const done = (async (): Promise<ExecutionResult> => {
      let status: ExecutionStatus;
      let output: unknown;
      let error: string | undefined;
      let cause: string | undefined;
      try {
        output = await execution.result;
        status = 'SUCCEEDED';
      } catch (err) {
        const e = err as Error & { cause?: unknown };
        if (e.name === 'ExecutionError' && e.cause instanceof Error) {
          status = 'FAILED';
          error = e.cause.name;
          cause = e.cause.message;
        } else if (e.name === 'ExecutionAbortedError') {
          status = 'ABORTED';
        } else {
          status = 'FAILED';
          error = e.name;
          cause = e.message;
        }
      }
      await drainEvents;
      finished = true;
      scheduler.unregister(executionId);
      // The runner's own stop reasons (limits, virtual timeout, interruption) win over what the library saw.
      if (stopReason) ({ status, error, cause } = { ...stopReason });
      if (accounting.violation && status === 'SUCCEEDED') {
        status = 'FAILED';
        ({ error, cause } = accounting.violation);
        output = undefined;
      }
      this.options.executions?.stopped(executionArn, { status, stopDate: clock.now(), output, error, cause });
      return {
        name,
        status,
        output: status === 'SUCCEEDED' ? output : undefined,
        error,
        cause,
        counters: accounting.counters,
        startMs,
        stopMs: clock.now(),
        interruptedAfterPhase,
        lambdaErrorsInjected,
      };
    })();

    return { name, abort: () => stop({ status: 'ABORTED' }), done };
  }

  private async invokeTask(stateName: string, resource: string, def: StateDef, event: unknown, execution: string): Promise<unknown> {
    const step = this.options.prepared.stepByArn.get(resource);
    const handler = this.resolver.resolve(stateName, resource, step);
    const functionName = step?.name ?? stateName;
    const timeout = step?.timeoutSeconds ?? def.TimeoutSeconds ?? 60;
    const context = lambdaContext(functionName, resource, timeout);
    watchHandlerRequests();
    return new Promise<unknown>((resolve, reject) => {
      const id = context.awsRequestId;
      this.inFlight.set(id, () =>
        reject(new LambdaFunctionError('Sandbox.Timedout', `${functionName}: Task timed out after ${timeout.toFixed(2)} seconds`, [])),
      );
      this.callers.set(id, { execution, step: functionName });
      currentInvocation
        .run({ id, functionName }, () => invokeLambda(handler, event, context))
        .then(resolve, reject)
        .finally(() => {
          this.inFlight.delete(id);
          this.callers.delete(id);
        });
    });
  }

  /** The execution and step whose invocation sent the request now on `clientPort`, if a handler sent it. */
  callerOnPort(clientPort: number): RequestCaller | undefined {
    const id = invocationByPort.get(clientPort)?.id;
    return id === undefined ? undefined : this.callers.get(id);
  }

  /**
   * The answer to the request sent from `clientPort` will come after the Lambda timeout: the
   * invocation behind it fails with Sandbox.Timedout (as the Lambda service reports it) and its
   * handler, like a stopped sandbox, never sees the answer. False when no invocation owns the port.
   */
  timeOutInvocationOnPort(clientPort: number): boolean {
    const id = invocationByPort.get(clientPort)?.id;
    const stop = id === undefined ? undefined : this.inFlight.get(id);
    if (!stop || id === undefined) return false;
    this.inFlight.delete(id);
    stop();
    return true;
  }

  /**
   * `arn:aws:states:::lambda:invoke.waitForTaskToken`: invoke the function with the Payload (which
   * carries the task token), then answer the token as the scenario says: approve = SendTaskSuccess
   * with `{approved: true, by}`, reject = SendTaskFailure with error ApprovalRejected.
   */
  private async answerApproval(stateName: string, params: unknown, execution: string, override?: StartOptions['approval']): Promise<unknown> {
    const p = (isObject(params) ? params : {}) as { FunctionName?: string; Payload?: unknown };
    const functionArn = String(p.FunctionName ?? '');
    const step = this.options.prepared.stepByArn.get(functionArn);
    const handler: TaskHandler = this.resolver.resolve(stateName, functionArn, step);
    const payload: Json = isObject(p.Payload) ? { ...p.Payload } : { input: p.Payload ?? null };
    // Step Functions issues a new token to every task it waits on ($$.Task.Token differs per task):
    // the execution's context holds one placeholder, so each waiting task gets its own token here,
    // and a token from one gate can never answer another.
    if (typeof payload.taskToken !== 'string' || payload.taskToken.startsWith('sim-task-token-')) payload.taskToken = `sim-task-token-${randomUUID()}`;
    // The lambda:invoke integration returns once the function has run; the token is answered later.
    const functionName = step?.name ?? stateName;
    const context = lambdaContext(functionName, functionArn, step?.timeoutSeconds ?? 60);
    watchHandlerRequests();
    const id = context.awsRequestId;
    this.callers.set(id, { execution, step: functionName });
    try {
      await currentInvocation.run({ id, functionName }, () => invokeLambda(handler, payload, context));
    } finally {
      this.callers.delete(id);
    }
    const gate = gateOf(params);
    const answer = approvalAnswers(override ?? this.options.approval)[gate];
    if (answer === 'reject') throw new ApprovalRejectedError(`rejected at the ${gate} gate by the simulator scenario (approval: reject)`);
    if (answer === 'revert') throw new RevertRequestedError(`revert requested at the ${gate} gate by the simulator scenario (approval: revert)`);
    return { approved: true, by: 'simulator' };
  }
}

export interface WaveRunResult {
  readonly executions: readonly ExecutionResult[];
  /** The last execution: the one whose outcome is the wave's. */
  readonly final: ExecutionResult;
}

/**
 * Runs one wave to its end: starts an execution for `input`; each listed interruption aborts the
 * execution the first time a step returns a context whose lastCompletedPhase is that phase or a later
 * one (the approval task's answer completes "approval"), and a
 * new execution (new name) starts for the same input, until one ends without interruption.
 */
export async function runWave(
  runner: StateMachineRunner,
  input: unknown,
  options: { namePrefix: string; interruptions?: readonly PhaseName[]; onStepOutput?: (output: unknown) => void; approval?: StartOptions['approval'] },
): Promise<WaveRunResult> {
  const pending = [...(options.interruptions ?? [])];
  const executions: ExecutionResult[] = [];
  const interruptAfter = (output: unknown): PhaseName | undefined => {
    options.onStepOutput?.(output);
    if (!isObject(output) || typeof output.lastCompletedPhase !== 'string') return undefined;
    const reached = PHASES.indexOf(output.lastCompletedPhase as PhaseName);
    // A phase the run passes without a step reporting it (skipped by options.phases, or finished in the
    // same poll as a later one) interrupts right after the first later phase: never silently not at all.
    const i = pending.findIndex((p) => PHASES.indexOf(p) <= reached);
    if (i < 0) return undefined;
    return pending.splice(i, 1)[0];
  };
  for (let attempt = 1; ; attempt++) {
    const handle = runner.start(input, { name: `${options.namePrefix}-${attempt}`, interruptAfter, approval: options.approval });
    const result = await handle.done;
    executions.push(result);
    if (!result.interruptedAfterPhase) return { executions, final: result };
  }
}

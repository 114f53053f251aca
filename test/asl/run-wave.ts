/**
 * Runs the REAL statemachine/wave.asl.json with aws-local-stepfunctions. Every Task state is stood in
 * for by the real domain core of its step, over a FakeWorld's ports; Wait states take 0 ms, and the
 * stand-in advances the world's virtual clock by the context's waitSeconds instead, so time in the
 * fleet moves exactly as the state machine asks it to. The approval task (aws-local-stepfunctions
 * cannot wait on a task token) runs the real request-approval core, then answers as told.
 */
import { StateMachine } from 'aws-local-stepfunctions';
import { discardTest } from '../../functions/lib/flow/discard-test';
import { finalizeCutover } from '../../functions/lib/flow/finalize-cutover';
import { installAgents } from '../../functions/lib/flow/install-agents';
import { launchCutover, launchTest } from '../../functions/lib/flow/launch';
import { preflight } from '../../functions/lib/flow/preflight';
import { prepareCutover } from '../../functions/lib/flow/prepare-cutover';
import { revertCutover } from '../../functions/lib/flow/revert-cutover';
import { writeReport, type WaveReport } from '../../functions/lib/flow/report';
import { parseApprovalRequest, requestApproval } from '../../functions/lib/flow/request-approval';
import { validateWave, type ValidateWaveInput } from '../../functions/lib/flow/validate-wave';
import { verifyCutover, verifyTest } from '../../functions/lib/flow/verify';
import { waitReplication } from '../../functions/lib/flow/wait-replication';
import type { FlowDeps } from '../../functions/lib/ports';
import { parseWaveContext, reportKey, type WaveContext } from '../../functions/lib/wave-context';
import { asLambdaError } from '../../simulator/runner/handlers';
import { statesOf, substitutedDefinition } from './definition';
import { executionArnOf, type FakeWorld } from './fake-world';

type Core = (ctx: WaveContext, deps: FlowDeps) => Promise<WaveContext>;

export const TASK_TOKEN = 'AQCEAAAAKgAAAAMAAAAAAAAAAfaketoken';

export interface WaveRun {
  /** the execution's output, or undefined when it ended in a Fail state */
  readonly output?: WaveContext;
  readonly error?: { name: string; message: string };
  /** names of the states entered, in order */
  readonly path: string[];
  /** every state's output size in bytes, by state name (the largest seen) */
  readonly outputBytes: Map<string, number>;
  readonly report?: WaveReport;
  /** how many times each Task ran */
  readonly taskRuns: Map<string, number>;
}

export interface RunOptions {
  /** the cutover gate's answer; a list answers its successive requests (a refused revert asks again) */
  readonly approval?: 'approve' | 'reject' | readonly ('approve' | 'reject' | 'revert')[];
  /** the finalize gate's answer (default approve) */
  readonly finalizeApproval?: 'approve' | 'reject' | 'revert';
  readonly runId?: string;
  /** the execution input (defaults to the world's manifest) */
  readonly input?: unknown;
}

/** SendTaskSuccess {approved: true}, or SendTaskFailure ApprovalRejected / RevertRequested. */
function answerGate(answer: 'approve' | 'reject' | 'revert'): { approved: true; by: string } {
  if (answer === 'reject') throw Object.assign(new Error('the application owner found a bad config'), { name: 'ApprovalRejected' });
  if (answer === 'revert') throw Object.assign(new Error('roll back (by path-test)'), { name: 'RevertRequested' });
  return { approved: true, by: 'path-test' };
}

export async function runWave(world: FakeWorld, options: RunOptions = {}): Promise<WaveRun> {
  const definition = substitutedDefinition();
  const deps = world.deps();
  const taskRuns = new Map<string, number>();
  const count = (name: string) => taskRuns.set(name, (taskRuns.get(name) ?? 0) + 1);
  const standIn = (name: string, core: Core) => async (input: unknown) => {
    count(name);
    const ctx = parseWaveContext(input);
    world.advance(ctx.done ? 0 : ctx.waitSeconds);
    return core(ctx, deps);
  };
  const handlers: Record<string, (input: never) => Promise<unknown>> = {
    ValidateWave: async (input: ValidateWaveInput) => {
      count('ValidateWave');
      // a failure reaches the state machine as the Lambda service reports it: Cause is the error as JSON
      return validateWave(input, deps).catch((error: unknown) => Promise.reject(asLambdaError(error)));
    },
    Preflight: standIn('Preflight', preflight),
    InstallAgents: standIn('InstallAgents', installAgents),
    WaitReplication: standIn('WaitReplication', waitReplication),
    LaunchTest: standIn('LaunchTest', launchTest),
    VerifyTest: standIn('VerifyTest', verifyTest),
    // lambda:invoke hands the function its Payload; the task's result is what SendTaskSuccess sends.
    RequestApproval: async (input: { FunctionName: string; Payload: unknown }) => {
      count('RequestApproval');
      await requestApproval(parseApprovalRequest(input.Payload), deps);
      const answers = typeof options.approval === 'string' || options.approval === undefined ? [options.approval ?? 'approve'] : options.approval;
      return answerGate(answers[Math.min(taskRuns.get('RequestApproval')! - 1, answers.length - 1)]);
    },
    RequestFinalizeApproval: async (input: { FunctionName: string; Payload: unknown }) => {
      count('RequestFinalizeApproval');
      await requestApproval(parseApprovalRequest(input.Payload), deps);
      return answerGate(options.finalizeApproval ?? 'approve');
    },
    RevertCutover: standIn('RevertCutover', revertCutover),
    DiscardTest: standIn('DiscardTest', discardTest),
    PrepareCutover: standIn('PrepareCutover', prepareCutover),
    LaunchCutover: standIn('LaunchCutover', launchCutover),
    VerifyCutover: standIn('VerifyCutover', verifyCutover),
    FinalizeCutover: standIn('FinalizeCutover', finalizeCutover),
    Report: standIn('Report', writeReport),
  };
  const states = statesOf(definition);
  const waits = Object.fromEntries(Object.entries(states).filter(([, s]) => s.Type === 'Wait').map(([name]) => [name, 0]));
  const machine = new StateMachine(definition as never);
  const input = options.input ?? world.manifest;
  const runId = options.runId ?? 'run-1';
  const execution = machine.run(input as never, {
    overrides: { taskResourceLocalHandlers: handlers as never, waitTimeOverrides: waits },
    context: { Execution: { Id: executionArnOf(runId), Name: runId, Input: input, StartTime: world.now().toISOString() }, Task: { Token: TASK_TOKEN } } as never,
  });
  const path: string[] = [];
  const outputBytes = new Map<string, number>();
  const collect = (async () => {
    for await (const event of execution.eventLogs) {
      if (event.type === 'StateEntered') path.push(event.state.name);
      if (event.type === 'StateExited' && event.state.output !== undefined) {
        const size = Buffer.byteLength(JSON.stringify(event.state.output));
        outputBytes.set(event.state.name, Math.max(outputBytes.get(event.state.name) ?? 0, size));
      }
    }
  })();
  let output: WaveContext | undefined;
  let error: WaveRun['error'];
  try {
    output = (await execution.result) as unknown as WaveContext;
  } catch (e) {
    // a Fail state ends the execution with its Error and Cause (the library wraps them in ExecutionError)
    const err = e as Error & { cause?: unknown };
    const failure = err.name === 'ExecutionError' && err.cause instanceof Error ? err.cause : err;
    error = { name: failure.name, message: failure.message };
  }
  await collect;
  const waveId = (world.manifest as { waveId: string }).waveId;
  const report = await world.store.getJson<WaveReport>(reportKey(waveId, runId));
  return { output, error, path, outputBytes, report, taskRuns };
}

export const serverIn = (report: WaveReport | undefined, name: string) => report?.servers.find((s) => s.name === name);

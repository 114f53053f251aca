/**
 * Which code answers which Task state, and how a Lambda invocation behaves in-process.
 *
 * Resolution order for a Task state: the injected map keyed by state name, then by Resource (the
 * substituted ARN), then by step name (functions/<step>); without an injected entry, a step's
 * handler is loaded from `functions/<step>/handler.ts` (export `handler`). Tests inject toy handlers;
 * the simulator uses the real modules.
 */
import { join } from 'node:path';
import type { StepSpec } from '../../functions/lib/steps';

/** A Lambda handler as the runner calls it: event in, result out (or a thrown error). */
export type TaskHandler = (event: unknown, context: LambdaContextLike) => unknown;

/** Injected handlers: state name, Resource ARN or step name -> handler. */
export type HandlerMap = Readonly<Record<string, TaskHandler>>;

/** The subset of the Lambda context object our handlers (and Powertools) read. */
export interface LambdaContextLike {
  functionName: string;
  functionVersion: string;
  invokedFunctionArn: string;
  memoryLimitInMB: string;
  awsRequestId: string;
  logGroupName: string;
  logStreamName: string;
  callbackWaitsForEmptyEventLoop: boolean;
  getRemainingTimeInMillis(): number;
}

export const PROJECT_ROOT = join(__dirname, '..', '..');

export interface HandlerResolverOptions {
  readonly handlers?: HandlerMap;
  /** Folder holding functions/<step>/handler.ts; default the project root. */
  readonly root?: string;
}

export class HandlerResolver {
  private readonly loaded = new Map<string, TaskHandler>();

  constructor(private readonly options: HandlerResolverOptions = {}) {}

  /** The handler for a Task state, or an Error naming what is missing. */
  resolve(stateName: string, resource: string, step: StepSpec | undefined): TaskHandler {
    const injected = this.options.handlers;
    const hit = injected?.[stateName] ?? injected?.[resource] ?? (step ? injected?.[step.name] : undefined);
    if (hit) return hit;
    if (!step)
      throw new Error(`no handler for Task state "${stateName}" (Resource ${resource}): it is not a step of functions/lib/steps.ts and none was injected`);
    return this.loadStep(step.name);
  }

  private loadStep(stepName: string): TaskHandler {
    const cached = this.loaded.get(stepName);
    if (cached) return cached;
    const path = join(this.options.root ?? PROJECT_ROOT, 'functions', stepName, 'handler.ts');
    const mod = require(path) as { handler?: unknown };
    if (typeof mod.handler !== 'function') throw new Error(`${path} does not export a function named handler`);
    const handler = mod.handler as TaskHandler;
    this.loaded.set(stepName, handler);
    return handler;
  }
}

let requestCounter = 0;

export function lambdaContext(functionName: string, arn: string, timeoutSeconds: number): LambdaContextLike {
  const deadline = Date.now() + timeoutSeconds * 1000;
  requestCounter++;
  return {
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: arn,
    memoryLimitInMB: '256',
    awsRequestId: `sim-${requestCounter.toString(16).padStart(8, '0')}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'simulator',
    callbackWaitsForEmptyEventLoop: false,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
}

/**
 * An error as Step Functions reports a failed Lambda: Error = the function's errorType (the thrown
 * error's name), Cause = the JSON `{errorType, errorMessage, trace}` the Lambda runtime writes.
 */
export class LambdaFunctionError extends Error {
  constructor(errorType: string, errorMessage: string, trace: string[]) {
    super(JSON.stringify({ errorType, errorMessage, trace }));
    this.name = errorType;
  }
}

export function asLambdaError(err: unknown): Error {
  if (err instanceof Error) {
    const trace = (err.stack ?? '').split('\n').slice(1, 8).map((l) => l.trim());
    return new LambdaFunctionError(err.name || 'Error', err.message, trace);
  }
  return new LambdaFunctionError('Error', String(err), []);
}

/** Invokes a handler like the Lambda runtime: the event and result cross a JSON boundary. */
export async function invokeLambda(handler: TaskHandler, event: unknown, context: LambdaContextLike): Promise<unknown> {
  const copy: unknown = JSON.parse(JSON.stringify(event ?? null));
  let result: unknown;
  try {
    result = await handler(copy, context);
  } catch (err) {
    throw asLambdaError(err);
  }
  return result === undefined ? null : JSON.parse(JSON.stringify(result));
}

/**
 * Loads the state machine definition for the local runner: substitutes every `${Placeholder}` and
 * rewrites the parts of the ASL that aws-local-stepfunctions would run in real time.
 *
 * - Lambda placeholders (functions/lib/steps.ts STEPS[].placeholder) become dummy Lambda ARNs; the
 *   runner maps each ARN back to its step. `${WaveBucketName}` and `${NotificationTopicArn}` take
 *   configured values. Any other placeholder is an error (the ASL conventions allow no others).
 * - Wait states become Task states answered by the virtual scheduler: a Wait of N seconds must
 *   advance the simulator's virtual clock, never sleep. The rewritten Task passes the wait's
 *   Seconds / Timestamp (or the value at SecondsPath / TimestampPath, evaluated by the library's own
 *   JSONPath through `Parameters`) together with the input, and its handler returns the input
 *   unchanged, so InputPath/OutputPath keep their Wait semantics. `originalTypes` keeps the
 *   original type so accounting bills and logs them as Wait states.
 * - The top-level TimeoutSeconds is removed (the runner enforces it on the virtual clock) and Task
 *   TimeoutSeconds is capped below setTimeout's 2^31 ms range, beyond which Node fires at once.
 */
import { readFileSync } from 'node:fs';
import { STEPS, type StepSpec } from '../../functions/lib/steps';

/** setTimeout holds at most 2^31-1 ms (~24.8 days); keep real-time task timeouts well inside it. */
export const MAX_REAL_TIMEOUT_SECONDS = 2_000_000;
/** The Resource of the Task that stands in for a Wait state (never called: the runner answers it). */
export const VIRTUAL_WAIT_RESOURCE = 'arn:aws:lambda:us-east-1:000000000000:function:simulator-virtual-wait';
/** The parameter names the rewritten Wait passes to the virtual scheduler. */
export const WAIT_INPUT_KEY = 'input';

export type StateType = 'Task' | 'Parallel' | 'Map' | 'Pass' | 'Wait' | 'Choice' | 'Succeed' | 'Fail';

export interface SubstitutionConfig {
  /** Region and account used in the dummy ARNs. */
  readonly region: string;
  readonly accountId: string;
  readonly waveBucketName: string;
  readonly notificationTopicArn: string;
}

export interface PreparedDefinition {
  /** The definition aws-local-stepfunctions runs (substituted and rewritten). */
  readonly definition: Record<string, unknown>;
  /** State name -> type in the original definition (Wait states are Tasks in `definition`). */
  readonly originalTypes: ReadonlyMap<string, StateType>;
  /** State name -> Resource after substitution, for Task states of the original definition. */
  readonly taskResources: ReadonlyMap<string, string>;
  /** Names of states (any nesting level) with a Retry field, for retry interval overrides. */
  readonly retryableStates: readonly string[];
  /** Top-level TimeoutSeconds of the original definition, enforced on the virtual clock. */
  readonly timeoutSeconds?: number;
  /** Dummy Lambda ARN -> step, for the placeholders of STEPS. */
  readonly stepByArn: ReadonlyMap<string, StepSpec>;
}

export const lambdaArn = (cfg: Pick<SubstitutionConfig, 'region' | 'accountId'>, functionName: string): string =>
  `arn:aws:lambda:${cfg.region}:${cfg.accountId}:function:${functionName}`;

/** Fills `${Name}` placeholders; throws naming every unknown placeholder. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  const unknown = new Set<string>();
  const out = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    if (Object.prototype.hasOwnProperty.call(values, name)) return values[name];
    unknown.add(name);
    return whole;
  });
  if (unknown.size > 0) throw new Error(`state machine definition has unknown placeholders: ${[...unknown].map((n) => `\${${n}}`).join(', ')}`);
  return out;
}

export function substitutionValues(cfg: SubstitutionConfig): Record<string, string> {
  const values: Record<string, string> = {
    WaveBucketName: cfg.waveBucketName,
    NotificationTopicArn: cfg.notificationTopicArn,
  };
  for (const step of STEPS) values[step.placeholder] = lambdaArn(cfg, step.name);
  return values;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function rewriteStates(
  states: Json,
  originalTypes: Map<string, StateType>,
  taskResources: Map<string, string>,
  retryable: string[],
): void {
  for (const [name, raw] of Object.entries(states)) {
    if (!isObject(raw)) continue;
    const type = raw.Type as StateType;
    if (originalTypes.has(name)) throw new Error(`state name "${name}" is used twice; the runner needs unique state names`);
    originalTypes.set(name, type);
    if (Array.isArray(raw.Retry) && raw.Retry.length > 0) retryable.push(name);
    if (type === 'Task') {
      taskResources.set(name, String(raw.Resource));
      if (typeof raw.TimeoutSeconds === 'number') raw.TimeoutSeconds = Math.min(raw.TimeoutSeconds, MAX_REAL_TIMEOUT_SECONDS);
      // A path-based timeout is evaluated by the library; the runner does not model Lambda wall time.
      if (typeof raw.TimeoutSecondsPath === 'string') {
        delete raw.TimeoutSecondsPath;
        raw.TimeoutSeconds = MAX_REAL_TIMEOUT_SECONDS;
      }
      delete raw.HeartbeatSeconds;
      delete raw.HeartbeatSecondsPath;
    } else if (type === 'Wait') {
      const parameters: Json = { [`${WAIT_INPUT_KEY}.$`]: '$' };
      if (typeof raw.Seconds === 'number') parameters.seconds = raw.Seconds;
      else if (typeof raw.SecondsPath === 'string') parameters['seconds.$'] = raw.SecondsPath;
      else if (typeof raw.Timestamp === 'string') parameters.timestamp = raw.Timestamp;
      else if (typeof raw.TimestampPath === 'string') parameters['timestamp.$'] = raw.TimestampPath;
      else throw new Error(`Wait state "${name}" has none of Seconds, SecondsPath, Timestamp, TimestampPath`);
      for (const key of ['Seconds', 'SecondsPath', 'Timestamp', 'TimestampPath']) delete raw[key];
      raw.Type = 'Task';
      raw.Resource = VIRTUAL_WAIT_RESOURCE;
      raw.Parameters = parameters;
      raw.TimeoutSeconds = MAX_REAL_TIMEOUT_SECONDS;
    } else if (type === 'Map') {
      for (const key of ['ItemProcessor', 'Iterator']) {
        const sub = raw[key];
        if (isObject(sub) && isObject(sub.States)) rewriteStates(sub.States, originalTypes, taskResources, retryable);
      }
    } else if (type === 'Parallel' && Array.isArray(raw.Branches)) {
      for (const branch of raw.Branches) {
        if (isObject(branch) && isObject(branch.States)) rewriteStates(branch.States, originalTypes, taskResources, retryable);
      }
    }
  }
}

/** Substitutes and rewrites a definition given as text (the .asl.json file's content). */
export function prepareDefinitionText(text: string, cfg: SubstitutionConfig): PreparedDefinition {
  const parsed: unknown = JSON.parse(substitute(text, substitutionValues(cfg)));
  if (!isObject(parsed) || !isObject(parsed.States) || typeof parsed.StartAt !== 'string')
    throw new Error('state machine definition must be an object with StartAt and States');
  if ('QueryLanguage' in parsed && parsed.QueryLanguage !== 'JSONPath')
    throw new Error('the runner supports JSONPath definitions only (no JSONata)');
  const originalTypes = new Map<string, StateType>();
  const taskResources = new Map<string, string>();
  const retryableStates: string[] = [];
  rewriteStates(parsed.States, originalTypes, taskResources, retryableStates);
  const timeoutSeconds = typeof parsed.TimeoutSeconds === 'number' ? parsed.TimeoutSeconds : undefined;
  delete parsed.TimeoutSeconds;
  const stepByArn = new Map<string, StepSpec>();
  for (const step of STEPS) stepByArn.set(lambdaArn(cfg, step.name), step);
  return { definition: parsed, originalTypes, taskResources, retryableStates, timeoutSeconds, stepByArn };
}

export function loadDefinition(path: string, cfg: SubstitutionConfig): PreparedDefinition {
  return prepareDefinitionText(readFileSync(path, 'utf8'), cfg);
}

import { parseManifest, type WaveManifest } from '../manifest';
import type { FlowDeps } from '../ports';
import { countsOf, loadRunState, mark, newRunState, saveRunState, type RunState } from '../run-state';
import { manifestKey, serversKey, type WaveContext } from '../wave-context';
import { EXECUTION_NAME, parseExecutionInput } from '../trigger-input';
import { InvalidInputError } from '../validation';
import { acquireWaveLock, releaseWaveLock } from '../wave-lock';

export interface ValidateWaveInput {
  /** the execution input: the manifest itself, or {manifestLocation: {bucket, key}} */
  readonly input: unknown;
  /** the execution name ($$.Execution.Name) */
  readonly runId: unknown;
  /** the execution ARN ($$.Execution.Id): who holds the wave's lock */
  readonly executionArn: unknown;
  /** when the execution started ($$.Execution.StartTime); the lock expires a year after it */
  readonly startedAt?: unknown;
}

/** arn:<partition>:states:<region>:<account>:execution:<stateMachine>:<executionName> */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:[0-9]{12}:execution:[A-Za-z0-9_-]{1,80}:([A-Za-z0-9_-]{1,80})$/;

async function readManifestInput(input: unknown, deps: FlowDeps): Promise<WaveManifest> {
  const parsed = parseExecutionInput(input);
  if ('manifest' in parsed) return parseManifest(parsed.manifest);
  const { bucket, key } = parsed.manifestLocation;
  let stored: unknown;
  try {
    stored = await deps.store.getJsonFrom<unknown>(bucket, key);
  } catch (error) {
    // A stored manifest that is not JSON (or not UTF-8) is a bad manifest; anything else (throttling, access) is not.
    if (error instanceof SyntaxError)
      throw new InvalidInputError('execution input', [
        `manifestLocation: s3://${bucket}/${key} is not JSON (${error.message})`,
      ]);
    if (error instanceof InvalidInputError)
      throw new InvalidInputError(
        'execution input',
        error.problems.map((p) => `manifestLocation: s3://${bucket}/${key} ${p}`),
      );
    throw error;
  }
  if (stored === undefined)
    throw new InvalidInputError('execution input', [`manifestLocation: no object at s3://${bucket}/${key}`]);
  return parseManifest(stored);
}

function executionOf(event: ValidateWaveInput, now: Date): { runId: string; executionArn: string; startedAt: Date } {
  if (typeof event.runId !== 'string' || !EXECUTION_NAME.test(event.runId))
    throw new InvalidInputError('execution', [
      `runId: ${JSON.stringify(event.runId)} is not an execution name (1-80 letters, digits, - _)`,
    ]);
  const arn = typeof event.executionArn === 'string' ? EXECUTION_ARN.exec(event.executionArn) : null;
  if (!arn || arn[1] !== event.runId)
    throw new InvalidInputError('execution', [
      `executionArn: ${JSON.stringify(event.executionArn)} is not the ARN of execution ${event.runId} (pass "executionArn.$": "$$.Execution.Id")`,
    ]);
  const started = typeof event.startedAt === 'string' ? new Date(event.startedAt) : now;
  return { runId: event.runId, executionArn: event.executionArn as string, startedAt: Number.isNaN(started.getTime()) ? now : started };
}

/**
 * The installer-credentials parameters a run that ended without its report (aborted, timed out)
 * left behind: this run takes them over and deletes them when its own install phase ends, so an
 * interrupted run's credentials do not outlive the next run of the wave.
 */
async function leftBehindCredentials(deps: FlowDeps, waveId: string, previousRunId: string): Promise<RunState['credentialParameters']> {
  const previous = await deps.store.getJson<RunState>(serversKey(waveId, previousRunId));
  const left = previous?.credentialParameters ?? [];
  if (left.length > 0) deps.log.warn('installer credentials left by an interrupted run: removed when this run\'s installs end', { previousRunId, parameters: left.length });
  return left.map(({ region, name }) => ({ region, name }));
}

/**
 * Parses the manifest (InvalidInputError names every bad field; nothing is touched), takes the
 * wave's lock (WaveAlreadyRunningError when another execution of the wave is running: nothing is
 * touched), stores the manifest and the run's fresh server records, and returns the first context.
 */
export async function validateWave(event: ValidateWaveInput, deps: FlowDeps): Promise<WaveContext> {
  const { runId, executionArn, startedAt } = executionOf(event, deps.now());
  const manifest = await readManifestInput(event.input, deps);
  const { takenOver } = await acquireWaveLock({ waveId: manifest.waveId, runId, executionArn, startedAt }, deps);

  let state: RunState;
  try {
    await deps.store.putJson(manifestKey(manifest.waveId), manifest);
    // A retried invocation of the same run keeps what the run already recorded.
    const existing = await deps.store.getJson<RunState>(serversKey(manifest.waveId, runId));
    if (existing) state = await loadRunState(deps.store, { waveId: manifest.waveId, runId });
    else {
      state = newRunState(manifest, runId);
      if (takenOver) state.credentialParameters.push(...(await leftBehindCredentials(deps, manifest.waveId, takenOver.runId)));
      const at = deps.now();
      for (const record of state.servers) mark(record, 'validate', 'done', at);
      await saveRunState(deps.store, state);
    }
  } catch (error) {
    // The run cannot start: the wave is free again (a retry of this step takes the lock anew).
    await releaseWaveLock(manifest.waveId, runId, deps);
    throw error;
  }
  deps.log.info('wave manifest accepted', { servers: manifest.servers.length, runId });
  const { approval, phases } = manifest.options;
  return {
    waveId: manifest.waveId,
    runId,
    targetRegion: manifest.targetRegion,
    phases: { ...phases },
    approvalRequired: approval === 'required',
    finalizeApprovalRequired: manifest.options.finalizeApproval === 'required',
    phase: 'validate',
    lastCompletedPhase: 'validate',
    done: true,
    waitSeconds: 0,
    polls: 0,
    counts: countsOf(state),
  };
}

import { parseManifest, type WaveManifest } from '../manifest';
import type { FlowDeps } from '../ports';
import { countsOf, loadRunState, mark, newRunState, saveRunState, type RunState } from '../run-state';
import { manifestKey, serversKey, type WaveContext } from '../wave-context';
import { EXECUTION_NAME, parseExecutionInput } from '../trigger-input';
import { InvalidInputError } from '../validation';

export interface ValidateWaveInput {
  /** the execution input: the manifest itself, or {manifestLocation: {bucket, key}} */
  readonly input: unknown;
  /** the execution name */
  readonly runId: unknown;
}

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

/**
 * Parses the manifest (InvalidInputError names every bad field; nothing is touched), stores it and
 * the run's fresh server records, and returns the first wave context.
 */
export async function validateWave(event: ValidateWaveInput, deps: FlowDeps): Promise<WaveContext> {
  if (typeof event.runId !== 'string' || !EXECUTION_NAME.test(event.runId))
    throw new InvalidInputError('execution', [
      `runId: ${JSON.stringify(event.runId)} is not an execution name (1-80 letters, digits, - _)`,
    ]);
  const runId = event.runId;
  const manifest = await readManifestInput(event.input, deps);
  await deps.store.putJson(manifestKey(manifest.waveId), manifest);

  // A retried invocation of the same run keeps what the run already recorded.
  let state: RunState;
  const existing = await deps.store.getJson<RunState>(serversKey(manifest.waveId, runId));
  if (existing) state = await loadRunState(deps.store, { waveId: manifest.waveId, runId });
  else {
    state = newRunState(manifest, runId);
    const at = deps.now();
    for (const record of state.servers) mark(record, 'validate', 'done', at);
    await saveRunState(deps.store, state);
  }
  deps.log.info('wave manifest accepted', { servers: manifest.servers.length, runId });
  const { approval, phases } = manifest.options;
  return {
    waveId: manifest.waveId,
    runId,
    targetRegion: manifest.targetRegion,
    phases: { ...phases },
    approvalRequired: approval === 'required',
    phase: 'validate',
    lastCompletedPhase: 'validate',
    done: true,
    waitSeconds: 0,
    polls: 0,
    counts: countsOf(state),
  };
}

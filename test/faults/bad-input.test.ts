/**
 * The bad-input corpus (test/fixtures/bad/): manifests (JSON, or a CSV of servers with its wave file),
 * wave files on their own, scenarios, deploy configs, EventBridge events and API bodies, each with a
 * `<file>.expect.json` sidecar naming the field that must be blamed.
 * Each is refused by the reader the product uses for it, with an error naming that field. Manifests,
 * events and API bodies that get as far as an execution input are then run through the state machine
 * (real ValidateWave handler, real emulator): the run ends ManifestRejected, the task failure names
 * the field, and the emulator saw no mutating call. Bytes that are not even JSON (bad UTF-8,
 * truncated) go the way an operator's upload does: into S3, started by manifestLocation.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadManifestFile, parseJsonText, readText, UnreadableInputError } from '../../cli/manifest-files';
import { findWaveFileProblems } from '../../functions/lib/csv-manifest';
import { loadDeployConfig } from '../../infra/config';
import { MAX_EXECUTION_INPUT_BYTES, parseJsonBytes } from '../../functions/lib/input-text';
import { approvalAnswerFromApiRequest, executionFromApiRequest, executionInputFromEvent } from '../../functions/lib/trigger-input';
import { InvalidInputError } from '../../functions/lib/validation';
import { parseScenario } from '../../simulator/scenario';
import { signRequest } from '../../simulator/emulator';
import { startBareStateMachine, WAVE_BUCKET, type BareStateMachine } from './state-machine';

const dir = join(__dirname, '..', 'fixtures', 'bad');
const root = join(__dirname, '..', '..');
interface Expectation {
  kind: 'manifest' | 'manifest-csv' | 'wave-file' | 'scenario' | 'deploy-config' | 'event' | 'api-start' | 'api-approval';
  field: string;
  /** manifest-csv: the wave file paired with the CSV, relative to the repository root */
  waveFile?: string;
  /** the field the ValidateWave task failure names, when it differs from the reader's */
  taskField?: string;
  why: string;
}
const corpus = readdirSync(dir)
  .filter((f) => !f.endsWith('.expect.json'))
  .sort()
  .map((file) => ({ file, expect: JSON.parse(readFileSync(join(dir, `${file}.expect.json`), 'utf8')) as Expectation }));

const expectation = (file: string): Expectation => corpus.find((c) => c.file === file)!.expect;

/** The problems an input error carries, one line each. */
function problemsOf(run: () => unknown): string[] {
  try {
    run();
  } catch (err) {
    if (err instanceof InvalidInputError) return err.problems;
    throw err;
  }
  return [];
}

/** What the product does with the bytes before any AWS call: refusal problems, or the execution it would start. */
function read(file: string, kind: Expectation['kind']): { problems: string[]; execution?: { name: string; input: unknown } } {
  const path = join(dir, file);
  const bytes = readFileSync(path);
  const requestedAt = new Date(Date.UTC(2026, 0, 5, 8));
  let execution: { name: string; input: unknown } | undefined;
  switch (kind) {
    case 'manifest': {
      const loaded = loadManifestFile(path);
      return { problems: loaded.problems };
    }
    case 'manifest-csv': {
      // as `mgnctl validate|start servers.csv --wave-file FILE` read it; a CSV never reaches the state machine
      const loaded = loadManifestFile(path, { waveFile: join(root, expectation(file).waveFile ?? '') });
      return { problems: loaded.problems };
    }
    case 'wave-file':
      // as `mgnctl validate name.wave.json` reads it
      try {
        return { problems: findWaveFileProblems(parseJsonText(readText(path, 'wave file'), path)) };
      } catch (e) {
        if (e instanceof UnreadableInputError) return { problems: [e.message] };
        throw e;
      }
    case 'scenario':
      return { problems: problemsOf(() => parseScenario(parseJsonBytes(bytes, `scenario ${file}`))) };
    case 'deploy-config':
      return { problems: problemsOf(() => loadDeployConfig(path)) };
    case 'event': {
      const problems = problemsOf(() => {
        const event = parseJsonBytes(bytes, 'StartWave event', { field: '(event)', maxBytes: MAX_EXECUTION_INPUT_BYTES });
        execution = { name: `event-${file.replace(/\W/g, '-')}`.slice(0, 80), input: executionInputFromEvent(event) };
      });
      return { problems, execution };
    }
    case 'api-start': {
      const problems = problemsOf(() => {
        const body = parseJsonBytes(bytes, 'POST /waves body', { field: '(body)', maxBytes: MAX_EXECUTION_INPUT_BYTES });
        execution = executionFromApiRequest(body, requestedAt);
      });
      return { problems, execution };
    }
    case 'api-approval':
      return { problems: problemsOf(() => approvalAnswerFromApiRequest(parseJsonBytes(bytes, 'POST /approvals body', { field: '(body)' }), { userArn: 'arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice' })) };
  }
}

const names = (problems: string[], field: string) => problems.some((p) => p.includes(`${field}:`) || p.includes(field));

describe('bad input corpus', () => {
  it('holds at least 40 inputs of every kind, each with the field it must be refused for', () => {
    expect(corpus.length).toBeGreaterThanOrEqual(40);
    const kinds = new Set(corpus.map((c) => c.expect.kind));
    expect([...kinds].sort()).toEqual(['api-approval', 'api-start', 'deploy-config', 'event', 'manifest', 'manifest-csv', 'scenario', 'wave-file']);
    for (const c of corpus) expect(c.expect.field).not.toBe('');
    expect(corpus.some((c) => readFileSync(join(dir, c.file)).byteLength > 256 * 1024)).toBe(true);
  });

  let machine: BareStateMachine;
  beforeAll(async () => {
    machine = await startBareStateMachine();
  });
  afterAll(() => machine.close());

  it.each(corpus.map((c) => [c.file, c.expect] as const))('%s is refused naming its field, and changes nothing', async (file, expectation) => {
    const { problems, execution } = read(file, expectation.kind);
    const stateMachinePath = expectation.kind === 'manifest' || expectation.kind === 'event' || expectation.kind === 'api-start';
    if (problems.length > 0) expect({ file, named: names(problems, expectation.field), problems }).toMatchObject({ named: true });
    // nothing refused it: only an input the state machine's own validation refuses may get that far
    else expect({ file, reachesTheStateMachine: stateMachinePath && execution !== undefined }).toEqual({ file, reachesTheStateMachine: true });
    if (!stateMachinePath) return;

    // The execution the trigger would start; a manifest file the CLI refused is uploaded and started by reference.
    let input = execution?.input;
    let name = execution?.name ?? `file-${file.replace(/\W/g, '-')}`.slice(0, 80);
    if (expectation.kind === 'manifest') {
      const key = `uploads/${file}`;
      machine.emulator.createBucket(WAVE_BUCKET);
      const url = `${machine.emulator.url}/${WAVE_BUCKET}/${key}`;
      const body = readFileSync(join(dir, file));
      const put = await fetch(url, { method: 'PUT', body, headers: signRequest({ method: 'PUT', url, body }, { region: 'ap-south-1', service: 's3' }) });
      expect(put.status).toBe(200);
      input = { manifestLocation: { bucket: WAVE_BUCKET, key } };
      name = `upload-${file.replace(/\W/g, '-')}`.slice(0, 80);
    }
    if (input === undefined) return; // refused by the trigger's own validation: Step Functions never sees it
    const before = machine.emulator.trace.entries.length;
    const { result, history } = await machine.run(input, name);
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ManifestRejected');
    const failure = history.find((e) => e.includes('InvalidInputError')) ?? '';
    expect({ file, named: failure.includes(`${expectation.taskField ?? expectation.field}:`) }).toEqual({ file, named: true });
    const mutating = machine.emulator.trace.entries.slice(before).filter((t) => t.mutating);
    expect(mutating).toEqual([]);
  });
});

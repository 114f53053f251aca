/**
 * `mgnctl status <executionArn>` or `mgnctl status --state-machine-arn ARN --wave-id ID`: where a wave
 * run stands (Step Functions status, and the wave's outcome and server counts once it has them).
 * With `--bucket` (the stack's wave bucket) it adds the live per-phase, per-state view `mgnctl
 * simulate` draws, read from the run's server records; `--watch` redraws it until the run ends.
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { WAVE_ID } from '../../functions/lib/manifest';
import type { RunState } from '../../functions/lib/run-state';
import { awsErrorLine, stepFunctions } from '../step-functions';
import { parseCommandArgs } from '../arguments';
import { ProgressDisplay, progressLine } from '../progress-display';
import { phaseTable, runView, type RunView as RecordsView } from '../run-view';
import {
  BUCKET_NAME,
  findRun,
  readJson,
  runRecordsKey,
  runReportKey,
  waveBucketClient,
  WaveNotFoundError,
} from '../wave-bucket';

export const summary = 'show where a wave run stands on the deployed state machine';

const USAGE = `usage: mgnctl status <executionArn> [--bucket B [--watch]] [--region R] [--json]
       mgnctl status --state-machine-arn ARN --wave-id ID [--bucket B [--run RUN] [--watch]] [--region R] [--json]
       mgnctl status --bucket B --wave-id ID [--run RUN] [--watch] [--region R] [--json]

Shows a wave run's status (RUNNING, SUCCEEDED, FAILED, ...), and its outcome and server counts when
the run has them. With --wave-id, every run of that wave (executions named <waveId>-...), newest first.

With --bucket (the stack output WaveBucketName), also the run's live view read from its server
records (waves/<waveId>/runs/<runId>/servers.json), as mgnctl simulate draws it: the last completed
phase, servers by state, replication progress, and a table of servers per phase and timeline status.
The run is the execution's (given an ARN), --run, or the wave's newest run in the bucket.

options:
  --bucket B           the stack's wave bucket (output WaveBucketName)
  --run RUN            a run id (execution name) of the wave; default its newest run
  --watch              redraw the view every --interval seconds until the run ends
                       (the execution stops, or, without Step Functions, report.json appears)
  --interval S         seconds between redraws with --watch (default 15)
  --state-machine-arn  the stack output StateMachineArn
  --region R           AWS region of the stack (default: the ARN's, or AWS_REGION / profile)
  --json               machine-readable output (with --bucket: "progress" added)

exit codes: 0 shown, 2 bad arguments or a wave/run not in the bucket, 1 AWS refused (e.g. ExecutionDoesNotExist)`;

const EXECUTION_ARN =
  /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_-]{1,80}:[A-Za-z0-9_-]{1,80}$/;

interface RunView {
  name: string;
  status: string;
  startDate?: string;
  stopDate?: string;
  outcome?: string;
  counts?: Record<string, number>;
}

function viewOf(d: DescribeExecutionCommandOutput): RunView {
  let output: { outcome?: string; counts?: Record<string, number> } = {};
  try {
    output = d.output ? JSON.parse(d.output) : {};
  } catch {
    // a run that failed before the report has no JSON output
  }
  return {
    name: d.name ?? '',
    status: d.status ?? 'UNKNOWN',
    startDate: d.startDate?.toISOString(),
    stopDate: d.stopDate?.toISOString(),
    ...(output.outcome ? { outcome: output.outcome } : {}),
    ...(output.counts ? { counts: output.counts } : {}),
  };
}

const line = (v: RunView) =>
  `${v.name}: ${v.status}${v.outcome ? `, outcome ${v.outcome}` : ''}${
    v.counts
      ? ` (${Object.entries(v.counts)
          .map(([k, n]) => `${n} ${k}`)
          .join(', ')})`
      : ''
  }, started ${v.startDate ?? '?'}${v.stopDate ? `, stopped ${v.stopDate}` : ''}`;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('status', USAGE, {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'state-machine-arn': { type: 'string' },
      'wave-id': { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      bucket: { type: 'string' },
      run: { type: 'string' },
      watch: { type: 'boolean' },
      interval: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const byWave = values['wave-id'] !== undefined || values['state-machine-arn'] !== undefined;
  const bucket = values.bucket;
  const problems: string[] = [];
  if (bucket !== undefined && !BUCKET_NAME.test(bucket))
    problems.push(
      `--bucket: ${JSON.stringify(bucket)} is not a bucket name (the stack output WaveBucketName)`,
    );
  if (values.run !== undefined && !RUN_NAME_OR_EXECUTION.test(values.run))
    problems.push(
      `--run: ${JSON.stringify(values.run)} is not a run id (an execution name: 1-80 letters, digits, _ or -)`,
    );
  if ((values.run !== undefined || values.watch) && bucket === undefined)
    problems.push(
      `${values.run !== undefined ? '--run' : '--watch'}: needs --bucket (the run's records are in the wave bucket)`,
    );
  if (values.run !== undefined && positionals.length > 0)
    problems.push('--run: the execution ARN names the run already; give one or the other');
  const interval = values.interval === undefined ? 15 : Number(values.interval);
  if (!(interval > 0) || interval > 3600)
    problems.push(
      `--interval: ${JSON.stringify(values.interval)} must be a number of seconds > 0 and <= 3600`,
    );
  if (byWave) {
    if (positionals.length > 0)
      problems.push('give an execution ARN or --state-machine-arn with --wave-id, not both');
    if (!values['state-machine-arn'] && bucket === undefined)
      problems.push(
        '--state-machine-arn: required with --wave-id (or --bucket, to read the wave bucket alone)',
      );
    if (!values['wave-id'] || !WAVE_ID.test(values['wave-id']))
      problems.push(`--wave-id: ${JSON.stringify(values['wave-id'] ?? '')} is not a wave id`);
  } else if (positionals.length !== 1 || !EXECUTION_ARN.test(positionals[0]))
    problems.push('give one execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>)');
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl status: ${p}`);
    return 2;
  }
  const machineArn = values['state-machine-arn'] ?? positionals[0];
  const region = values.region ?? regionOfArn(machineArn);
  if (bucket !== undefined && !values['state-machine-arn'] && positionals.length === 0)
    return bucketOnly(bucket, values['wave-id']!, values.run, {
      region,
      watch: values.watch === true,
      interval,
      json: values.json === true,
    });
  const sfn = stepFunctions(region);
  try {
    let views: RunView[];
    if (byWave) {
      const prefix = `${values['wave-id']}-`;
      const arns: string[] = [];
      let nextToken: string | undefined;
      do {
        const page = await sfn.send(
          new ListExecutionsCommand({
            stateMachineArn: values['state-machine-arn'],
            nextToken,
            maxResults: 1000,
          }),
        );
        for (const e of page.executions ?? [])
          if (e.name?.startsWith(prefix) && e.executionArn) arns.push(e.executionArn);
        nextToken = page.nextToken;
      } while (nextToken);
      views = [];
      for (const executionArn of arns)
        views.push(viewOf(await sfn.send(new DescribeExecutionCommand({ executionArn }))));
      views.sort((a, b) => (b.startDate ?? '').localeCompare(a.startDate ?? ''));
      if (views.length === 0 && !values.json) console.log(`no runs of wave ${values['wave-id']}`);
    } else views = [viewOf(await sfn.send(new DescribeExecutionCommand({ executionArn: positionals[0] })))];
    if (bucket === undefined) {
      if (values.json) console.log(JSON.stringify(byWave ? views : views[0]));
      else for (const v of views) console.log(line(v));
      return 0;
    }
    // the run whose records to show: the execution's, --run, or the wave's newest in the bucket
    const s3 = waveBucketClient(region);
    let waveId = values['wave-id'];
    let runId = byWave ? values.run : views[0].name;
    if (!byWave) {
      const input = (await sfn.send(new DescribeExecutionCommand({ executionArn: positionals[0] }))).input;
      waveId = await waveIdOfInput(input, s3);
      if (!waveId) {
        console.error(
          `mgnctl status: the input of ${views[0].name} names no waveId; use --bucket B --wave-id ID --run ${views[0].name}`,
        );
        return 2;
      }
    }
    const run = await findRun(s3, bucket, waveId!, runId);
    runId = run.runId;
    const view = views.find((v) => v.name === runId);
    const arn = byWave ? undefined : positionals[0];
    const readView = async (): Promise<{ records?: RecordsView; status?: RunView }> => {
      const status = arn ? viewOf(await sfn.send(new DescribeExecutionCommand({ executionArn: arn }))) : view;
      const state = await readJson<RunState>(s3, bucket, runRecordsKey(waveId!, runId!));
      const started = status?.startDate ? new Date(status.startDate) : undefined;
      const stopped = status?.stopDate ? new Date(status.stopDate) : undefined;
      return {
        status,
        ...(state ? { records: runView(state, stopped ?? new Date(), status?.status, started) } : {}),
      };
    };
    if (values.watch && !values.json) {
      for (const v of views) console.log(line(v));
      return await watch(readView, interval, async (r) =>
        r.status
          ? r.status.status !== 'RUNNING'
          : Boolean(await readJson(s3, bucket, runReportKey(waveId!, runId!))),
      );
    }
    const { records } = await readView();
    if (values.json) {
      const withProgress = views.map((v) =>
        v.name === runId && records ? { ...v, progress: jsonOf(records) } : v,
      );
      console.log(JSON.stringify(byWave ? withProgress : withProgress[0]));
    } else {
      for (const v of views) console.log(line(v));
      printRecords(records, waveId!, runId!);
    }
    return 0;
  } catch (error) {
    return failed(error);
  }
}

/** A run id is an execution name (1-80 letters, digits, _ or -): one the API or mgnctl start chose, or one given in the console. */
const RUN_NAME_OR_EXECUTION = /^[A-Za-z0-9_-]{1,80}$/;

const regionOfArn = (arn: string | undefined): string | undefined =>
  arn ? /^arn:aws[a-z-]*:states:([a-z0-9-]+):/.exec(arn)?.[1] : undefined;

/** The waveId of an execution's input: the manifest's, or the manifest's the input points at ({manifestLocation}). */
async function waveIdOfInput(
  input: string | undefined,
  s3: ReturnType<typeof waveBucketClient>,
): Promise<string | undefined> {
  let parsed: { waveId?: unknown; manifestLocation?: { bucket?: unknown; key?: unknown } } = {};
  try {
    parsed = input ? JSON.parse(input) : {};
  } catch {
    return undefined;
  }
  if (typeof parsed.waveId === 'string') return parsed.waveId;
  const at = parsed.manifestLocation;
  if (at && typeof at.bucket === 'string' && typeof at.key === 'string') {
    const manifest = await readJson<{ waveId?: unknown }>(s3, at.bucket, at.key);
    if (typeof manifest?.waveId === 'string') return manifest.waveId;
  }
  return undefined;
}

const jsonOf = (v: RecordsView) => ({
  runId: v.progress.execution,
  state: v.progress.state,
  lastCompletedPhase: v.progress.lastCompletedPhase ?? null,
  elapsedSeconds: Math.round(v.progress.simulatedSeconds),
  serversByState: v.progress.fleet?.lifecycle ?? {},
  replicationPercent: v.progress.fleet?.replicationPercent ?? null,
  phases: Object.fromEntries(v.phases.map((p) => [p.phase, p.servers])),
  servers: v.servers,
  maxLagSeconds: v.maxLagSeconds ?? null,
});

function printRecords(records: RecordsView | undefined, waveId: string, runId: string): void {
  if (!records) {
    console.log(`${waveId} run ${runId}: no server records yet (${runRecordsKey(waveId, runId)})`);
    return;
  }
  console.log(progressLine(records.progress));
  for (const l of phaseTable(records)) console.log(l);
}

/** Redraws the view until `ended` says the run is over; the last view is printed in full. */
async function watch<T extends { records?: RecordsView }>(
  read: () => Promise<T>,
  intervalSeconds: number,
  ended: (r: T) => Promise<boolean>,
): Promise<number> {
  const display = new ProgressDisplay(
    Boolean(process.stdout.isTTY),
    (text) => void process.stdout.write(text),
  );
  display.start();
  try {
    for (;;) {
      const r = await read();
      if (r.records) display.update(r.records.progress, phaseTable(r.records));
      if (await ended(r)) {
        display.stop();
        if (!process.stdout.isTTY && r.records) {
          console.log(progressLine(r.records.progress));
          for (const l of phaseTable(r.records)) console.log(l);
        }
        return 0;
      }
      await new Promise((resolve) => setTimeout(resolve, intervalSeconds * 1000));
    }
  } finally {
    display.stop();
  }
}

/** Says why status could not be read: exit 2 for a wave or run that is not there, 1 for an AWS error. */
function failed(error: unknown): number {
  if (error instanceof WaveNotFoundError) {
    console.error(`mgnctl status: ${error.message}`);
    return 2;
  }
  console.error(`mgnctl status: ${awsErrorLine(error)}`);
  return 1;
}

/** `--bucket B --wave-id ID`: the wave bucket alone (no Step Functions call). */
async function bucketOnly(
  bucket: string,
  waveId: string,
  runId: string | undefined,
  o: { region?: string; watch: boolean; interval: number; json: boolean },
): Promise<number> {
  const s3 = waveBucketClient(o.region);
  try {
    const run = await findRun(s3, bucket, waveId, runId);
    const readView = async () => {
      const state = await readJson<RunState>(s3, bucket, runRecordsKey(waveId, run.runId));
      const report = await readJson<{ generatedAt?: string; outcome?: string }>(
        s3,
        bucket,
        runReportKey(waveId, run.runId),
      );
      const end = report?.generatedAt ? new Date(report.generatedAt) : new Date();
      return {
        report,
        ...(state
          ? { records: runView(state, end, report ? `ended ${report.outcome ?? ''}`.trim() : undefined) }
          : {}),
      };
    };
    if (o.watch && !o.json) return await watch(readView, o.interval, async (r) => Boolean(r.report));
    const r = await readView();
    if (o.json)
      console.log(
        JSON.stringify({
          waveId,
          runId: run.runId,
          ...(r.report?.outcome ? { outcome: r.report.outcome } : {}),
          ...(r.records ? { progress: jsonOf(r.records) } : {}),
        }),
      );
    else printRecords(r.records, waveId, run.runId);
    return 0;
  } catch (error) {
    return failed(error);
  }
}

/**
 * `mgnctl report <waveId> --bucket B [--run RUN] [--out DIR]`: fetches a deployed run's report.json
 * from the wave bucket and writes it with a report.html drawn by the simulator's renderer.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { WAVE_ID } from '../../functions/lib/manifest';
import type { ReportPage } from '../../simulator/report/html';
import { parseCommandArgs } from '../arguments';
import { awsErrorLine } from '../step-functions';
import {
  BUCKET_NAME,
  findRun,
  readJson,
  runReportKey,
  waveBucketClient,
  WaveNotFoundError,
} from '../wave-bucket';

export const summary = "fetch a deployed wave run's report.json and write it with a report.html";

const USAGE = `usage: mgnctl report <waveId> --bucket B [--run RUN] [--out DIR] [--region R] [--json]

Fetches waves/<waveId>/runs/<run>/report.json from the stack's wave bucket and writes DIR/report.json
and DIR/report.html (the page mgnctl simulate writes: outcome, per-server result, timeline, instances
as launched, what verification found; failed servers in red).

options:
  --bucket B     the stack's wave bucket (stack output WaveBucketName; required)
  --run RUN      the run id (execution name); default the wave's newest run
  --out DIR      output folder (default reports/<waveId>/<run>)
  --region R     AWS region of the stack (default: AWS_REGION / profile)
  --json         print {"waveId", "runId", "outcome", "reportJson", "reportHtml"}
  -h, --help     this help

exit codes: 0 written, 2 bad arguments or a wave/run not in the bucket, 1 the run has no report yet
            (still running) or AWS refused`;

const RUN_ID = /^[A-Za-z0-9_-]{1,80}$/;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('report', USAGE, {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      bucket: { type: 'string' },
      run: { type: 'string' },
      out: { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const problems: string[] = [];
  const waveId = positionals[0];
  if (positionals.length !== 1) problems.push(`give exactly one wave id (got ${positionals.length})`);
  else if (!WAVE_ID.test(waveId)) problems.push(`${JSON.stringify(waveId)} is not a wave id`);
  if (!values.bucket) problems.push('--bucket: required (the stack output WaveBucketName)');
  else if (!BUCKET_NAME.test(values.bucket))
    problems.push(
      `--bucket: ${JSON.stringify(values.bucket)} is not a bucket name (the stack output WaveBucketName)`,
    );
  if (values.run !== undefined && !RUN_ID.test(values.run))
    problems.push(
      `--run: ${JSON.stringify(values.run)} is not a run id (an execution name: 1-80 letters, digits, _ or -)`,
    );
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl report: ${p}`);
    return 2;
  }
  const bucket = values.bucket!;
  const s3 = waveBucketClient(values.region);
  try {
    const { runId } = await findRun(s3, bucket, waveId, values.run);
    const key = runReportKey(waveId, runId);
    const report = await readJson<ReportPage>(s3, bucket, key);
    if (!report) {
      console.error(
        `mgnctl report: run ${runId} of wave ${waveId} has no report yet (${key}): the report step writes it when the run ends; see mgnctl status --bucket ${bucket} --wave-id ${waveId} --run ${runId}`,
      );
      return 1;
    }
    const out = resolve(values.out ?? join('reports', waveId, runId));
    mkdirSync(out, { recursive: true });
    const { renderReportHtml } =
      require('../../simulator/report/html') as typeof import('../../simulator/report/html');
    const jsonFile = join(out, 'report.json');
    const htmlFile = join(out, 'report.html');
    writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(htmlFile, renderReportHtml(report));
    if (values.json)
      console.log(
        JSON.stringify({
          waveId,
          runId,
          outcome: report.outcome,
          reportJson: jsonFile,
          reportHtml: htmlFile,
        }),
      );
    else {
      const by = (r: string) => report.servers.filter((s) => s.result === r).length;
      console.log(
        `${waveId} run ${runId}: ${report.outcome}, ${by('migrated')} migrated, ${by('failed')} failed, ${by('skipped')} skipped of ${report.servers.length}`,
      );
      console.log(`  report: ${htmlFile}`);
      console.log(`  json:   ${jsonFile}`);
    }
    return 0;
  } catch (error) {
    if (error instanceof WaveNotFoundError) {
      console.error(`mgnctl report: ${error.message}`);
      return 2;
    }
    console.error(`mgnctl report: ${awsErrorLine(error)}`);
    return 1;
  }
}

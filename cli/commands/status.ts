/**
 * `mgnctl status <executionArn>` or `mgnctl status --state-machine-arn ARN --wave-id ID`: where a wave
 * run stands (Step Functions status, and the wave's outcome and server counts once it has them).
 */
import {
  DescribeExecutionCommand,
  ListExecutionsCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { WAVE_ID } from '../../functions/lib/manifest';
import { awsErrorLine, stepFunctions } from '../step-functions';
import { parseCommandArgs } from '../arguments';

export const summary = 'show where a wave run stands on the deployed state machine';

const USAGE = `usage: mgnctl status <executionArn> [--region R] [--json]
       mgnctl status --state-machine-arn ARN --wave-id ID [--region R] [--json]

Shows a wave run's status (RUNNING, SUCCEEDED, FAILED, ...), and its outcome and server counts when
the run has them. With --wave-id, every run of that wave (executions named <waveId>-...), newest first.

exit codes: 0 shown, 2 bad arguments, 1 AWS refused (e.g. ExecutionDoesNotExist)`;

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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const byWave = values['wave-id'] !== undefined || values['state-machine-arn'] !== undefined;
  const problems: string[] = [];
  if (byWave) {
    if (positionals.length > 0)
      problems.push('give an execution ARN or --state-machine-arn with --wave-id, not both');
    if (!values['state-machine-arn']) problems.push('--state-machine-arn: required with --wave-id');
    if (!values['wave-id'] || !WAVE_ID.test(values['wave-id']))
      problems.push(`--wave-id: ${JSON.stringify(values['wave-id'] ?? '')} is not a wave id`);
  } else if (positionals.length !== 1 || !EXECUTION_ARN.test(positionals[0]))
    problems.push('give one execution ARN (arn:aws:states:<region>:<account>:execution:<machine>:<name>)');
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl status: ${p}`);
    return 2;
  }
  const sfn = stepFunctions(values.region);
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
    if (values.json) console.log(JSON.stringify(byWave ? views : views[0]));
    else for (const v of views) console.log(line(v));
    return 0;
  } catch (error) {
    console.error(`mgnctl status: ${awsErrorLine(error)}`);
    return 1;
  }
}

/**
 * `mgnctl approve` / `mgnctl reject`: answer a wave's approval request (the task token from the SNS
 * message) with SendTaskSuccess / SendTaskFailure, as the API's POST /approvals does. The token is a
 * credential: it is read from --task-token-file (or stdin with "-") as well as --task-token, so it
 * need not sit in shell history, and it is never printed.
 */
import { readFileSync } from 'node:fs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { awsErrorLine, stepFunctions } from './step-functions';
import { parseCommandArgs } from './arguments';

/** The approver's name as the state machine records it. */
const APPROVER = /^[A-Za-z0-9 ._@+=:,/-]{1,128}$/;

const usage = (
  decision: 'approve' | 'reject',
) => `usage: mgnctl ${decision} (--task-token TOKEN | --task-token-file FILE|-) --by NAME${decision === 'reject' ? ' --reason TEXT' : ''} [--region R]

${decision === 'approve' ? 'Approves the cutover of the wave whose approval request carried this task token.' : 'Rejects the cutover: the wave terminates its test instances and ends with outcome "rejected".'}

options:
  --task-token TOKEN       the task token from the approval request
  --task-token-file FILE   read the token from FILE ("-" for stdin) instead
  --by NAME                who decides (recorded in the execution)${decision === 'reject' ? '\n  --reason TEXT            why (recorded as the rejection cause)' : ''}
  --region R               AWS region of the stack (default: AWS_REGION / profile)
  -h, --help               this help

exit codes: 0 sent, 2 bad arguments, 1 AWS refused (e.g. TaskTimedOut, InvalidToken)`;

export async function answerApproval(decision: 'approve' | 'reject', argv: string[]): Promise<number> {
  const parsed = parseCommandArgs(decision, usage(decision), {
    args: argv,
    strict: true,
    options: {
      'task-token': { type: 'string' },
      'task-token-file': { type: 'string' },
      by: { type: 'string' },
      reason: { type: 'string' },
      region: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (values.help) {
    console.log(usage(decision));
    return 0;
  }
  const problems: string[] = [];
  let token = values['task-token'];
  const tokenFile = values['task-token-file'];
  if (token !== undefined && tokenFile !== undefined)
    problems.push('give --task-token or --task-token-file, not both');
  else if (tokenFile !== undefined) {
    try {
      token = readFileSync(tokenFile === '-' ? 0 : tokenFile, 'utf8').trim();
    } catch (e) {
      problems.push(
        `--task-token-file: cannot read ${tokenFile} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`,
      );
    }
  }
  if (!token && problems.length === 0)
    problems.push('--task-token or --task-token-file: required (the token from the approval request)');
  else if (token && (token.length > 2048 || /\s/.test(token)))
    problems.push('--task-token: a task token is 1-2048 characters without spaces');
  if (!values.by) problems.push('--by: required (who decides)');
  else if (!APPROVER.test(values.by))
    problems.push(
      `--by: ${JSON.stringify(values.by)} must be 1-128 letters, digits, spaces or . _ @ + = : , / -`,
    );
  if (decision === 'reject' && !values.reason)
    problems.push('--reason: required (why the cutover is rejected)');
  if (decision === 'approve' && values.reason !== undefined) problems.push('--reason: only for reject');
  if (values.reason !== undefined && values.reason.length > 256)
    problems.push('--reason: at most 256 characters');
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl ${decision}: ${p}`);
    return 2;
  }
  try {
    const sfn = stepFunctions(values.region);
    if (decision === 'approve')
      await sfn.send(
        new SendTaskSuccessCommand({
          taskToken: token,
          output: JSON.stringify({ approved: true, by: values.by }),
        }),
      );
    else
      await sfn.send(
        new SendTaskFailureCommand({
          taskToken: token,
          error: 'ApprovalRejected',
          cause: `${values.reason} (by ${values.by})`,
        }),
      );
    console.log(
      decision === 'approve' ? `approved by ${values.by}` : `rejected by ${values.by}: ${values.reason}`,
    );
    return 0;
  } catch (error) {
    console.error(`mgnctl ${decision}: ${awsErrorLine(error)}`);
    return 1;
  }
}

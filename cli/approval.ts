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

/** A decision on an approval request; revert only at the finalize gate (issue 13). */
type Decision = 'approve' | 'reject' | 'revert';

/** revert: SendTaskFailure with this error. The finalize gate rolls the cutover back; the cutover gate refuses it and asks again. */
const REVERT_ERROR = 'RevertRequested';

const DESCRIPTION: Record<Decision, string> = {
  approve: 'Approves the gate (cutover, or finalize) of the wave whose approval request carried this task token.',
  reject:
    'Rejects: at the cutover gate the wave terminates its test instances and ends "rejected"; at the finalize gate it stays cut over, not finalized (re-run it later to finalize).',
  revert:
    'Finalize gate only: rolls the cutover back (cutover instances terminated, servers back to Ready for cutover, still replicating, sources kept); the wave ends "reverted". The cutover gate refuses it (nothing is cut over yet) and sends a new request.',
};

/** The approver's name as the state machine records it. */
const APPROVER = /^[A-Za-z0-9 ._@+=:,/-]{1,128}$/;

const usage = (
  decision: Decision,
) => `usage: mgnctl ${decision} (--task-token TOKEN | --task-token-file FILE|-) --by NAME${decision !== 'approve' ? ' --reason TEXT' : ''} [--region R]

${DESCRIPTION[decision]}

options:
  --task-token TOKEN       the task token from the approval request
  --task-token-file FILE   read the token from FILE ("-" for stdin) instead
  --by NAME                who decides (recorded in the execution)${decision !== 'approve' ? `\n  --reason TEXT            why (recorded as the ${decision === 'revert' ? 'revert' : 'rejection'} cause)` : ''}
  --region R               AWS region of the stack (default: AWS_REGION / profile)
  -h, --help               this help

exit codes: 0 sent, 2 bad arguments, 1 AWS refused (e.g. TaskTimedOut, InvalidToken)`;

export async function answerApproval(decision: Decision, argv: string[]): Promise<number> {
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
  if (decision === 'revert' && !values.reason) problems.push('--reason: required (why the cutover is rolled back)');
  if (decision === 'approve' && values.reason !== undefined) problems.push('--reason: only for reject and revert');
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
          error: decision === 'revert' ? REVERT_ERROR : 'ApprovalRejected',
          cause: `${values.reason} (by ${values.by})`,
        }),
      );
    console.log(
      decision === 'approve'
        ? `approved by ${values.by}`
        : decision === 'revert'
          ? `revert sent by ${values.by}: ${values.reason} (at the finalize gate the wave rolls back; at the cutover gate it is refused and a new approval request follows)`
          : `rejected by ${values.by}: ${values.reason}`,
    );
    return 0;
  } catch (error) {
    console.error(`mgnctl ${decision}: ${awsErrorLine(error)}`);
    return 1;
  }
}

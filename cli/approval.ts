/**
 * `mgnctl approve` / `mgnctl reject`: answer a wave's approval request (the task token from the SNS
 * message) with SendTaskSuccess / SendTaskFailure, as the API's POST /approvals does, from the same
 * decision table (functions/lib/approval-decisions.ts). The approver recorded is the caller's AWS
 * identity (STS GetCallerIdentity); `--by` is only a note. The token is a credential: it is read
 * from --task-token-file (or stdin with "-") as well as --task-token, so it need not sit in shell
 * history, and it is never printed.
 */
import { readFileSync } from 'node:fs';
import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { APPROVAL_DECISIONS, APPROVER_NOTE, taskAnswer, type ApprovalDecision } from '../functions/lib/approval-decisions';
import { awsErrorLine, stepFunctions } from './step-functions';
import { parseCommandArgs } from './arguments';

const SUMMARIES: Record<ApprovalDecision, string> = {
  approve: 'Approves the gate (cutover, or finalize) of the wave whose approval request carried this task token.',
  reject:
    'Rejects: at the cutover gate the wave terminates its test instances and ends "rejected"; at the finalize gate it stays cut over, not finalized (re-run it later to finalize).',
  revert:
    'Finalize gate only: rolls the cutover back (cutover instances terminated, servers back to Ready for cutover, still replicating, sources kept); the wave ends "reverted". The cutover gate refuses it (nothing is cut over yet) and sends a new request.',
};

const usage = (decision: ApprovalDecision) => {
  const reason = APPROVAL_DECISIONS[decision].reasonRequired;
  return `usage: mgnctl ${decision} (--task-token TOKEN | --task-token-file FILE|-)${reason ? ' --reason TEXT' : ''} [--by NOTE] [--region R]

${SUMMARIES[decision]}
The execution records who answered as your AWS identity (STS GetCallerIdentity: the ARN of your
user or role session), the same identity CloudTrail records for the SendTask call.

options:
  --task-token TOKEN       the task token from the approval request
  --task-token-file FILE   read the token from FILE ("-" for stdin) instead${reason ? '\n  --reason TEXT            why (recorded as the rejection cause)' : ''}
  --by NOTE                optional note recorded next to your identity (e.g. your name or change ticket)
  --region R               AWS region of the stack (default: AWS_REGION / profile)
  -h, --help               this help

exit codes: 0 sent, 2 bad arguments, 1 AWS refused (e.g. TaskTimedOut, InvalidToken, no credentials)`;
};

let sts: STSClient | undefined;
let stsRegion: string | undefined;
/** STS for GetCallerIdentity, in the stack's region (AWS_ENDPOINT_URL_STS for an sts VPC endpoint). */
function stsClient(region?: string): STSClient {
  if (!sts || stsRegion !== region) {
    sts = new STSClient({ ...(region ? { region } : {}), maxAttempts: 5 });
    stsRegion = region;
  }
  return sts;
}

export async function answerApproval(decision: ApprovalDecision, argv: string[]): Promise<number> {
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
  const rule = APPROVAL_DECISIONS[decision];
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
  if (values.by !== undefined && !APPROVER_NOTE.test(values.by))
    problems.push(`--by: ${JSON.stringify(values.by)} must be 1-128 letters, digits, spaces or . _ @ + = : , / -`);
  if (rule.reasonRequired && !values.reason) problems.push(`--reason: required (why: recorded as the rejection cause)`);
  if (!rule.reasonRequired && values.reason !== undefined) problems.push(`--reason: not taken by ${decision}`);
  if (values.reason !== undefined && values.reason.length > 256) problems.push('--reason: at most 256 characters');
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl ${decision}: ${p}`);
    return 2;
  }
  try {
    // who answers is the caller's identity, never a name typed on the command line
    const { Arn: by } = await stsClient(values.region).send(new GetCallerIdentityCommand({}));
    if (!by) throw new Error('STS GetCallerIdentity returned no Arn');
    const answer = taskAnswer(decision, token!, { by, ...(values.by ? { note: values.by } : {}), ...(values.reason ? { reason: values.reason } : {}) });
    const sfn = stepFunctions(values.region);
    if (answer.action === 'SendTaskSuccess') await sfn.send(new SendTaskSuccessCommand({ taskToken: answer.taskToken, output: answer.output }));
    else await sfn.send(new SendTaskFailureCommand({ taskToken: answer.taskToken, error: answer.error, cause: answer.cause }));
    console.log(`${decision === 'approve' ? 'approved' : `${decision}ed`} by ${by}${values.by ? ` (note: ${values.by})` : ''}${values.reason ? `: ${values.reason}` : ''}`);
    if (decision === 'revert') console.log('at the finalize gate the wave rolls back; at the cutover gate it is refused and a new approval request follows');
    return 0;
  } catch (error) {
    console.error(`mgnctl ${decision}: ${awsErrorLine(error)}`);
    return 1;
  }
}

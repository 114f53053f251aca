/**
 * The answers to an approval request, one row per decision, and the Step Functions task-token call
 * each becomes. The API's POST /approvals mapping template (infra/constructs/wave-triggers.ts),
 * its TypeScript mirror (trigger-input.ts) and `mgnctl approve/reject` (cli/approval.ts) are all
 * built from this table, so a new decision is one new row.
 *
 * Who answered (`by`) is always the caller's authenticated identity: `$context.identity.userArn`
 * behind the API's AWS_IAM auth, STS GetCallerIdentity in the CLI. What the caller says about
 * themselves is kept only as `note`.
 */

/** A decision answered with SendTaskSuccess: the task's output carries these fields plus `by` (and `note`). */
interface SuccessRule {
  readonly call: 'SendTaskSuccess';
  readonly output: Readonly<Record<string, boolean | string>>;
  readonly reasonRequired: boolean;
}

/** A decision answered with SendTaskFailure: the state machine's Catch matches `error`. */
interface FailureRule {
  readonly call: 'SendTaskFailure';
  readonly error: string;
  readonly reasonRequired: boolean;
}

export type DecisionRule = SuccessRule | FailureRule;

export const APPROVAL_DECISIONS = {
  approve: { call: 'SendTaskSuccess', output: { approved: true }, reasonRequired: false },
  reject: { call: 'SendTaskFailure', error: 'ApprovalRejected', reasonRequired: true },
  // finalize gate (issue 13): roll the cutover back; the cutover gate refuses it and asks again
  revert: { call: 'SendTaskFailure', error: 'RevertRequested', reasonRequired: true },
} as const satisfies Record<string, DecisionRule>;

export type ApprovalDecision = keyof typeof APPROVAL_DECISIONS;

export const APPROVAL_DECISION_NAMES = Object.keys(APPROVAL_DECISIONS) as ApprovalDecision[];

/** What an approver says about themselves (`--by` / the body's `by`): a note, never the identity. */
export const APPROVER_NOTE = /^[A-Za-z0-9 _.@:/+=,-]{1,128}$/;

export interface Answerer {
  /** The authenticated identity's ARN (API: $context.identity.userArn; CLI: GetCallerIdentity). */
  readonly by: string;
  readonly note?: string;
  readonly reason?: string;
}

export type TaskAnswer =
  | { readonly action: 'SendTaskSuccess'; readonly taskToken: string; readonly output: string }
  | { readonly action: 'SendTaskFailure'; readonly taskToken: string; readonly error: string; readonly cause: string };

/** `<reason> (by <identity>[, note: <note>])`: the cause of a SendTaskFailure answer. */
export const answerCause = (who: Answerer): string => `${who.reason ?? ''} (by ${who.by}${who.note ? `, note: ${who.note}` : ''})`;

/** The task-token call a decision becomes. */
export function taskAnswer(decision: ApprovalDecision, taskToken: string, who: Answerer): TaskAnswer {
  const rule: DecisionRule = APPROVAL_DECISIONS[decision];
  if (rule.call === 'SendTaskFailure') return { action: 'SendTaskFailure', taskToken, error: rule.error, cause: answerCause(who) };
  return { action: 'SendTaskSuccess', taskToken, output: JSON.stringify({ ...rule.output, by: who.by, ...(who.note ? { note: who.note } : {}) }) };
}

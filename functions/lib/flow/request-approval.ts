import * as z from 'zod/mini';
import { InvalidContextError } from '../errors';
import type { FlowDeps } from '../ports';
import { activeServers, loadRunState } from '../run-state';
import { parseWaveContext, type WaveContext } from '../wave-context';
import { GATES, REVERT_ERROR, type Gate } from '../finalize-gate';

/** The approval task's payload (CONTRACTS.md): the wave context and the task token. */
export interface ApprovalRequest {
  readonly context: WaveContext;
  readonly taskToken: string;
  /** which gate asks: before the cutover launch, or before the (irreversible) finalize; "cutover" when left out */
  readonly gate: Gate;
}

const MAX_LISTED_FAILURES = 50;

/** A Step Functions task token is 1 to 2,048 characters (TaskToken in the Step Functions API model). */
export const MAX_TASK_TOKEN_LENGTH = 2048;

export function parseApprovalRequest(event: unknown): ApprovalRequest {
  const parsed = z.object({ context: z.unknown(), taskToken: z.string(), gate: z.optional(z.enum(GATES)) }).safeParse(event);
  if (!parsed.success) throw new InvalidContextError(`approval request needs {context, taskToken, gate?: ${GATES.map((g) => `"${g}"`).join(' | ')}}`);
  const { length } = parsed.data.taskToken;
  // the token is a credential: its length goes into the error, never the token
  if (length < 1 || length > MAX_TASK_TOKEN_LENGTH)
    throw new InvalidContextError(
      `approval request: taskToken is ${length} characters; a Step Functions task token is 1-${MAX_TASK_TOKEN_LENGTH}`,
    );
  return { context: parseWaveContext(parsed.data.context), taskToken: parsed.data.taskToken, gate: parsed.data.gate ?? 'cutover' };
}

/** The human-readable request: what passed, what was set aside, and how to answer. */
export function approvalMessage(
  request: ApprovalRequest,
  ready: string[],
  failures: { name: string; phase: string; reason: string }[],
): string {
  const { context: ctx, gate } = request;
  const lines =
    gate === 'finalize'
      ? [
          `Wave ${ctx.waveId} (run ${ctx.runId}, ${ctx.targetRegion}) is cut over and verified, and waits at the finalize gate.`,
          'Finalizing is irreversible: MGN stops replication and the way back to the source closes.',
          '',
          `Servers: ${ctx.counts.total} in the wave, ${ready.length} cut over and awaiting finalize, ${failures.length} set aside.`,
        ]
      : [
          `Wave ${ctx.waveId} (run ${ctx.runId}, ${ctx.targetRegion}) finished its tests and waits at the cutover gate for approval to cut over.`,
          ...(ctx.refusedAnswer
            ? ['', `A revert answer was refused: at the cutover gate nothing is cut over yet, so there is nothing to revert (${(ctx.refusedAnswer.Cause ?? '').slice(0, 200)}). Answer approve or reject.`]
            : []),
          '',
          `Servers: ${ctx.counts.total} in the wave, ${ready.length} ready for cutover, ${failures.length} set aside.`,
        ];
  if (failures.length > 0) {
    lines.push('', 'Set aside:');
    for (const f of failures.slice(0, MAX_LISTED_FAILURES))
      lines.push(`  ${f.name} (${f.phase}): ${f.reason.slice(0, 200)}`);
    if (failures.length > MAX_LISTED_FAILURES)
      lines.push(`  ... and ${failures.length - MAX_LISTED_FAILURES} more (see the run's servers.json)`);
  }
  lines.push(
    '',
    `Gate: ${gate}. Answer with mgnctl ${gate === 'finalize' ? 'approve|reject|revert' : 'approve|reject'} --task-token-file <file>, or POST /approvals {"taskToken", "decision"} on the API (approvers only):`,
    ...(gate === 'finalize'
      ? [
          'approve: finalize and archive.',
          'reject (with a "reason"): stay cut over, not finalized; re-run the wave later to finalize.',
          `revert (with a "reason"; Step Functions error "${REVERT_ERROR}"): roll back to the source: cutover instances terminated, servers back to Ready for cutover, still replicating.`,
        ]
      : ['approve: go on to the cutover.', 'reject (with a "reason"): test instances are terminated and the wave ends "rejected".']),
    'Your AWS identity is recorded as the approver. The token is a credential: keep it out of tickets and chats.',
    '',
    'Task token:',
    request.taskToken,
  );
  return lines.join('\n');
}

/** Publishes the approval request with its task token. The token is never logged. */
export async function requestApproval(
  request: ApprovalRequest,
  deps: FlowDeps,
): Promise<{ requested: true }> {
  const state = await loadRunState(deps.store, request.context);
  const ready = activeServers(state).map((r) => r.name);
  const failures = state.servers
    .filter((r) => r.status === 'failed' && r.failure)
    .map((r) => ({ name: r.name, phase: r.failure!.phase, reason: r.failure!.reason }));
  await deps.notifier.publish(
    request.gate === 'finalize'
      ? `Approval needed: finalize the cutover of wave ${request.context.waveId} (finalize gate)`
      : `Approval needed: cutover of wave ${request.context.waveId} (cutover gate)`,
    approvalMessage(request, ready, failures),
  );
  deps.log.info('approval requested', { gate: request.gate, ready: ready.length, setAside: failures.length });
  return { requested: true };
}

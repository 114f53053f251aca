import * as z from 'zod/mini';
import { InvalidContextError } from '../errors';
import type { FlowDeps } from '../ports';
import { activeServers, loadRunState } from '../run-state';
import { parseWaveContext, type WaveContext } from '../wave-context';

/** The approval task's payload (CONTRACTS.md): the wave context and the task token. */
export interface ApprovalRequest {
  readonly context: WaveContext;
  readonly taskToken: string;
}

const MAX_LISTED_FAILURES = 50;

/** A Step Functions task token is 1 to 2,048 characters (TaskToken in the Step Functions API model). */
export const MAX_TASK_TOKEN_LENGTH = 2048;

export function parseApprovalRequest(event: unknown): ApprovalRequest {
  const parsed = z.object({ context: z.unknown(), taskToken: z.string() }).safeParse(event);
  if (!parsed.success) throw new InvalidContextError('approval request needs {context, taskToken}');
  const { length } = parsed.data.taskToken;
  // the token is a credential: its length goes into the error, never the token
  if (length < 1 || length > MAX_TASK_TOKEN_LENGTH)
    throw new InvalidContextError(
      `approval request: taskToken is ${length} characters; a Step Functions task token is 1-${MAX_TASK_TOKEN_LENGTH}`,
    );
  return { context: parseWaveContext(parsed.data.context), taskToken: parsed.data.taskToken };
}

/** The human-readable request: what passed, what was set aside, and how to answer. */
export function approvalMessage(
  request: ApprovalRequest,
  ready: string[],
  failures: { name: string; phase: string; reason: string }[],
): string {
  const { context: ctx } = request;
  const lines = [
    `Wave ${ctx.waveId} (run ${ctx.runId}, ${ctx.targetRegion}) finished its tests and waits for approval to cut over.`,
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
    'To approve: mgnctl approve --task-token-file <file>, or POST /approvals {"taskToken", "decision": "approve"} on the API (approvers only).',
    'To reject: mgnctl reject --task-token-file <file> --reason <why>, or POST /approvals with "decision": "reject" and a "reason" (test instances are then terminated).',
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
    `Approval needed: cutover of wave ${request.context.waveId}`,
    approvalMessage(request, ready, failures),
  );
  deps.log.info('approval requested', { ready: ready.length, setAside: failures.length });
  return { requested: true };
}

/** Reading SSM Run Command results the same way in every step. */
import type { InvocationView } from './ports';

const TAIL_CHARS = 600;

/** The end of a command's output: where installers and checks print why they failed. */
export const outputTail = (output: string, chars = TAIL_CHARS): string => {
  const trimmed = output.trim();
  return trimmed.length <= chars ? trimmed : `...${trimmed.slice(trimmed.length - chars)}`;
};

const STILL_RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

export type CommandOutcome = { kind: 'running' } | { kind: 'success'; output: string } | { kind: 'failure'; reason: string };

/** One instance's result of one command; `undefined` invocation means SSM has not listed it yet. */
export function commandOutcome(what: string, invocation: InvocationView | undefined): CommandOutcome {
  if (!invocation || STILL_RUNNING.has(invocation.status)) return { kind: 'running' };
  if (invocation.status === 'Success') return { kind: 'success', output: invocation.output };
  const tail = outputTail(invocation.output);
  return { kind: 'failure', reason: `${what} ${invocation.status}${tail ? `: ${tail}` : ' (no output)'}` };
}

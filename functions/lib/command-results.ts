/** Reading SSM Run Command results the same way in every step. */
import type { InvocationView } from './ports';

const TAIL_CHARS = 600;

/** The end of a command's output: where installers and checks print why they failed. */
export const outputTail = (output: string, chars = TAIL_CHARS): string => {
  const trimmed = output.trim();
  return trimmed.length <= chars ? trimmed : `...${trimmed.slice(trimmed.length - chars)}`;
};

const STILL_RUNNING = new Set(['Pending', 'InProgress', 'Delayed', 'Cancelling']);

/** Lines where our checks and the installers say what went wrong (`FAIL …`, `Error: …`). */
export const failureLines = (output: string, max = 3): string[] =>
  output
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(FAIL\b|ERROR\b|Error:)/.test(l))
    .slice(0, max);

export type CommandOutcome = { kind: 'running' } | { kind: 'success'; output: string } | { kind: 'failure'; reason: string };

/** One instance's result of one command; `undefined` invocation means SSM has not listed it yet. */
export function commandOutcome(what: string, invocation: InvocationView | undefined): CommandOutcome {
  if (!invocation || STILL_RUNNING.has(invocation.status)) return { kind: 'running' };
  if (invocation.status === 'Success') return { kind: 'success', output: invocation.output };
  const tail = outputTail(invocation.output);
  if (!tail) return { kind: 'failure', reason: `${what} ${invocation.status} (no output)` };
  // Lead with the lines that say why, so a one-line summary is useful; keep the tail for context.
  const why = failureLines(invocation.output);
  const onlyWhy = why.length > 0 && why.join('\n') === tail.split('\n').map((l) => l.trim()).filter(Boolean).join('\n');
  const reason = why.length === 0 || onlyWhy ? (onlyWhy ? why.join('; ') : tail) : `${why.join('; ')}\n--- output tail ---\n${tail}`;
  return { kind: 'failure', reason: `${what} ${invocation.status}: ${reason}` };
}

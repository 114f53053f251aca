/** Reading the emulator's trace.jsonl the way an auditor would: which mutating calls hit which server. */
import { readFileSync } from 'node:fs';

export interface TraceLine {
  readonly seq: number;
  readonly service: string;
  readonly operation: string;
  readonly params: Record<string, unknown>;
  readonly outcome: string;
  readonly mutating?: true;
}

export const readTraceFile = (file: string): TraceLine[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as TraceLine);

/** Accepted calls of `operation` per source server id (StartTest/StartCutover list ids, FinalizeCutover names one). */
export function acceptedCallsPerServer(trace: readonly TraceLine[], operation: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const t of trace) {
    if (t.service !== 'mgn' || t.operation !== operation || t.outcome !== 'ok') continue;
    const ids = Array.isArray(t.params.sourceServerIDs) ? (t.params.sourceServerIDs as string[]) : [String(t.params.sourceServerID)];
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
  }
  return counts;
}

/** Servers with more than one accepted call of `operation`, as "<id> x<n>". */
export const repeated = (trace: readonly TraceLine[], operation: string): string[] =>
  [...acceptedCallsPerServer(trace, operation)].filter(([, n]) => n > 1).map(([id, n]) => `${operation} ${id} x${n}`);

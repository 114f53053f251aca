/**
 * The record of every request the emulator served: what was asked, when on the virtual clock, and
 * how it was answered. Kept in memory (for reports and tests) and optionally appended to a JSONL file.
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { ServiceName } from './errors';

export interface TraceEntry {
  readonly seq: number;
  /** ISO-8601 virtual time at which the request was served */
  readonly virtualTime: string;
  readonly service: ServiceName | 'unknown';
  readonly operation: string;
  readonly region: string;
  readonly params: unknown;
  /** "ok" or the error code answered */
  readonly outcome: string;
  readonly status: number;
  /** true for operations that change state (StartTest, SendCommand, PutObject, ...) */
  readonly mutating?: true;
  /** The Lambda step whose invocation sent the request, when the emulator was told (simulator sessions). */
  readonly caller?: string;
}

export class Trace {
  readonly entries: TraceEntry[] = [];

  constructor(private readonly file?: string) {
    if (file) writeFileSync(file, '');
  }

  record(entry: Omit<TraceEntry, 'seq'>): TraceEntry {
    const full: TraceEntry = { seq: this.entries.length + 1, ...entry };
    this.entries.push(full);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(full)}\n`);
    return full;
  }

  /** Calls per `<service>:<Operation>`, the shape the simulation report uses. */
  countsByOperation(): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const e of this.entries) {
      const key = `${e.service}:${e.operation}`;
      counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
  }
}

/**
 * In AWS, whatever a Lambda writes to stdout/stderr lands in its CloudWatch log group. In the
 * simulator the handlers share the CLI's process, so their Powertools JSON log lines would mix with
 * the operator's progress display. While a session runs, this routes every line that is a Powertools
 * log record (a JSON object with `level` and `service`) or an embedded-metric-format record (`_aws`,
 * Powertools Metrics) to a JSONL file (the simulated log group) and
 * lets everything else through untouched.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

type Write = typeof process.stdout.write;

export interface LambdaLogCapture {
  /** The captured lines, in order (also written to the file when one was given). */
  readonly lines: readonly string[];
  restore(): void;
}

const isLambdaLogLine = (line: string): boolean => {
  if (!line.startsWith('{')) return false;
  try {
    const record = JSON.parse(line) as Record<string, unknown>;
    if (typeof record !== 'object' || record === null) return false;
    // a Powertools log record, or a Powertools Metrics EMF record (CloudWatch reads metrics from the log group)
    return ('level' in record && 'service' in record) || '_aws' in record;
  } catch {
    return false;
  }
};

export function captureLambdaLogs(file?: string): LambdaLogCapture {
  const lines: string[] = [];
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, '');
  }
  const patch = (stream: NodeJS.WriteStream): (() => void) => {
    const original = stream.write.bind(stream) as Write;
    let pending = '';
    const write = ((chunk: string | Uint8Array, encodingOrCb?: unknown, cb?: unknown) => {
      const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const callback = typeof encodingOrCb === 'function' ? encodingOrCb : cb;
      const parts = (pending + text).split('\n');
      pending = parts.pop() ?? '';
      const passThrough: string[] = [];
      for (const line of parts) {
        if (isLambdaLogLine(line)) {
          lines.push(line);
          if (file) appendFileSync(file, `${line}\n`);
        } else passThrough.push(`${line}\n`);
      }
      // A partial line that cannot be a log record yet is shown at once (progress redraws have no newline).
      if (pending && !pending.startsWith('{')) {
        passThrough.push(pending);
        pending = '';
      }
      if (passThrough.length > 0) return original(passThrough.join(''), callback as () => void);
      if (typeof callback === 'function') (callback as () => void)();
      return true;
    }) as Write;
    stream.write = write;
    return () => {
      if (pending) original(pending);
      stream.write = original;
    };
  };
  const restores = [patch(process.stdout), patch(process.stderr)];
  return { lines, restore: () => restores.forEach((r) => r()) };
}

/**
 * Reading wave manifests from files the same way in every command: JSON (syntax errors located by
 * line and column), or a CSV of servers with its wave file (`--wave-file`, or `<csv name>.wave.json`).
 * Problems come back as `<path>: <what is wrong>` lines; nothing is thrown for bad content.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { findWaveFile, readCsvManifest, type WaveOverrides } from '../functions/lib/csv-manifest';
import { decodeUtf8 } from '../functions/lib/input-text';
import { findManifestProblems, parseManifest, type WaveManifest } from '../functions/lib/manifest';
import { InvalidInputError } from '../functions/lib/validation';

/** Thrown for a file that cannot be read or parsed; the message is the whole story. */
export class UnreadableInputError extends Error {
  override readonly name = 'UnreadableInputError';
}

export function readText(file: string, what: string): string {
  try {
    return decodeUtf8(readFileSync(file), `${what} ${file}`);
  } catch (e) {
    if (e instanceof InvalidInputError) throw new UnreadableInputError(`${file}: ${e.problems.join('; ')}`);
    const err = e as NodeJS.ErrnoException;
    const why =
      err.code === 'ENOENT' ? 'no such file' : err.code === 'EISDIR' ? 'it is a directory' : err.message;
    throw new UnreadableInputError(`cannot read ${what} ${file}: ${why}`);
  }
}

/**
 * Where JSON text goes wrong and why. JSON.parse does not always say where (Node 20 omits the position
 * for an unexpected token), so this small scanner walks the grammar; it runs only after JSON.parse failed.
 */
export function locateJsonError(text: string): { position: number; reason: string } | undefined {
  let i = 0;
  class Stop {
    constructor(readonly reason: string) {}
  }
  const stop = (reason: string): never => {
    throw new Stop(i >= text.length ? 'the JSON ends too early' : reason);
  };
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text[i])) i += 1;
  };
  const at = (re: RegExp) => {
    re.lastIndex = i;
    const m = re.exec(text);
    if (m) i += m[0].length;
    return m !== null;
  };
  const string = () => {
    i += 1;
    while (i < text.length) {
      const c = text[i];
      if (c === '"') {
        i += 1;
        return;
      }
      if (c === '\\') {
        if (!at(/\\(["\\/bfnrt]|u[0-9A-Fa-f]{4})/y)) stop('bad escape in a string');
      } else if (c < ' ') stop('a line break or control character inside a string');
      else i += 1;
    }
    stop('a string is never closed');
  };
  const value = (): void => {
    ws();
    const c = text[i];
    if (c === '{') {
      i += 1;
      ws();
      if (text[i] === '}') {
        i += 1;
        return;
      }
      for (;;) {
        ws();
        if (text[i] !== '"') stop(`expected a "quoted" property name, found ${JSON.stringify(text[i])}`);
        string();
        ws();
        if (text[i] !== ':') stop(`expected ':' after a property name, found ${JSON.stringify(text[i])}`);
        i += 1;
        value();
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === '}') {
          i += 1;
          return;
        } else stop(`expected ',' or '}' after a property value, found ${JSON.stringify(text[i])}`);
      }
    }
    if (c === '[') {
      i += 1;
      ws();
      if (text[i] === ']') {
        i += 1;
        return;
      }
      for (;;) {
        value();
        ws();
        if (text[i] === ',') i += 1;
        else if (text[i] === ']') {
          i += 1;
          return;
        } else stop(`expected ',' or ']' after an array element, found ${JSON.stringify(text[i])}`);
      }
    }
    if (c === '"') return string();
    if (at(/-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y) || at(/true|false|null/y)) return;
    stop(`unexpected ${JSON.stringify(c)} where a value should be`);
  };
  try {
    value();
    ws();
    if (i < text.length) stop(`unexpected ${JSON.stringify(text[i])} after the end of the JSON value`);
    return undefined;
  } catch (e) {
    if (e instanceof Stop) return { position: i, reason: e.reason };
    throw e;
  }
}

/** JSON.parse with the line and column of a syntax error. */
export function parseJsonText(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const found = locateJsonError(text) ?? { position: text.length, reason: (e as Error).message };
    const before = text.slice(0, found.position).split('\n');
    const line = before.length;
    const column = before[before.length - 1].length + 1;
    throw new UnreadableInputError(
      `${file}: invalid JSON at line ${line}, column ${column}: ${found.reason}`,
    );
  }
}

export function applyOverrides(input: unknown, o: WaveOverrides): unknown {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) return input;
  const out: Record<string, unknown> = { ...(input as Record<string, unknown>) };
  if (o.waveId !== undefined) out.waveId = o.waveId;
  if (o.targetRegion !== undefined) out.targetRegion = o.targetRegion;
  if (o.mgnEndpoint !== undefined || o.s3Endpoint !== undefined) {
    const e = out.endpoints;
    const endpoints: Record<string, unknown> =
      typeof e === 'object' && e !== null && !Array.isArray(e) ? { ...(e as Record<string, unknown>) } : {};
    if (o.mgnEndpoint !== undefined) endpoints.mgn = o.mgnEndpoint;
    if (o.s3Endpoint !== undefined) endpoints.s3 = o.s3Endpoint;
    out.endpoints = endpoints;
  }
  return out;
}

export interface LoadedManifest {
  /** set only when there are no problems */
  readonly manifest?: WaveManifest;
  readonly problems: string[];
  /** the file (or its wave file) could not be read or is not JSON: the whole story, also the one problem */
  readonly unreadable?: string;
}

/** Reads and validates one manifest file (JSON, or CSV + wave file), with optional field overrides. */
export function loadManifestFile(
  file: string,
  options: { waveFile?: string; overrides?: WaveOverrides } = {},
): LoadedManifest {
  const overrides = options.overrides ?? {};
  try {
    if (extname(file).toLowerCase() === '.csv') {
      const csvText = readText(file, 'CSV');
      const waveFile = findWaveFile(file, options.waveFile);
      const wave =
        waveFile === undefined ? undefined : parseJsonText(readText(waveFile, 'wave file'), waveFile);
      const { manifest, problems } = readCsvManifest({ csvText, wave, waveFileName: waveFile, overrides });
      return problems.length === 0 && manifest ? { manifest, problems } : { problems };
    }
    const input = applyOverrides(parseJsonText(readText(file, 'manifest'), file), overrides);
    const problems = findManifestProblems(input).map((p) => p.line);
    return problems.length === 0 ? { manifest: parseManifest(input), problems } : { problems };
  } catch (e) {
    if (e instanceof UnreadableInputError) return { problems: [e.message], unreadable: e.message };
    throw e;
  }
}

/**
 * `mgnctl validate <manifest.json|.csv>`: checks a wave without touching anything.
 * Valid: one summary line on stdout, exit 0. Invalid: every problem on stderr, one
 * `<path>: <what is wrong and what is allowed>` line each, exit 2.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  findWaveFile,
  findWaveFileProblems,
  readCsvManifest,
  WaveOverrides,
} from '../../functions/lib/csv-manifest';
import { findManifestProblems, parseManifest, WaveManifest } from '../../functions/lib/manifest';

export const summary = 'check a wave manifest (JSON, or CSV + wave file) and list every problem';

const USAGE = `usage: mgnctl validate <manifest.json|servers.csv|name.wave.json> [options]

Checks a wave manifest and prints every problem, one "<path>: <what is wrong>" line each.
A CSV holds one server per row; the wave-level fields come from a wave file (JSON with waveId,
targetRegion, endpoints, options): --wave-file, or <csv name>.wave.json next to the CSV.
A file named *.wave.json given alone is checked as a wave file.

options:
  --wave-file FILE        wave-level fields for a CSV (default: <csv name>.wave.json if present)
  --wave-id ID            override waveId
  --target-region R       override targetRegion
  --mgn-endpoint DNS      override endpoints.mgn
  --s3-endpoint DNS       override endpoints.s3
  -h, --help              this help

exit codes: 0 valid, 2 invalid or unreadable`;

const EXIT_OK = 0;
const EXIT_BAD_INPUT = 2;

/** Thrown for a file that cannot be read or parsed; the message is the whole story. */
class UnreadableInputError extends Error {
  override readonly name = 'UnreadableInputError';
}

function readText(file: string, what: string): string {
  try {
    const text = readFileSync(file, 'utf8');
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
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

function describe(m: WaveManifest): string {
  const linux = m.servers.filter((s) => s.os === 'linux').length;
  const windows = m.servers.length - linux;
  const n = m.servers.length;
  return `valid: wave ${m.waveId}, ${n} server${n === 1 ? '' : 's'} (${linux} linux, ${windows} windows), target ${m.targetRegion}`;
}

function applyOverrides(input: unknown, o: WaveOverrides): unknown {
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

export async function run(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        'wave-file': { type: 'string' },
        'wave-id': { type: 'string' },
        'target-region': { type: 'string' },
        'mgn-endpoint': { type: 'string' },
        's3-endpoint': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (e) {
    console.error(`mgnctl validate: ${(e as Error).message}\n\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return EXIT_OK;
  }
  if (positionals.length !== 1) {
    console.error(`mgnctl validate: give exactly one manifest file (got ${positionals.length})\n\n${USAGE}`);
    return EXIT_BAD_INPUT;
  }
  const file = positionals[0];
  const overrides: WaveOverrides = {
    waveId: values['wave-id'],
    targetRegion: values['target-region'],
    mgnEndpoint: values['mgn-endpoint'],
    s3Endpoint: values['s3-endpoint'],
  };

  try {
    let problems: string[];
    let manifest: WaveManifest | undefined;
    if (file.toLowerCase().endsWith('.wave.json')) {
      // A wave file on its own: the wave-level fields a CSV of servers is paired with.
      const wave = applyOverrides(parseJsonText(readText(file, 'wave file'), file), overrides);
      problems = findWaveFileProblems(wave);
      for (const line of problems) console.error(line);
      if (problems.length > 0) return EXIT_BAD_INPUT;
      const w = wave as { waveId: string; targetRegion: string };
      console.log(
        `valid: wave file for wave ${w.waveId}, target ${w.targetRegion} (servers come from the CSV)`,
      );
      return EXIT_OK;
    }
    if (extname(file).toLowerCase() === '.csv') {
      const csvText = readText(file, 'CSV');
      const waveFile = findWaveFile(file, values['wave-file']);
      const wave =
        waveFile === undefined ? undefined : parseJsonText(readText(waveFile, 'wave file'), waveFile);
      ({ manifest, problems } = readCsvManifest({ csvText, wave, waveFileName: waveFile, overrides }));
    } else {
      if (values['wave-file'] !== undefined) {
        console.error(
          'mgnctl validate: --wave-file is for a CSV of servers; a JSON manifest holds the wave-level fields itself',
        );
        return EXIT_BAD_INPUT;
      }
      const input = applyOverrides(parseJsonText(readText(file, 'manifest'), file), overrides);
      problems = findManifestProblems(input).map((p) => p.line);
      if (problems.length === 0) manifest = parseManifest(input);
    }
    if (!manifest || problems.length > 0) {
      for (const line of problems) console.error(line);
      return EXIT_BAD_INPUT;
    }
    console.log(describe(manifest));
    return EXIT_OK;
  } catch (e) {
    if (e instanceof UnreadableInputError) {
      console.error(`mgnctl validate: ${e.message}`);
      return EXIT_BAD_INPUT;
    }
    throw e;
  }
}

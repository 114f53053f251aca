/**
 * `mgnctl validate <manifest.json|.csv>`: checks a wave without touching anything.
 * Valid: one summary line on stdout, exit 0. Invalid: every problem on stderr, one
 * `<path>: <what is wrong and what is allowed>` line each, exit 2.
 */
import { extname } from 'node:path';
import { findWaveFileProblems, WaveOverrides } from '../../functions/lib/csv-manifest';
import { WaveManifest } from '../../functions/lib/manifest';
import {
  applyOverrides,
  loadManifestFile,
  parseJsonText,
  readText,
  UnreadableInputError,
} from '../manifest-files';
import { parseCommandArgs } from '../arguments';

export { locateJsonError } from '../manifest-files';

export const summary = 'check a wave manifest (JSON, or CSV + wave file) and list every problem';

const USAGE = `usage: mgnctl validate <manifest.json|servers.csv|name.wave.json> [options]

Checks a wave manifest and prints every problem, one "<path>: <what is wrong>" line each.
A CSV holds one server per row; the wave-level fields come from a wave file (JSON with waveId,
targetRegion, endpoints, options, launch): --wave-file, or <csv name>.wave.json next to the CSV.
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

/** `; launch settings: wave defaults, overrides for 2 servers`, or nothing when the wave sets none. */
function describeLaunch(m: WaveManifest): string {
  const overrides = m.servers.filter((s) => s.launch !== undefined).length;
  const parts = [
    ...(m.launch ? ['wave defaults'] : []),
    ...(overrides > 0 ? [`overrides for ${overrides} server${overrides === 1 ? '' : 's'}`] : []),
  ];
  return parts.length > 0 ? `; launch settings: ${parts.join(', ')}` : '';
}

function describe(m: WaveManifest): string {
  const linux = m.servers.filter((s) => s.os === 'linux').length;
  const windows = m.servers.length - linux;
  const n = m.servers.length;
  return `valid: wave ${m.waveId}, ${n} server${n === 1 ? '' : 's'} (${linux} linux, ${windows} windows), target ${m.targetRegion}${describeLaunch(m)}`;
}

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('validate', USAGE, {
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
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
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
    if (file.toLowerCase().endsWith('.wave.json')) {
      // A wave file on its own: the wave-level fields a CSV of servers is paired with.
      const wave = applyOverrides(parseJsonText(readText(file, 'wave file'), file), overrides);
      problems = findWaveFileProblems(wave);
      for (const line of problems) console.error(line);
      if (problems.length > 0) return EXIT_BAD_INPUT;
      const w = wave as { waveId: string; targetRegion: string; launch?: unknown };
      console.log(
        `valid: wave file for wave ${w.waveId}, target ${w.targetRegion}${w.launch ? ', with launch defaults' : ''} (servers come from the CSV)`,
      );
      return EXIT_OK;
    }
    if (extname(file).toLowerCase() !== '.csv' && values['wave-file'] !== undefined) {
      console.error(
        'mgnctl validate: --wave-file is for a CSV of servers; a JSON manifest holds the wave-level fields itself',
      );
      return EXIT_BAD_INPUT;
    }
    const loaded = loadManifestFile(file, { waveFile: values['wave-file'], overrides });
    if (loaded.unreadable) {
      console.error(`mgnctl validate: ${loaded.unreadable}`);
      return EXIT_BAD_INPUT;
    }
    const manifest = loaded.manifest;
    if (!manifest) {
      for (const line of loaded.problems) console.error(line);
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

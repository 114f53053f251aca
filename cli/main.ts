/**
 * mgnctl: the operator's command line. Each command lives in cli/commands/<name>.ts and exports
 * `run(argv): Promise<number>` (the exit code) and `summary` (one line for the top-level help).
 * Commands are loaded lazily so `mgnctl validate` never pays for the simulator's imports.
 */
export interface Command {
  readonly summary: string;
  run(argv: string[]): Promise<number>;
}

// require (not import()) keeps loading synchronous and lazy under the tsx CommonJS hook the bin uses.
const commands: Record<string, () => Command> = {
  validate: () => require('./commands/validate') as typeof import('./commands/validate'),
  'installer-command': () =>
    require('./commands/installer-command') as typeof import('./commands/installer-command'),
  simulate: () => require('./commands/simulate') as typeof import('./commands/simulate'),
  emulator: () => require('./commands/emulator') as typeof import('./commands/emulator'),
  start: () => require('./commands/start') as typeof import('./commands/start'),
  status: () => require('./commands/status') as typeof import('./commands/status'),
  approve: () => require('./commands/approve') as typeof import('./commands/approve'),
  reject: () => require('./commands/reject') as typeof import('./commands/reject'),
  // i13-observe: a deployed run's report.json and report.html
  report: () => require('./commands/report') as typeof import('./commands/report'),
  revert: () => require('./commands/revert') as typeof import('./commands/revert'),
};

export const EXIT = { ok: 0, error: 1, badInput: 2, partial: 3 } as const;

function topLevelHelp(): string {
  const lines = ['usage: mgnctl <command> [options]', '', 'commands:'];
  for (const [name, load] of Object.entries(commands)) {
    let summary = '';
    try {
      summary = load().summary;
    } catch {
      summary = '(unavailable)';
    }
    lines.push(`  ${name.padEnd(20)} ${summary}`);
  }
  lines.push('', "Run 'mgnctl <command> --help' for a command's options.");
  return lines.join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(topLevelHelp());
    return name ? EXIT.ok : EXIT.badInput;
  }
  const load = commands[name];
  if (!load) {
    console.error(`mgnctl: unknown command "${name}". Commands: ${Object.keys(commands).join(', ')}.`);
    return EXIT.badInput;
  }
  return load().run(rest);
}

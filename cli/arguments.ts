/**
 * Every mgnctl command reads its arguments the same way: node's parseArgs, a bad argument answered
 * with exit 2 and the usage, --help answered with the usage and exit 0.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export type ParsedArgs<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<T>>;

/** The parsed arguments, or the exit code when the command should stop here (bad arguments, --help). */
export function parseCommandArgs<T extends ParseArgsConfig>(
  command: string,
  usage: string,
  config: T,
): ParsedArgs<T> | number {
  let parsed: ParsedArgs<T>;
  try {
    parsed = parseArgs(config);
  } catch (e) {
    console.error(`mgnctl ${command}: ${(e as Error).message}\n\n${usage}`);
    return 2;
  }
  if ((parsed.values as { help?: unknown }).help === true) {
    console.log(usage);
    return 0;
  }
  return parsed;
}

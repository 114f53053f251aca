// Placeholder until the foundation issue lands this command.
export const summary = 'not built yet';
export async function run(_argv: string[]): Promise<number> {
  console.error('mgnctl installer-command: not built yet.');
  return 1;
}

// Placeholder until the simulator lands (issue 4): fails loudly rather than pretending.
export const summary = 'not built yet';
export async function run(_argv: string[]): Promise<number> {
  console.error('mgnctl simulate: the simulator is not built yet (see the open issue "The simulator").');
  return 1;
}

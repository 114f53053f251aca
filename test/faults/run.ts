/**
 * `npm run test:faults`: the full fault matrix (every fault kind x throttle {0, 0.3} x 3 seeds, plus
 * every chaos kind), each run checked; prints a summary and exits 1 on any violation.
 * `--only <substring>` runs the cases whose name contains it.
 */
import { fullMatrix, runCase, summarize, type CaseResult } from './harness';

async function main(argv: string[]): Promise<number> {
  const only = argv[argv.indexOf('--only') + 1];
  const cases = fullMatrix().filter((c) => !argv.includes('--only') || c.name.includes(only ?? ''));
  const results: CaseResult[] = [];
  for (const c of cases) {
    const r = await runCase(c);
    results.push(r);
    const status = r.violations.length ? 'FAIL' : 'ok  ';
    const chaos = Object.entries(r.injected).map(([k, n]) => `${k} ${n}`).join(', ');
    process.stdout.write(`${status} ${r.name.padEnd(44)} ${r.outcome.padEnd(24)} ${(r.wallMs / 1000).toFixed(1).padStart(5)} s  ${chaos}\n`);
    for (const v of r.violations) process.stdout.write(`       - ${v}\n`);
  }
  const s = summarize(results);
  process.stdout.write(
    `\nfault matrix: ${s.runs} runs, ${s.servers} servers, ${s.faultsInjected} faults injected, ` +
      `${s.serversLost} servers lost (must be 0), ${s.duplicateLaunches} duplicate launches (must be 0), ${s.violations} violations\n` +
      `injected: ${Object.entries(s.injected).map(([k, n]) => `${k} ${n}`).join(', ')}\n`,
  );
  return s.violations === 0 && s.serversLost === 0 && s.duplicateLaunches === 0 && s.runs > 0 ? 0 : 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);

/**
 * npm run bench [-- --sizes 10,100,1000] [--seed N] [--check] [--profile]
 *
 * Simulated waves of 10, 100 and 1,000 servers (bench/workload.ts), each in a fresh Node process
 * (the handlers keep their SDK clients for the life of the process, as a Lambda container does), then
 * the Lambda bundles (bench/bundles.ts). Prints a table, the targets of issues 6 and 10 with the
 * measured value of each, and writes bench-out/results.json and bench-out/results.md. Each size also
 * runs a second time, interrupted after each launch phase, to count the launch-template writes of a
 * resumed run.
 *
 *   --check     exit 1 when a target is missed (the measurement itself never changes)
 *   --profile   run each size under `node --cpu-prof`, profiles in bench-out/profiles/
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { measureBundles, type BundleResult } from './bundles';
import { evaluateTargets, type TargetVerdict } from './targets';
import { benchWave, LAMBDA_MEMORY_MB, USD_PER_LAMBDA_GB_SECOND, USD_PER_STATE_TRANSITION, type BenchWaveResult } from './measure';

const ROOT = join(__dirname, '..');
const OUT = join(ROOT, 'bench-out');

interface Args {
  sizes: number[];
  seed: number;
  check: boolean;
  profile: boolean;
  /** child mode: run one size and write its result here */
  child?: { size: number; out: string };
}

function parseArgs(argv: string[]): Args {
  const args: Args = { sizes: [10, 100, 1000], seed: 2024, check: false, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--sizes') args.sizes = argv[++i].split(',').map((s) => Number(s));
    else if (a === '--seed') args.seed = Number(argv[++i]);
    else if (a === '--check') args.check = true;
    else if (a === '--profile') args.profile = true;
    else if (a === '--child') args.child = { size: Number(argv[++i]), out: argv[++i] };
    else throw new Error(`unknown argument ${a}; usage: npm run bench -- [--sizes 10,100,1000] [--seed N] [--check] [--profile]`);
  }
  for (const n of args.sizes) if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`--sizes: ${n} is not 1..1000`);
  if (!Number.isInteger(args.seed) || args.seed < 0) throw new Error('--seed must be a non-negative integer');
  return args;
}

/** One size in a fresh process (`--child`): its output is a file, stdout belongs to the handlers' logs. */
function runSizeInChild(size: number, seed: number, profile: boolean): BenchWaveResult {
  const out = join(OUT, `.size-${size}.json`);
  rmSync(out, { force: true });
  const nodeArgs = ['--require', 'tsx/cjs'];
  if (profile) {
    mkdirSync(join(OUT, 'profiles'), { recursive: true });
    nodeArgs.push('--cpu-prof', '--cpu-prof-dir', join(OUT, 'profiles'), '--cpu-prof-name', `size-${size}.cpuprofile`);
  }
  const child = spawnSync(process.execPath, [...nodeArgs, __filename, '--child', String(size), out, '--seed', String(seed)], {
    cwd: ROOT,
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
  });
  if (child.status !== 0) throw new Error(`the ${size}-server run failed (exit ${child.status}):\n${child.stderr}\n${child.stdout.slice(-4000)}`);
  const result = JSON.parse(readFileSync(out, 'utf8')) as BenchWaveResult;
  rmSync(out, { force: true });
  return result;
}

const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** "test 2 / cutover 2, resumed 0 / 0": launch-template writes per server and launch kind. */
export const launchTemplateWritesCell = (w: BenchWaveResult['result']['launchTemplateWritesPerServer']): string =>
  `test ${fmt(w.test, 2)} / cutover ${fmt(w.cutover, 2)}, resumed ${fmt(w.testResumed, 2)} / ${fmt(w.cutoverResumed, 2)}`;

export function sizeTable(results: readonly BenchWaveResult[]): string {
  const head = ['servers', 'historyEvents', 'stateTransitions', 'describeSourceServersPerPoll', 'launchJobs', 'maxServersInActiveJobs', 'simulatedSeconds', 'lowerBoundSeconds', 'overhead', 'maxPayloadBytes', 'estimatedCostUsd', 'apiCalls', 'launchTemplateWritesPerServer', 'wallMs'];
  const rows = results.map(({ result: r }) => [
    fmt(r.servers),
    fmt(r.historyEvents),
    fmt(r.stateTransitions),
    fmt(r.describeSourceServersPerPoll),
    fmt(r.launchJobs),
    fmt(r.maxServersInActiveJobs),
    fmt(r.simulatedSeconds),
    fmt(r.lowerBoundSeconds),
    fmt(r.overhead, 3),
    fmt(r.maxPayloadBytes),
    `$${fmt(r.estimatedCostUsd, 4)}`,
    fmt(Object.values(r.apiCalls).reduce((a, b) => a + b, 0)),
    launchTemplateWritesCell(r.launchTemplateWritesPerServer),
    fmt(r.wallMs),
  ]);
  return markdownTable(head, rows);
}

export function bundleTable(bundles: readonly BundleResult[]): string {
  return markdownTable(
    ['bundle', 'bytes', 'coldLoadMs (median of 5)', 'in Lambda, traced', 'as deployed (+ source maps)', 'SDK clients'],
    bundles.map((b) => [
      b.name,
      fmt(b.bytes),
      fmt(b.coldLoadMs, 1),
      fmt(b.coldLoadTracedMs, 1),
      fmt(b.coldLoadDeployedMs, 1),
      b.sdkClients.map((c) => c.replace('client-', '')).join(', '),
    ]),
  );
}

export function targetTable(verdicts: readonly TargetVerdict[]): string {
  return markdownTable(
    ['target', 'measured', 'result'],
    verdicts.map((v) => [v.target, v.measured, v.met ? 'met' : 'MISSED']),
  );
}

function markdownTable(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.child) {
    const result = await benchWave(args.child.size, args.seed);
    writeFileSync(args.child.out, JSON.stringify(result));
    return 0;
  }
  mkdirSync(OUT, { recursive: true });
  const results: BenchWaveResult[] = [];
  for (const size of args.sizes) {
    process.stdout.write(`running a ${fmt(size)}-server wave ... `);
    const r = runSizeInChild(size, args.seed, args.profile);
    process.stdout.write(`${r.details.outcome}, ${r.details.migrated}/${size} migrated, ${fmt(r.result.wallMs)} ms\n`);
    if (r.details.outcome !== 'completed' || r.details.migrated !== size)
      throw new Error(`the ${size}-server wave did not migrate every server (${r.details.outcome}); the benchmark measures complete waves only`);
    results.push(r);
  }

  process.stdout.write('building the Lambda bundles ... ');
  execFileSync(process.execPath, [join(ROOT, 'esbuild.config.mjs')], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
  process.stdout.write('measuring cold loads ...\n');
  // Cold loads are wall time on this machine: the load average says how busy it was meanwhile.
  const loadBefore = loadavg()[0];
  const bundles = measureBundles(ROOT);
  const loadAverage = Math.round(Math.max(loadBefore, loadavg()[0]) * 100) / 100;

  const verdicts = evaluateTargets(results.map((r) => r.result), bundles);
  const tables = [
    '### Waves',
    '',
    sizeTable(results),
    '',
    '### Lambda bundles',
    '',
    bundleTable(bundles),
    '',
    '### Targets (issues 6 and 10)',
    '',
    targetTable(verdicts),
  ].join('\n');
  console.log(`\n${tables}\n`);

  const machine = { node: process.version, platform: `${process.platform}/${process.arch}`, cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverage };
  writeFileSync(
    join(OUT, 'results.json'),
    `${JSON.stringify(
      {
        generatedAt: new Date().toISOString(),
        seed: args.seed,
        machine,
        pricing: {
          usdPerStateTransition: USD_PER_STATE_TRANSITION,
          usdPerLambdaGbSecond: USD_PER_LAMBDA_GB_SECOND,
          lambdaMemoryMb: LAMBDA_MEMORY_MB,
        },
        sizes: results.map((r) => r.result),
        bundles,
        targets: verdicts,
        details: results.map((r) => ({ servers: r.result.servers, ...r.details })),
      },
      null,
      2,
    )}\n`,
  );
  writeFileSync(join(OUT, 'results.md'), `${tables}\n\n${machine.cpus} CPUs (${machine.cpuModel}), Node ${machine.node}, seed ${args.seed}, 1-minute load average ${loadAverage} while measuring bundles\n`);
  console.log(`wrote ${join('bench-out', 'results.json')} and ${join('bench-out', 'results.md')}`);
  const missed = verdicts.filter((v) => !v.met);
  if (missed.length > 0) console.log(`${missed.length} target(s) missed: ${missed.map((v) => v.target).join('; ')}`);
  return args.check && missed.length > 0 ? 1 : 0;
}

if (require.main === module) {
  // The SDK's Node 20 notice is noise here (the Lambda runtime is Node 22), as in bin/mgnctl.cjs.
  const emitWarning = process.emitWarning;
  process.emitWarning = function (warning: string | Error, ...rest: unknown[]) {
    if (String(typeof warning === 'string' ? warning : warning.message).startsWith('NodeVersionSupportWarning')) return;
    return (emitWarning as (...a: unknown[]) => void).call(process, warning, ...rest);
  } as typeof process.emitWarning;
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      console.error(`bench: ${err instanceof Error ? err.message : String(err)}`);
      process.exitCode = 1;
    },
  );
}

/**
 * mgnctl simulate <manifest>... [--scenario FILE] [--deploy-config FILE] [--seed N] [--out DIR]
 *
 * Runs each wave through the real state machine and handlers against the built-in emulator (several
 * manifests run concurrently on one emulator and one virtual clock) and writes DIR/<waveId>/report.json,
 * DIR/<waveId>/report.html and DIR/trace.jsonl. The simulated account's network is the deploy
 * config's (default examples/deploy/cross-region.json), with no default VPC.
 * Exit 0 every server migrated, 3 some servers failed or the wave was rejected, 2 bad input, 1 orchestrator error.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { WaveManifest } from '../../functions/lib/manifest';
import { parseJsonBytes } from '../../functions/lib/input-text';
import { InvalidInputError } from '../../functions/lib/validation';
import { loadDeployConfig, type DeployConfig } from '../../infra/config';
import { DEFAULT_DEPLOY_CONFIG_PATH, networkFromDeployConfig, networkSummary } from '../../simulator/network';
import { parseScenario, type Scenario } from '../../simulator/scenario';
import type { SimulateOptions } from '../../simulator/runner/session';
import { loadManifestFile } from '../manifest-files';
import { clockText, ProgressDisplay } from '../progress-display';

export const summary = 'run waves end to end against the built-in AWS emulator (no AWS account needed)';

const EXIT = { ok: 0, error: 1, badInput: 2, partial: 3 } as const;

const HELP = `usage: mgnctl simulate <manifest>... [--scenario FILE] [--deploy-config FILE] [--seed N] [--out DIR]

Runs each wave manifest (JSON, or CSV) through the state machine and the Lambda handlers against
the built-in emulator of MGN, SSM, EC2, STS, S3 and SNS, on a virtual clock. Several manifests run
concurrently against one emulator.

options:
  --scenario FILE   simulator scenario (JSON): disk sizes, bandwidth, faults, throttling,
                    approval answer, interruptions, extra network resources.
                    Default: every server succeeds.
  --deploy-config FILE
                    deploy config (as for cdk synth) whose network the simulated account has:
                    its VPC, subnet tiers, route tables, endpoints, security groups and
                    launched-instance profile; no default VPC. It must deploy to the
                    manifests' targetRegion. Default: examples/deploy/cross-region.json
  --seed N          random seed (overrides the scenario's seed)
  --out DIR         output folder (default simulation-out): <waveId>/report.json,
                    <waveId>/report.html, trace.jsonl
  -h, --help        this help

exit codes: 0 every server migrated (or none failed, when options.phases stop before cutover),
            3 some servers failed or the wave was rejected, 2 bad input, 1 orchestrator error`;

interface Args {
  manifests: string[];
  scenario?: string;
  deployConfig?: string;
  seed?: number;
  out: string;
  help: boolean;
}

function parseArgs(argv: string[], problems: string[]): Args {
  const args: Args = { manifests: [], out: 'simulation-out', help: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (flag: string): string | undefined => {
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) {
        problems.push(`${flag}: needs a value`);
        if (v !== undefined) i--;
        return undefined;
      }
      return v;
    };
    if (a === '-h' || a === '--help') args.help = true;
    else if (a === '--scenario') args.scenario = value(a);
    else if (a === '--deploy-config') args.deployConfig = value(a);
    else if (a === '--out') args.out = value(a) ?? args.out;
    else if (a === '--seed') {
      const v = value(a);
      if (v !== undefined) {
        if (!/^\d+$/.test(v) || Number(v) > 2 ** 31 - 1)
          problems.push(`--seed: ${JSON.stringify(v)} is not an integer 0..${2 ** 31 - 1}`);
        else args.seed = Number(v);
      }
    } else if (a.startsWith('-')) problems.push(`${a}: unknown option; see mgnctl simulate --help`);
    else args.manifests.push(a);
  }
  return args;
}

/** Reads and validates one manifest file (JSON, or CSV + wave file); problems are prefixed with the file name. */
function loadManifest(file: string, problems: string[]): WaveManifest | undefined {
  const loaded = loadManifestFile(file);
  // An unreadable file's message names the file already.
  for (const p of loaded.problems)
    problems.push(loaded.unreadable || p.startsWith(`${file}:`) ? p : `${file}: ${p}`);
  return loaded.manifest;
}

function loadScenario(file: string | undefined, problems: string[]): Scenario | undefined {
  if (!file) return parseScenario({});
  let json: unknown;
  try {
    json = parseJsonBytes(readFileSync(file), `scenario ${file}`);
  } catch (err) {
    if (err instanceof InvalidInputError) {
      for (const p of err.problems) problems.push(`${file}: ${p}`);
      return undefined;
    }
    const e = err as NodeJS.ErrnoException;
    problems.push(`${file}: ${e.code ? `cannot read (${e.code})` : `not valid JSON (${e.message})`}`);
    return undefined;
  }
  try {
    return parseScenario(json);
  } catch (err) {
    if (err instanceof InvalidInputError) for (const p of err.problems) problems.push(`${file}: ${p}`);
    else problems.push(`${file}: ${(err as Error).message}`);
    return undefined;
  }
}

/** The deploy config file (default examples/deploy/cross-region.json), every problem prefixed with its name. */
function loadConfig(file: string | undefined, problems: string[]): DeployConfig | undefined {
  const path = file ?? DEFAULT_DEPLOY_CONFIG_PATH;
  try {
    return loadDeployConfig(path);
  } catch (err) {
    if (err instanceof InvalidInputError) for (const p of err.problems) problems.push(`${file ?? 'deploy config ' + path}: ${p}`);
    else problems.push(`${file ?? path}: ${(err as Error).message}`);
    return undefined;
  }
}

/** The deploy config against the waves: one region, and the scenario's network additions fit its network. */
export function networkProblems(
  manifests: readonly WaveManifest[],
  config: DeployConfig,
  configFile: string | undefined,
  scenario: Scenario,
  scenarioFile: string | undefined,
): string[] {
  const problems: string[] = [];
  const regions = [...new Set(manifests.map((m) => m.targetRegion))];
  const name = configFile ?? `the default deploy config (${DEFAULT_DEPLOY_CONFIG_PATH})`;
  if (regions.length === 1 && regions[0] !== config.region)
    problems.push(
      `${name}: deploys to ${config.region} but the manifests target ${regions[0]}; give --deploy-config FILE with "region": "${regions[0]}" (or manifests for ${config.region})`,
    );
  try {
    networkFromDeployConfig(config, scenario.network);
  } catch (err) {
    if (!(err instanceof InvalidInputError)) throw err;
    for (const p of err.problems) problems.push(`${scenarioFile ?? 'scenario'}: ${p}`);
  }
  return problems;
}

/** Everything wrong with the inputs, one line each; empty when the simulation can start. */
export function inputProblems(
  manifests: readonly WaveManifest[],
  scenario: Scenario | undefined,
  scenarioFile: string | undefined,
): string[] {
  const problems: string[] = [];
  const seen = new Map<string, number>();
  manifests.forEach((m, i) => {
    const other = seen.get(m.waveId);
    if (other !== undefined)
      problems.push(
        `manifest ${i + 1}: waveId ${JSON.stringify(m.waveId)} is also the waveId of manifest ${other + 1}; concurrent waves need distinct ids`,
      );
    else seen.set(m.waveId, i);
  });
  const regions = [...new Set(manifests.map((m) => m.targetRegion))];
  if (regions.length > 1)
    problems.push(
      `manifests: concurrent waves must share one targetRegion in a simulation; got ${regions.join(', ')}`,
    );
  if (scenario?.servers) {
    const names = new Set(manifests.flatMap((m) => m.servers.map((s) => s.name)));
    for (const name of Object.keys(scenario.servers))
      if (!names.has(name))
        problems.push(
          `${scenarioFile ?? 'scenario'}: servers.${name}: no manifest has a server named ${JSON.stringify(name)}`,
        );
  }
  return problems;
}

export async function run(argv: string[]): Promise<number> {
  const problems: string[] = [];
  const args = parseArgs(argv, problems);
  if (args.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (args.manifests.length === 0) problems.push('give at least one wave manifest file (JSON or CSV)');
  const manifests = args.manifests
    .map((f) => loadManifest(f, problems))
    .filter((m): m is WaveManifest => m !== undefined);
  const scenario = loadScenario(args.scenario, problems);
  const deployConfig = loadConfig(args.deployConfig, problems);
  if (problems.length === 0) problems.push(...inputProblems(manifests, scenario, args.scenario));
  if (problems.length === 0 && scenario && deployConfig)
    problems.push(...networkProblems(manifests, deployConfig, args.deployConfig, scenario, args.scenario));
  if (problems.length > 0 || !scenario || !deployConfig) {
    console.error(
      `mgnctl simulate: bad input (${problems.length} problem${problems.length === 1 ? '' : 's'}):`,
    );
    for (const p of problems) console.error(`  ${p}`);
    return EXIT.badInput;
  }

  // A reason may carry a host's multi-line output tail; the summary shows it on one line (report.json keeps it whole).
  const oneLine = (text: string, max = 240) => {
    const flat = text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .join(' | ');
    return flat.length > max ? `${flat.slice(0, max - 3)}...` : flat;
  };
  const { simulate } =
    require('../../simulator/runner/session') as typeof import('../../simulator/runner/session');
  const display = new ProgressDisplay(Boolean(process.stdout.isTTY));
  const outDir = resolve(args.out);
  const options: SimulateOptions = {
    manifests,
    scenario,
    deployConfig,
    seed: args.seed,
    outDir,
    onProgress: (p) => display.update(p),
  };
  display.start();
  let session;
  try {
    session = await simulate(options);
  } catch (err) {
    display.stop();
    console.error(`mgnctl simulate: the simulation failed: ${(err as Error).stack ?? String(err)}`);
    return EXIT.error;
  }
  display.stop();
  for (const wave of session.waves) {
    const r = wave.report;
    const migrated = r.servers.filter((s) => s.result === 'migrated').length;
    const failed = r.servers.filter((s) => s.result === 'failed');
    console.log(
      `${wave.waveId}: ${r.outcome}, ${migrated}/${r.servers.length} migrated in ${clockText(r.stats.simulatedSeconds)} simulated (${(r.stats.wallMs / 1000).toFixed(1)} s wall), ` +
        `${r.stats.stateTransitions} state transitions`,
    );
    for (const s of failed)
      console.log(`  failed ${s.name} in ${s.failure?.phase ?? '?'}: ${oneLine(s.failure?.reason ?? '')}`);
    if (r.error) console.log(`  orchestrator error ${r.error.error}: ${r.error.cause}`);
    console.log(`  report: ${join(outDir, wave.waveId, 'report.html')}`);
  }
  for (const line of networkSummary(session.network)) console.log(line);
  console.log(`trace: ${join(outDir, 'trace.jsonl')}`);
  console.log(`lambda logs: ${join(outDir, 'lambda-logs.jsonl')}`);
  const codes = session.waves.map((w) => w.exitCode);
  return codes.includes(1) ? EXIT.error : codes.includes(3) ? EXIT.partial : EXIT.ok;
}

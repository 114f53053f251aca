/**
 * `mgnctl emulator`: the AWS emulator alone, so any AWS client (the AWS CLI with --endpoint-url,
 * an SDK) can be pointed at it. The virtual clock runs `--speed` times real time so a client
 * polling it sees installs finish and replication progress.
 */
import { readFileSync } from 'node:fs';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { InvalidInputError } from '../../functions/lib/validation';
import { loadDeployConfig, type DeployConfig } from '../../infra/config';
import { EMULATOR_CREDENTIALS, startEmulator } from '../../simulator/emulator';
import { DEFAULT_DEPLOY_CONFIG_PATH, networkFromDeployConfig, networkSummary } from '../../simulator/network';
import { parseScenario, type Scenario } from '../../simulator/scenario';

export const summary = 'run the AWS emulator (MGN, SSM, EC2, STS, S3, SNS, Step Functions) on 127.0.0.1 for any AWS client';

const HELP = `usage: mgnctl emulator [--port N] [--manifest FILE]... [--scenario FILE] [--deploy-config FILE] [--speed X]

Runs the simulator's AWS emulator alone on 127.0.0.1 and prints "listening on http://127.0.0.1:PORT".
It checks every request's Signature Version 4 as AWS does: point any client at it with the
emulator's credentials (other keys are refused as unknown, a wrong secret as a bad signature):
  AWS_ACCESS_KEY_ID=${EMULATOR_CREDENTIALS.accessKeyId} AWS_SECRET_ACCESS_KEY=${EMULATOR_CREDENTIALS.secretAccessKey} \\
    aws --endpoint-url http://127.0.0.1:PORT --region eu-west-1 mgn describe-source-servers

options:
  --port N         port to listen on (default: any free port)
  --manifest FILE  wave manifest whose servers make up the fleet (repeatable)
  --scenario FILE  simulator scenario (disk sizes, bandwidth, faults, throttling, seed, network additions)
  --deploy-config FILE
                   deploy config whose network the emulated target region has (VPC, subnet tiers,
                   route tables, endpoints, security groups, launched-instance profile; no default
                   VPC); the manifests must target its region.
                   Default: examples/deploy/cross-region.json
  --speed X        virtual seconds per real second (default 60)
  -h, --help       this help

Control API: GET /_emulator/state, GET /_emulator/trace, POST /_emulator/advance?seconds=N.
Ctrl-C or SIGTERM stops it.`;

interface Args {
  port: number;
  manifests: string[];
  scenario?: string;
  deployConfig?: string;
  speed: number;
}

function parseArgs(argv: string[]): Args | string {
  const args: Args = { port: 0, manifests: [], speed: 60 };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = argv[i + 1];
    const need = () => {
      if (value === undefined || value.startsWith('--')) throw new Error(`${flag} needs a value`);
      i++;
      return value;
    };
    try {
      switch (flag) {
        case '--port': {
          const n = Number(need());
          if (!Number.isInteger(n) || n < 0 || n > 65535) return `--port must be 0..65535, got ${value}`;
          args.port = n;
          break;
        }
        case '--manifest':
          args.manifests.push(need());
          break;
        case '--scenario':
          args.scenario = need();
          break;
        case '--deploy-config':
          args.deployConfig = need();
          break;
        case '--speed': {
          const n = Number(need());
          if (!Number.isFinite(n) || n <= 0) return `--speed must be a number > 0, got ${value}`;
          args.speed = n;
          break;
        }
        default:
          return `unknown option ${flag}`;
      }
    } catch (e) {
      return (e as Error).message;
    }
  }
  return args;
}

function readJson(file: string): unknown {
  return JSON.parse(readFileSync(file, 'utf8')) as unknown;
}

export async function run(argv: string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(HELP);
    return 0;
  }
  const args = parseArgs(argv);
  if (typeof args === 'string') {
    console.error(`mgnctl emulator: ${args}\n\n${HELP}`);
    return 2;
  }
  let manifests: WaveManifest[];
  let scenario: Scenario | undefined;
  let deployConfig: DeployConfig;
  try {
    manifests = args.manifests.map((f) => parseManifest(readJson(f)));
    scenario = args.scenario ? parseScenario(readJson(args.scenario)) : undefined;
    deployConfig = loadDeployConfig(args.deployConfig ?? DEFAULT_DEPLOY_CONFIG_PATH);
    const regions = [...new Set(manifests.map((m) => m.targetRegion))].filter((r) => r !== deployConfig.region);
    if (regions.length)
      throw new InvalidInputError(`deploy config ${args.deployConfig ?? DEFAULT_DEPLOY_CONFIG_PATH}`, [
        `region: deploys to ${deployConfig.region} but manifests target ${regions.join(', ')}; give --deploy-config FILE for ${regions[0]}`,
      ]);
    networkFromDeployConfig(deployConfig, scenario?.network);
  } catch (e) {
    console.error(
      `mgnctl emulator: ${e instanceof InvalidInputError || e instanceof SyntaxError ? e.message : String(e)}`,
    );
    return 2;
  }
  const emulator = await startEmulator({ port: args.port, manifests, scenario, deployConfig });
  console.log(`listening on ${emulator.url}`);
  for (const line of networkSummary(emulator.stack)) console.log(line);

  // the virtual clock follows real time, `speed` times faster
  let last = Date.now();
  const tick = setInterval(() => {
    const now = Date.now();
    emulator.clock.advanceBy(((now - last) / 1000) * args.speed);
    last = now;
  }, 250);

  return new Promise<number>((resolve) => {
    const stop = () => {
      clearInterval(tick);
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      void emulator.close().then(() => resolve(0));
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

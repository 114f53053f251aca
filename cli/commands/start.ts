/**
 * `mgnctl start <manifest> --state-machine-arn ARN [--run-name NAME] [--region R] [--json]`:
 * validates the wave locally (nothing is sent when it is invalid), then starts one execution of the
 * deployed state machine with the manifest as its input.
 */
import { ExecutionAlreadyExists, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { loadManifestFile } from '../manifest-files';
import { awsErrorLine, executionName, RUN_NAME, stepFunctions } from '../step-functions';
import { parseCommandArgs } from '../arguments';

export const summary = 'validate a wave and start it on the deployed state machine';

const USAGE = `usage: mgnctl start <manifest.json|servers.csv> --state-machine-arn ARN [options]

Validates the wave (every problem listed, nothing sent when invalid), then starts an execution
named <waveId>-<run name> with the manifest as input. Without --run-name the run name is the UTC day
(dd-Mon-yyyy), as the API's POST /waves names it: a second start the same day is refused by Step
Functions instead of running the wave twice.

options:
  --state-machine-arn ARN  the stack's StateMachineArn output (required)
  --run-name NAME          1-16 letters, digits, _ or - (to re-run a wave the same day)
  --wave-file FILE         wave-level fields for a CSV (default: <csv name>.wave.json)
  --region R               AWS region of the stack (default: AWS_REGION / profile)
  --json                   print {"executionArn", "name", "startDate"}
  -h, --help               this help

exit codes: 0 started, 2 invalid wave or arguments, 1 AWS refused or failed`;

/** Step Functions' limit on an execution's input; bigger manifests go through the wave bucket. */
const MAX_INPUT_BYTES = 262_144;
const STATE_MACHINE_ARN = /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[A-Za-z0-9_-]{1,80}$/;

export async function run(argv: string[]): Promise<number> {
  const parsed = parseCommandArgs('start', USAGE, {
    args: argv,
    allowPositionals: true,
    strict: true,
    options: {
      'state-machine-arn': { type: 'string' },
      'run-name': { type: 'string' },
      'wave-file': { type: 'string' },
      region: { type: 'string' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (typeof parsed === 'number') return parsed;
  const { values, positionals } = parsed;
  const problems: string[] = [];
  if (positionals.length !== 1) problems.push(`give exactly one manifest file (got ${positionals.length})`);
  const arn = values['state-machine-arn'];
  if (!arn) problems.push('--state-machine-arn: required (the stack output StateMachineArn)');
  else if (!STATE_MACHINE_ARN.test(arn))
    problems.push(`--state-machine-arn: ${JSON.stringify(arn)} is not a state machine ARN`);
  const runName = values['run-name'];
  if (runName !== undefined && !RUN_NAME.test(runName))
    problems.push(`--run-name: ${JSON.stringify(runName)} must be 1-16 letters, digits, _ or -`);
  if (problems.length > 0) {
    for (const p of problems) console.error(`mgnctl start: ${p}`);
    return 2;
  }
  const loaded = loadManifestFile(positionals[0], { waveFile: values['wave-file'] });
  if (!loaded.manifest) {
    for (const p of loaded.problems) console.error(p);
    return 2;
  }
  const manifest = loaded.manifest;
  const input = JSON.stringify(manifest);
  if (Buffer.byteLength(input) > MAX_INPUT_BYTES) {
    console.error(
      `mgnctl start: the manifest is ${Buffer.byteLength(input)} bytes, over Step Functions' ${MAX_INPUT_BYTES}-byte input limit; ` +
        'upload it to the stack\'s wave bucket and start with {"manifestLocation": {"bucket", "key"}} (README: Start a wave)',
    );
    return 2;
  }
  const name = executionName(manifest.waveId, runName, new Date());
  try {
    const out = await stepFunctions(values.region).send(
      new StartExecutionCommand({ stateMachineArn: arn, name, input }),
    );
    if (values.json)
      console.log(JSON.stringify({ executionArn: out.executionArn, name, startDate: out.startDate }));
    else console.log(`started ${name}: ${out.executionArn}`);
    return 0;
  } catch (error) {
    if (error instanceof ExecutionAlreadyExists)
      console.error(
        `mgnctl start: an execution named ${name} already exists; pass --run-name to run wave ${manifest.waveId} again`,
      );
    else console.error(`mgnctl start: ${awsErrorLine(error)}`);
    return 1;
  }
}

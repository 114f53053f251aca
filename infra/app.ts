/**
 * The CDK app: `npx cdk synth -c config=<deploy config>` (default examples/deploy/cross-region.json).
 * Offline by design: no context lookups, so synth needs no AWS credentials. cdk-nag's AwsSolutions
 * checks run on every synth; an unacknowledged finding fails it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { App } from 'aws-cdk-lib';
import { STEPS } from '../functions/lib/steps';
import { InvalidInputError } from '../functions/lib/validation';
import { DEFAULT_CONFIG_FILE, loadDeployConfig } from './config';
import { buildStepBundles, MissingSourceError } from './lambda-bundles';
import { addNagChecks } from './nag';
import { loadMigrationDocumentContents } from './ssm-documents';
import { addSourceRegionDocumentStacks } from './source-region-documents';
import { OrchestratorStack } from './stack';

const root = resolve(__dirname, '..');

/** The one flow definition, shared with the simulator. */
function readDefinition(): string {
  const file = join(root, 'statemachine', 'wave.asl.json');
  if (!existsSync(file)) throw new MissingSourceError('statemachine/wave.asl.json is missing: the state machine is built from it');
  return readFileSync(file, 'utf8');
}

function main(): void {
  const app = new App();
  const configFile = String(app.node.tryGetContext('config') ?? DEFAULT_CONFIG_FILE);
  const config = loadDeployConfig(resolve(process.cwd(), configFile));
  const documents = loadMigrationDocumentContents();
  const main = new OrchestratorStack(app, config.stackName, {
    config,
    definition: readDefinition(),
    documents,
    code: buildStepBundles(root, STEPS),
    description: 'MGN isolated-network orchestrator: Step Functions + Lambda behind VPC endpoints',
  });
  // The same Run Command documents in each source region: `cdk deploy --all` (or `cdk deploy <stackName>`) deploys them.
  addSourceRegionDocumentStacks(app, config, documents, main);
  addNagChecks(app);
  app.synth();
}

try {
  main();
} catch (err) {
  // A bad config or a missing source file is the operator's to fix: say what, without a stack trace.
  if (err instanceof InvalidInputError || err instanceof MissingSourceError) {
    console.error(err.message);
    process.exit(1);
  }
  throw err;
}

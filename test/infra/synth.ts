/**
 * Synthesises the orchestrator stack for one deploy config, the way infra/app.ts does (cdk-nag
 * AwsSolutions registered), but with test fixtures for what other branches build: a tiny asset
 * for every Lambda, a small ASL using every placeholder, and SSM documents. The real ASL and
 * installer are tested with their own code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { loadDeployConfig, type DeployConfig } from '../../infra/config';
import { addNagChecks } from '../../infra/nag';
import { addSourceRegionDocumentStacks, type SourceRegionDocumentsStack } from '../../infra/source-region-documents';
import { OrchestratorStack } from '../../infra/stack';

export const repoRoot = join(__dirname, '..', '..');
export const fixtures = join(repoRoot, 'test', 'fixtures', 'infra');
export const fixtureDefinition = readFileSync(join(fixtures, 'wave.asl.json'), 'utf8');

export interface Synthesised {
  readonly config: DeployConfig;
  readonly stack: OrchestratorStack;
  readonly template: Template;
  /** Raw template JSON, for walks over every resource. */
  readonly json: { Resources: Record<string, { Type: string; Properties?: Record<string, unknown> }> };
  /** The documents stack of each source region (infra/source-region-documents.ts), added as infra/app.ts adds them. */
  readonly sourceRegionStacks: readonly { readonly stack: SourceRegionDocumentsStack; readonly template: Template }[];
}

export function synthExample(name: 'cross-region' | 'on-premises'): Synthesised {
  const config = loadDeployConfig(join(repoRoot, 'examples', 'deploy', `${name}.json`));
  const app = new App();
  const documents = JSON.parse(readFileSync(join(fixtures, 'documents.json'), 'utf8'));
  const stack = new OrchestratorStack(app, config.stackName, {
    config,
    definition: fixtureDefinition,
    documents,
    code: () => lambda.Code.fromAsset(join(fixtures, 'bundle')),
  });
  const regional = addSourceRegionDocumentStacks(app, config, documents, stack);
  addNagChecks(app);
  // Throws "Validation failed" when any cdk-nag finding is not acknowledged.
  const assembly = app.synth();
  const json = assembly.getStackByName(stack.stackName).template;
  const sourceRegionStacks = regional.map((r) => ({ stack: r, template: Template.fromJSON(assembly.getStackByName(r.stackName).template) }));
  return { config, stack, template: Template.fromJSON(json), json, sourceRegionStacks };
}

/** Logical id of a construct's CloudFormation resource. */
export const logicalId = (stack: OrchestratorStack, construct: { node: { defaultChild?: unknown } }): string =>
  stack.getLogicalId(construct.node.defaultChild as import('aws-cdk-lib').CfnElement);

/**
 * cfn-lint (AWS's CloudFormation linter, checked against the CloudFormation resource specification)
 * over every template the CDK app synthesizes for both example deploy configs: the orchestrator
 * stack, with the real state machine definition, and each source region's documents stack.
 * Zero errors; warnings are printed so a reviewer sees them.
 *
 * cfn-lint is a Python tool that ships with this project's machine image (see README, "Tests"); a
 * machine without it fails here with the install command rather than skipping, unless
 * CFN_LINT=skip is set on purpose.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { loadDeployConfig } from '../../infra/config';
import { addNagChecks } from '../../infra/nag';
import { addSourceRegionDocumentStacks } from '../../infra/source-region-documents';
import { OrchestratorStack } from '../../infra/stack';
import { fixtures, repoRoot } from './synth';

interface Finding {
  readonly Level: 'Error' | 'Warning' | 'Informational';
  readonly Rule: { readonly Id: string };
  readonly Message: string;
  readonly Filename: string;
}

const SKIP = process.env.CFN_LINT === 'skip';
const available = spawnSync('cfn-lint', ['--version'], { encoding: 'utf8' }).status === 0;

function lint(files: readonly string[]): Finding[] {
  const run = spawnSync('cfn-lint', ['--format', 'json', '--', ...files], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  // cfn-lint exits non-zero whenever it finds something (bit flags per level); the JSON is the answer.
  if (run.error) throw run.error;
  if (!run.stdout.trim()) throw new Error(`cfn-lint printed nothing (exit ${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout) as Finding[];
}

/** Writes every template of the app for one deploy config; returns their paths. */
function synthTemplates(config: 'cross-region' | 'on-premises', dir: string): string[] {
  const cfg = loadDeployConfig(join(repoRoot, 'examples', 'deploy', `${config}.json`));
  const app = new App();
  const documents = JSON.parse(readFileSync(join(fixtures, 'documents.json'), 'utf8'));
  const stack = new OrchestratorStack(app, cfg.stackName, {
    config: cfg,
    definition: readFileSync(join(repoRoot, 'statemachine', 'wave.asl.json'), 'utf8'),
    documents,
    code: () => lambda.Code.fromAsset(join(fixtures, 'bundle')),
  });
  const regional = addSourceRegionDocumentStacks(app, cfg, documents, stack);
  addNagChecks(app);
  const assembly = app.synth();
  return [stack.stackName, ...regional.map((r) => r.stackName)].map((name) => {
    const file = join(dir, `${config}-${name}.json`);
    writeFileSync(file, JSON.stringify(assembly.getStackByName(name).template, null, 1));
    return file;
  });
}

const describeLint = SKIP ? describe.skip : describe;

describeLint('cfn-lint', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cfn-lint-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('is installed (pip install cfn-lint, or CFN_LINT=skip to leave this check out on purpose)', () => {
    expect(available).toBe(true);
  });

  it('finds an error in a template that has one (the check can fail)', () => {
    if (!available) return;
    const file = join(dir, 'broken.json');
    writeFileSync(
      file,
      JSON.stringify({
        Resources: { Bucket: { Type: 'AWS::S3::Bucket', Properties: { BucketNme: 'x' } }, Queue: { Type: 'AWS::SQS::Queue', DependsOn: 'Nowhere' } },
      }),
    );
    const errors = lint([file]).filter((f) => f.Level === 'Error');
    expect(errors.map((e) => e.Rule.Id)).toEqual(expect.arrayContaining(['E3002', 'E3005']));
  });

  it.each(['cross-region', 'on-premises'] as const)('reports no error for every template of the %s deploy config', (config) => {
    if (!available) throw new Error('cfn-lint is not installed');
    const files = synthTemplates(config, dir);
    expect(files.length).toBeGreaterThanOrEqual(1);
    const findings = lint(files);
    const warnings = findings.filter((f) => f.Level !== 'Error');
    if (warnings.length > 0) {
      const byRule = new Map<string, number>();
      for (const w of warnings) byRule.set(w.Rule.Id, (byRule.get(w.Rule.Id) ?? 0) + 1);
      console.log(`cfn-lint ${config}: ${warnings.length} warnings (${[...byRule].map(([r, n]) => `${r}×${n}`).join(', ')})`);
    }
    expect(findings.filter((f) => f.Level === 'Error').map((f) => `${f.Rule.Id} ${f.Message}`)).toEqual([]);
  }, 120_000);
});

/**
 * The Lambda code the app deploys: the esbuild bundles of esbuild.config.mjs
 * (functions/<name>/handler.ts -> dist/functions/<name>/index.mjs), built at synth time so a
 * synth never ships a stale or missing bundle.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type { StepSpec } from '../functions/lib/steps';

/** A source file the stack is built from (a handler, the ASL, the installer builder) is missing. */
export class MissingSourceError extends Error {
  override readonly name = 'MissingSourceError';
}

/** Steps of the catalogue whose functions/<name>/handler.ts does not exist. */
export function missingHandlers(root: string, steps: readonly StepSpec[]): string[] {
  return steps.filter((s) => !existsSync(join(root, 'functions', s.name, 'handler.ts'))).map((s) => `functions/${s.name}/handler.ts`);
}

/**
 * Checks every step has a handler, runs esbuild.config.mjs (the one build definition, also
 * `npm run build`) and returns each step's asset. Throws MissingSourceError naming the missing files.
 */
export function buildStepBundles(root: string, steps: readonly StepSpec[]): (step: StepSpec) => lambda.Code {
  const missing = missingHandlers(root, steps);
  if (missing.length)
    throw new MissingSourceError(`every step in functions/lib/steps.ts needs a handler; missing: ${missing.join(', ')}`);
  execFileSync(process.execPath, [join(root, 'esbuild.config.mjs')], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  return (step) => {
    const dir = join(root, 'dist', 'functions', step.name);
    if (!existsSync(join(dir, 'index.mjs'))) throw new MissingSourceError(`esbuild produced no bundle for ${step.name} in ${dir}`);
    return lambda.Code.fromAsset(dir, { exclude: ['meta.json'] });
  };
}

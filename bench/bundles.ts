/**
 * Per-Lambda bundle measurements: bytes on disk and cold module-load time (a fresh Node process
 * importing the bundle, median of N), plus a guard that fails loudly when a bundle pulls in an AWS
 * SDK client its step's IAM actions do not call for (a sign of a stray import dragging a client in).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { STEPS, type StepSpec } from '../functions/lib/steps';

export interface BundleResult {
  name: string;
  bytes: number;
  coldLoadMs: number;
  coldLoadSamplesMs: number[];
  sdkClients: string[];
}

/** `mgn:StartTest` -> `client-mgn`; the services a step may call, as SDK client package names. */
export function expectedClients(step: StepSpec): Set<string> {
  return new Set(step.actions.map((a) => `client-${a.split(':')[0]}`));
}

/** The `@aws-sdk/client-*` packages a bundle's metafile says were bundled. */
export function bundledClients(metafile: { inputs: Record<string, unknown> }): string[] {
  const clients = new Set<string>();
  for (const input of Object.keys(metafile.inputs)) {
    const m = /node_modules\/@aws-sdk\/(client-[a-z0-9-]+)\//.exec(input);
    if (m) clients.add(m[1]);
  }
  return [...clients].sort();
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Milliseconds for a fresh `node` to import the bundle (process start-up excluded). */
function coldLoadOnce(bundle: string): number {
  const script =
    'const t=process.hrtime.bigint();' +
    `import(${JSON.stringify(bundle)}).then(()=>{process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))})`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...process.env, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1' },
    encoding: 'utf8',
  });
  return Number(out);
}

export function measureBundles(root: string, samples = 5): BundleResult[] {
  const results: BundleResult[] = [];
  const problems: string[] = [];
  for (const step of STEPS) {
    const dir = join(root, 'dist', 'functions', step.name);
    const bundle = join(dir, 'index.mjs');
    if (!existsSync(bundle)) {
      problems.push(`${step.name}: no bundle at ${bundle}; run npm run build first`);
      continue;
    }
    const metafile = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8'));
    const clients = bundledClients(metafile);
    const allowed = expectedClients(step);
    const stray = clients.filter((c) => !allowed.has(c));
    if (stray.length > 0)
      problems.push(`${step.name}: bundles ${stray.join(', ')} but its actions only call ${[...allowed].join(', ')}`);
    const coldLoadSamplesMs = Array.from({ length: samples }, () => coldLoadOnce(bundle));
    results.push({
      name: step.name,
      bytes: statSync(bundle).size,
      coldLoadMs: Math.round(median(coldLoadSamplesMs) * 10) / 10,
      coldLoadSamplesMs: coldLoadSamplesMs.map((x) => Math.round(x * 10) / 10),
      sdkClients: clients,
    });
  }
  if (problems.length > 0) {
    throw new Error(`bundle check failed:\n  ${problems.join('\n  ')}`);
  }
  return results;
}

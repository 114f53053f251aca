// Builds one minified ESM bundle per Lambda step: functions/<name>/handler.ts -> dist/functions/<name>/index.mjs.
// The AWS SDK is bundled (not taken from the runtime) so every function runs the client versions we test.
import { build } from 'esbuild';
import { readdirSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('.', import.meta.url).pathname;
const functionsDir = join(root, 'functions');

export const lambdaNames = () =>
  readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(functionsDir, d.name, 'handler.ts')))
    .map((d) => d.name)
    .sort();

export async function buildLambdas({ outdir = join(root, 'dist', 'functions'), names = lambdaNames() } = {}) {
  const results = {};
  for (const name of names) {
    const outDir = join(outdir, name);
    mkdirSync(outDir, { recursive: true });
    const result = await build({
      entryPoints: [join(functionsDir, name, 'handler.ts')],
      outfile: join(outDir, 'index.mjs'),
      bundle: true,
      platform: 'node',
      mainFields: ['module', 'main'],
      // the Lambda runtime (infra/constructs/orchestrator-functions.ts: Node.js 24)
      target: 'node24',
      format: 'esm',
      minify: true,
      sourcemap: true,
      metafile: true,
      legalComments: 'none',
      // Some dependencies are CommonJS and call require(); give the ESM bundle one.
      banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
      logLevel: 'warning',
    });
    writeFileSync(join(outDir, 'meta.json'), JSON.stringify(result.metafile));
    results[name] = result.metafile;
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const names = lambdaNames();
  await buildLambdas({ names });
  console.log(`built ${names.length} Lambda bundle(s) into dist/functions: ${names.join(', ') || '(none yet)'}`);
}

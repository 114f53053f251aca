// Builds one minified ESM bundle per Lambda step: functions/<name>/handler.ts -> dist/functions/<name>/index.mjs.
// The AWS SDK is bundled (not taken from the runtime) so every function runs the client versions we test.
import { build } from 'esbuild';
import { readdirSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';

// CommonJS so jest can load it too (test/bench/sdk-schemas.test.ts).
const { sdkSchemaKeysPlugin } = createRequire(import.meta.url)('./esbuild.sdk-schemas.cjs');

const root = new URL('.', import.meta.url).pathname;
const functionsDir = join(root, 'functions');

export const lambdaNames = () =>
  readdirSync(functionsDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(join(functionsDir, d.name, 'handler.ts')))
    .map((d) => d.name)
    .sort();

/**
 * Lambda hands a function its role's credentials in environment variables, so the bundles take them
 * from there alone (functions/lib/lambda-credentials.ts) instead of the SDK's default chain.
 */
export const lambdaCredentialsPlugin = {
  name: 'lambda-credentials',
  setup(build) {
    build.onResolve({ filter: /^@aws-sdk\/credential-provider-node$/ }, () => ({ path: join(functionsDir, 'lib', 'lambda-credentials.ts') }));
  },
};

/** How every Lambda bundle is built, bar its entry point (test/bench/bundle-wire.test.ts builds the EC2 adapter this way). */
export const lambdaBuildOptions = (outfile) => ({
  outfile,
  bundle: true,
  platform: 'node',
  mainFields: ['module', 'main'],
  // the Lambda runtime (infra/constructs/orchestrator-functions.ts: Node.js 24)
  target: 'node24',
  format: 'esm',
  minify: true,
  sourcemap: true,
  // file and line in stack traces without the sources themselves: a map Node decodes faster at every
  // cold start (the functions run with --enable-source-maps)
  sourcesContent: false,
  metafile: true,
  legalComments: 'none',
  // Some dependencies are CommonJS and call require(); give the ESM bundle one.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
  // Lets the SDK clients' unused serialization schemas tree-shake (esbuild.sdk-schemas.cjs), and
  // takes credentials from Lambda's environment only.
  plugins: [sdkSchemaKeysPlugin, lambdaCredentialsPlugin],
});

export async function buildLambdas({ outdir = join(root, 'dist', 'functions'), names = lambdaNames() } = {}) {
  const results = {};
  for (const name of names) {
    const outDir = join(outdir, name);
    mkdirSync(outDir, { recursive: true });
    const result = await build({ ...lambdaBuildOptions(join(outDir, 'index.mjs')), entryPoints: [join(functionsDir, name, 'handler.ts')] });
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

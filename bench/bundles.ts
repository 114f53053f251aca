/**
 * Per-Lambda bundle measurements: bytes on disk and cold module-load time (a fresh Node process
 * importing the bundle, median of N), plus a guard that fails loudly when a bundle pulls in an AWS
 * SDK client its step's IAM actions do not call for (a sign of a stray import dragging a client in).
 *
 * The guard reads who imports each bundled client package (esbuild's metafile):
 * - imported by our code: the client must serve one of the step's actions (functions/lib/steps.ts);
 * - imported only by the SDK's default credential chain (@aws-sdk/credential-provider-* and
 *   @aws-sdk/token-providers): allowed only for the clients that chain is built on (SSO, SSO-OIDC,
 *   STS: SSO profiles, SSO token refresh, web identity and assume-role profiles), reported apart;
 * - imported by anything else: stray, the bundle check fails.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LAMBDA_NODE_OPTIONS, STEPS, type StepSpec } from '../functions/lib/steps';

export interface BundleResult {
  name: string;
  bytes: number;
  coldLoadMs: number;
  coldLoadSamplesMs: number[];
  /** the same in Lambda's environment with active tracing (LAMBDA_TRACED_ENV): the X-Ray SDK loads too (median of N) */
  coldLoadTracedMs: number;
  /** and with the functions' NODE_OPTIONS too (LAMBDA_DEPLOYED_ENV): the source map is decoded (median of N) */
  coldLoadDeployedMs: number;
  /** clients our code imports */
  sdkClients: string[];
  /** clients only the SDK's credential chain imports (nested in an older client's dependencies) */
  credentialChainClients: string[];
}

/** The clients the SDK's default credential provider chain is built on. */
export const CREDENTIAL_CHAIN_CLIENTS: ReadonlySet<string> = new Set(['client-sso', 'client-sso-oidc', 'client-sts']);
const CREDENTIAL_CHAIN_PACKAGE = /^@aws-sdk\/(credential-provider-[a-z0-9-]+|token-providers)$/;

export interface Metafile {
  inputs: Record<string, { imports?: ReadonlyArray<{ path: string }> }>;
}

/** The package a bundled file belongs to (the innermost node_modules/<name>), or undefined for our own code. */
export function packageOf(file: string): { name: string; root: string } | undefined {
  const re = /node_modules\/((?:@[^/]+\/)?[^/]+)\//g;
  let last: RegExpExecArray | null = null;
  for (let m = re.exec(file); m; m = re.exec(file)) last = m;
  if (!last) return undefined;
  return { name: last[1], root: file.slice(0, last.index + last[0].length) };
}

export interface ClientImports {
  /** client-<service> packages our code imports */
  readonly direct: string[];
  /** client packages imported only by the credential chain */
  readonly credentialChain: string[];
  /** client packages imported by some other package: `<client> <- <importer package>` */
  readonly other: string[];
}

/** Which `@aws-sdk/client-*` packages a bundle holds, and who imports each of them. */
export function clientImports(metafile: Metafile): ClientImports {
  const importers = new Map<string, Set<string>>(); // client package root -> importer package names ('' = our code)
  const names = new Map<string, string>();
  for (const [file, input] of Object.entries(metafile.inputs)) {
    const from = packageOf(file);
    for (const { path } of input.imports ?? []) {
      const to = packageOf(path);
      if (!to || !/^@aws-sdk\/client-/.test(to.name) || to.root === from?.root) continue;
      names.set(to.root, to.name.replace('@aws-sdk/', ''));
      if (!importers.has(to.root)) importers.set(to.root, new Set());
      importers.get(to.root)!.add(from?.name ?? '');
    }
  }
  const direct = new Set<string>();
  const credentialChain = new Set<string>();
  const other = new Set<string>();
  for (const [root, by] of importers) {
    const client = names.get(root)!;
    if (by.has('')) direct.add(client);
    const rest = [...by].filter((p) => p !== '' && !CREDENTIAL_CHAIN_PACKAGE.test(p));
    for (const p of rest) other.add(`${client} <- ${p}`);
    if (!by.has('') && rest.length === 0) credentialChain.add(client);
  }
  return { direct: [...direct].sort(), credentialChain: [...credentialChain].sort(), other: [...other].sort() };
}

/** IAM service prefixes whose SDK client package has another name. */
const CLIENT_OF_PREFIX: Readonly<Record<string, string>> = { states: 'client-sfn', servicequotas: 'client-service-quotas' };

/** `mgn:StartTest` -> `client-mgn`; the services a step may call, as SDK client package names. */
export function expectedClients(step: StepSpec): Set<string> {
  return new Set(step.actions.map((a) => a.split(':')[0]).map((prefix) => CLIENT_OF_PREFIX[prefix] ?? `client-${prefix}`));
}

/** Problems of one bundle's clients against its step's actions; empty when the bundle is clean. */
export function clientProblems(step: StepSpec, clients: ClientImports): string[] {
  const allowed = expectedClients(step);
  const problems: string[] = [];
  const stray = clients.direct.filter((c) => !allowed.has(c));
  if (stray.length > 0) problems.push(`${step.name}: bundles ${stray.join(', ')} but its actions only call ${[...allowed].join(', ')}`);
  const unexpected = clients.credentialChain.filter((c) => !CREDENTIAL_CHAIN_CLIENTS.has(c));
  if (unexpected.length > 0) problems.push(`${step.name}: the credential chain pulls in ${unexpected.join(', ')}, not a client the chain is built on`);
  for (const o of clients.other) problems.push(`${step.name}: ${o} imports an SDK client`);
  return problems;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Milliseconds for a fresh `node` to import the bundle (process start-up excluded). */
/**
 * Lambda's environment with active tracing: the runtime's AWS_EXECUTION_ENV, under which the steps
 * load the X-Ray SDK (functions/lib/observability.ts). Held to the same target as the plain load, so
 * that loading the Tracer only in Lambda cannot hide its cost.
 */
export const LAMBDA_TRACED_ENV = { AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x' } as const;
/** The bundle as deployed: also the functions' NODE_OPTIONS (--enable-source-maps: Node decodes the map at load). */
export const LAMBDA_DEPLOYED_ENV = { ...LAMBDA_TRACED_ENV, NODE_OPTIONS: LAMBDA_NODE_OPTIONS } as const;

/**
 * One import of the bundle in a fresh Node process; the clock stops once the module and whatever it
 * queued while loading (promise jobs, such as the Tracer's import) have run.
 */
function coldLoadOnce(bundle: string, env: Record<string, string> = {}): number {
  const script =
    'const t=process.hrtime.bigint();' +
    `import(${JSON.stringify(bundle)}).then(()=>setImmediate(()=>{process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))}))`;
  const base = { ...process.env };
  delete base.AWS_EXECUTION_ENV;
  delete base.NODE_OPTIONS;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
    env: { ...base, AWS_REGION: process.env.AWS_REGION ?? 'us-east-1', ...env },
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
    const metafile = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Metafile;
    const clients = clientImports(metafile);
    problems.push(...clientProblems(step, clients));
    const coldLoadSamplesMs: number[] = [];
    const tracedSamplesMs: number[] = [];
    const deployedSamplesMs: number[] = [];
    // alternated, so the three are measured under the same machine load
    for (let i = 0; i < samples; i++) {
      coldLoadSamplesMs.push(coldLoadOnce(bundle));
      tracedSamplesMs.push(coldLoadOnce(bundle, LAMBDA_TRACED_ENV));
      deployedSamplesMs.push(coldLoadOnce(bundle, LAMBDA_DEPLOYED_ENV));
    }
    results.push({
      name: step.name,
      bytes: statSync(bundle).size,
      coldLoadMs: Math.round(median(coldLoadSamplesMs) * 10) / 10,
      coldLoadSamplesMs: coldLoadSamplesMs.map((x) => Math.round(x * 10) / 10),
      coldLoadTracedMs: Math.round(median(tracedSamplesMs) * 10) / 10,
      coldLoadDeployedMs: Math.round(median(deployedSamplesMs) * 10) / 10,
      sdkClients: clients.direct,
      credentialChainClients: clients.credentialChain,
    });
  }
  if (problems.length > 0) {
    throw new Error(`bundle check failed:\n  ${problems.join('\n  ')}`);
  }
  return results;
}

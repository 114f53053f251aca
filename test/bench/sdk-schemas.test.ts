/**
 * The build's rewrite of the SDK schema modules (esbuild.sdk-schemas.cjs) must build the very same
 * schemas: every installed schemas module is bundled as it ships and as rewritten, both are
 * evaluated, and every export is compared in depth (lazy `() => Shape$` references followed).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build, type Plugin } from 'esbuild';

const { SCHEMA_MODULE, literalSchemaKeys, sdkSchemaKeysPlugin } = require('../../esbuild.sdk-schemas.cjs') as {
  SCHEMA_MODULE: RegExp;
  literalSchemaKeys: (source: string) => string;
  sdkSchemaKeysPlugin: Plugin;
};

const ROOT = join(__dirname, '..', '..');

/** Every file under node_modules/@aws-sdk (nested node_modules included) the plugin rewrites. */
function schemaModules(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'dist-cjs' && e.name !== 'dist-types') walk(p);
      } else if (SCHEMA_MODULE.test(p)) out.push(p);
    }
  };
  walk(join(ROOT, 'node_modules', '@aws-sdk'));
  return out.sort();
}

/** The module's exports, bundled (with its imports) to CommonJS and evaluated. */
async function evaluate(file: string, rewrite: boolean): Promise<Record<string, unknown>> {
  const result = await build({
    entryPoints: [file],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    mainFields: ['module', 'main'],
    write: false,
    logLevel: 'silent',
    plugins: rewrite ? [sdkSchemaKeysPlugin] : [],
  });
  const mod = { exports: {} as Record<string, unknown> };
  new Function('module', 'exports', 'require', result.outputFiles[0].text)(mod, mod.exports, require);
  return mod.exports;
}

const isLazyReference = (f: unknown): f is () => unknown => typeof f === 'function' && f.length === 0 && /^\(\)\s*=>/.test(f.toString());

/** Where `a` and `b` differ (a path), or undefined when they are the same in depth. */
function difference(a: unknown, b: unknown, path: string, seen: Map<unknown, unknown>): string | undefined {
  if (typeof a !== typeof b) return `${path}: ${typeof a} vs ${typeof b}`;
  if (a === null || b === null || (typeof a !== 'object' && typeof a !== 'function')) return Object.is(a, b) ? undefined : `${path}: ${String(a)} vs ${String(b)}`;
  if (seen.get(a) === b) return undefined;
  seen.set(a, b);
  if (typeof a === 'function') {
    if (isLazyReference(a) && isLazyReference(b)) return difference(a(), b(), `${path}()`, seen);
    return (a as { name: string }).name === (b as { name: string }).name ? undefined : `${path}: function ${(a as { name: string }).name} vs ${(b as { name: string }).name}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${path}: array vs object`;
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map && b instanceof Map) || a.size !== b.size) return `${path}: maps differ in size`;
    const ea = [...a.entries()];
    const eb = [...b.entries()];
    for (let i = 0; i < ea.length; i++) {
      const d = difference(ea[i][0], eb[i][0], `${path}.key[${i}]`, seen) ?? difference(ea[i][1], eb[i][1], `${path}.get(${i})`, seen);
      if (d) return d;
    }
    return undefined;
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b as object);
  if (ka.join('\u0000') !== kb.join('\u0000')) return `${path}: keys [${ka.join(', ')}] vs [${kb.join(', ')}]`;
  for (const k of ka) {
    const d = difference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`, seen);
    if (d) return d;
  }
  return undefined;
}

describe('SDK schema modules with literal keys', () => {
  it('writes a computed key naming a string constant as that string, and leaves every other key alone', () => {
    const source = [
      'const _xN = "xmlName";',
      'const _q = "say \\"hi\\"";',
      'const _twice = "a";',
      'const _twice = "b";',
      'let _notConst = "x";',
      'export var A$ = [3, n0, _A, 0, [_B], [[0, { [_xN]: _dR, [_q]: 1 }]]];',
      'export var B$ = { [_twice]: 1, [_notConst]: 2, [_unknown]: 3, [`t`]: 4 };',
    ].join('\n');
    const out = literalSchemaKeys(source).split('\n');
    expect(out[5]).toBe('export var A$ = [3, n0, _A, 0, [_B], [[0, { "xmlName": _dR, "say \\"hi\\"": 1 }]]];');
    expect(out[6]).toBe('export var B$ = { [_twice]: 1, [_notConst]: 2, [_unknown]: 3, [`t`]: 4 };');
  });

  it('finds the schema modules of the clients the bundles use', () => {
    const found = schemaModules().map((f) => f.slice(f.indexOf('@aws-sdk')));
    for (const client of ['client-ec2', 'client-s3', 'client-ssm', 'client-sns', 'client-sfn', 'client-sts', 'client-service-quotas'])
      expect(found).toContain(`@aws-sdk/${client}/dist-es/schemas/schemas_0.js`);
  });

  it('builds, for every installed schema module, exactly the schemas the module as shipped builds', async () => {
    const modules = schemaModules();
    expect(modules.length).toBeGreaterThan(0);
    for (const file of modules) {
      const source = readFileSync(file, 'utf8');
      const rewritten = literalSchemaKeys(source);
      expect(rewritten).not.toBe(source); // each of them has computed keys to rewrite
      const [shipped, literal] = await Promise.all([evaluate(file, false), evaluate(file, true)]);
      expect(Object.keys(literal).length).toBeGreaterThan(0);
      expect({ file, difference: difference(shipped, literal, 'exports', new Map()) }).toEqual({ file, difference: undefined });
    }
  });

  it('lets the launch-test bundle drop the EC2 operations it never calls', async () => {
    const bundle = (plugins: Plugin[]) =>
      build({
        entryPoints: [join(ROOT, 'functions', 'launch-test', 'handler.ts')],
        bundle: true,
        platform: 'node',
        format: 'esm',
        mainFields: ['module', 'main'],
        target: 'node22',
        minify: true,
        write: false,
        metafile: true,
        logLevel: 'silent',
        outfile: join(ROOT, 'dist', 'sdk-schemas-test', 'index.mjs'),
        plugins,
      });
    const ec2Schemas = async (plugins: Plugin[]) => {
      const r = await bundle(plugins);
      const out = Object.values(r.metafile!.outputs).find((o) => o.entryPoint)!;
      const [, input] = Object.entries(out.inputs).find(([k]) => k.endsWith('@aws-sdk/client-ec2/dist-es/schemas/schemas_0.js'))!;
      return { bytes: input.bytesInOutput, text: r.outputFiles.find((f) => f.path.endsWith('.mjs'))!.text };
    };
    const before = await ec2Schemas([]);
    const after = await ec2Schemas([sdkSchemaKeysPlugin]);
    // an operation launch-test never calls is gone, the ones it calls are still there
    expect(before.text).toContain('spotPriceHistorySet');
    expect(after.text).not.toContain('spotPriceHistorySet');
    expect(after.text).toContain('launchTemplateVersionSet');
    expect(after.bytes).toBeLessThan(before.bytes / 4);
  });
});

import { clientImports, clientProblems, packageOf, type Metafile } from '../../bench/bundles';
import { STEPS } from '../../functions/lib/steps';

const step = (name: string) => STEPS.find((s) => s.name === name)!;

/** A metafile in esbuild's shape: file -> the files it imports. */
const metafile = (edges: Record<string, string[]>): Metafile => {
  const inputs: Metafile['inputs'] = {};
  for (const [file, imports] of Object.entries(edges)) {
    inputs[file] = { imports: imports.map((path) => ({ path })) };
    for (const path of imports) inputs[path] ??= { imports: [] };
  }
  return { inputs };
};

describe('bundle client guard', () => {
  it('names the innermost package of a nested dependency', () => {
    expect(packageOf('node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/client-sts/dist-es/index.js')).toEqual({
      name: '@aws-sdk/client-sts',
      root: 'node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/client-sts/',
    });
    expect(packageOf('node_modules/zod/v4/core/schemas.js')?.name).toBe('zod');
    expect(packageOf('functions/lib/adapters/mgn.ts')).toBeUndefined();
  });

  it('tells clients our code imports from clients only the credential chain pulls in', () => {
    const clients = clientImports(
      metafile({
        'functions/lib/adapters/mgn.ts': ['node_modules/@aws-sdk/client-mgn/dist-es/index.js'],
        'node_modules/@aws-sdk/client-mgn/dist-es/index.js': ['node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/credential-provider-node/dist-es/index.js'],
        'node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/credential-provider-node/dist-es/index.js': [
          'node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/credential-provider-ini/dist-es/index.js',
        ],
        'node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/credential-provider-ini/dist-es/index.js': [
          'node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/client-sts/dist-es/index.js',
        ],
        'node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/client-sts/dist-es/index.js': ['node_modules/@aws-sdk/client-mgn/node_modules/@aws-sdk/client-sts/dist-es/STSClient.js'],
      }),
    );
    expect(clients).toEqual({ direct: ['client-mgn'], credentialChain: ['client-sts'], other: [] });
    expect(clientProblems(step('wait-replication'), clients)).toEqual([]);
  });

  it('fails a bundle whose code imports a client its step has no action for', () => {
    const clients = clientImports(
      metafile({
        'functions/lib/flow-runtime.ts': ['functions/lib/adapters/ec2.ts', 'functions/lib/adapters/mgn.ts'],
        'functions/lib/adapters/ec2.ts': ['node_modules/@aws-sdk/client-ec2/dist-es/index.js'],
        'functions/lib/adapters/mgn.ts': ['node_modules/@aws-sdk/client-mgn/dist-es/index.js'],
      }),
    );
    expect(clientProblems(step('wait-replication'), clients)).toEqual([
      'wait-replication: bundles client-ec2 but its actions only call client-s3, client-mgn',
    ]);
  });

  it('fails a client the credential chain pulls in that the chain is not built on, and one another package imports', () => {
    const clients = clientImports(
      metafile({
        'node_modules/@aws-sdk/credential-provider-node/dist-es/index.js': ['node_modules/@aws-sdk/client-ec2/dist-es/index.js'],
        'node_modules/some-helper/index.js': ['node_modules/@aws-sdk/client-sns/dist-es/index.js'],
      }),
    );
    expect(clientProblems(step('wait-replication'), clients)).toEqual([
      'wait-replication: the credential chain pulls in client-ec2, not a client the chain is built on',
      'wait-replication: client-sns <- some-helper imports an SDK client',
    ]);
  });
});

describe('what each step bundle loads on a cold start', () => {
  // The manifest's zod schemas (zod classic, ~100 KB of module) are needed only where outside input is
  // parsed; the other steps check their context with zod/mini. And `import * as z` lets esbuild drop what
  // is not used: `import { z }` brings every locale zod has (~260 KB), though messages are in English.
  const PARSES_OUTSIDE_INPUT = new Set(['validate-wave']);

  it("only the steps that parse outside input bundle zod classic, and none bundles zod's other locales", async () => {
    const { build } = await import('esbuild');
    const { join } = await import('node:path');
    const offenders: string[] = [];
    const parsers: string[] = [];
    const locales: string[] = [];
    for (const { name } of STEPS) {
      const result = await build({
        entryPoints: [join(__dirname, '..', '..', 'functions', name, 'handler.ts')],
        bundle: true,
        write: false,
        metafile: true,
        platform: 'node',
        format: 'esm',
        mainFields: ['module', 'main'],
        logLevel: 'silent',
      });
      const classic = Object.keys(result.metafile.outputs).some((out) =>
        Object.keys(result.metafile.outputs[out].inputs).some((f) => f.includes('node_modules/zod/v4/classic/')),
      );
      if (classic) (PARSES_OUTSIDE_INPUT.has(name) ? parsers : offenders).push(name);
      for (const out of Object.values(result.metafile.outputs))
        for (const f of Object.keys(out.inputs)) if (/node_modules\/zod\/v4\/locales\/(?!en\.js$)/.test(f)) locales.push(`${name}: ${f}`);
    }
    expect(offenders).toEqual([]);
    expect(locales).toEqual([]);
    // the guard looks at the right thing: the step that parses manifests does bundle it
    expect(parsers).toEqual([...PARSES_OUTSIDE_INPUT]);
  });
});

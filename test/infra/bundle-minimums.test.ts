/**
 * The Lambda bundles contain no package below the minimums of infra/bundle-minimums.json (issue 12
 * item 8): the real bundles are built (esbuild.config.mjs, into a temporary folder) and every package
 * their metafiles list is checked. The checker itself is tested on a small metafile first.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { belowMinimum, bundledPackages, compareVersions, loadBundleMinimums, packageDirOf, versionReader, type BundleMetafile } from '../../infra/bundle-minimums';
import { repoRoot } from './synth';

const minimums = loadBundleMinimums(repoRoot);

describe('bundle minimum versions: the checker', () => {
  it('compares versions numerically, a pre-release below its release', () => {
    expect(compareVersions('4.2.5', '5.11.1')).toBeLessThan(0);
    expect(compareVersions('5.12.1', '5.11.1')).toBeGreaterThan(0);
    expect(compareVersions('11.1.1', '9.0.1')).toBeGreaterThan(0);
    expect(compareVersions('4.4.0-beta.1', '4.4.0')).toBeLessThan(0);
    expect(compareVersions('4.4.0', '4.4.0')).toBe(0);
  });

  it('finds the innermost package of a nested path', () => {
    expect(packageDirOf('node_modules/@aws-sdk/client-mgn/node_modules/uuid/dist/esm/v4.js')).toEqual({ name: 'uuid', dir: 'node_modules/@aws-sdk/client-mgn/node_modules/uuid' });
    expect(packageDirOf('node_modules/@smithy/config-resolver/dist-es/index.js')).toEqual({ name: '@smithy/config-resolver', dir: 'node_modules/@smithy/config-resolver' });
    expect(packageDirOf('functions/lib/flow/launch.ts')).toBeUndefined();
  });

  it('names every bundled package below its minimum, with the advisories', () => {
    const metafile: BundleMetafile = {
      inputs: {
        'functions/launch-test/handler.ts': {},
        'node_modules/fast-xml-parser/src/xmlparser/XMLParser.js': {},
        'node_modules/@aws-sdk/client-mgn/node_modules/uuid/dist/esm/v4.js': {},
        'node_modules/uuid/dist/esm/v4.js': {},
        'node_modules/zod/v4/core/schemas.js': {},
      },
    };
    const versions: Record<string, string> = {
      'node_modules/fast-xml-parser': '4.2.5',
      'node_modules/@aws-sdk/client-mgn/node_modules/uuid': '9.0.1',
      'node_modules/uuid': '11.1.1',
      'node_modules/zod': '4.6.7',
    };
    const problems = belowMinimum(bundledPackages(metafile, (dir) => versions[dir]), minimums);
    expect(problems).toEqual([
      expect.stringMatching(/^fast-xml-parser@4\.2\.5 \(node_modules\/fast-xml-parser\) is below 5\.11\.1: GHSA-m7jm-9gc2-mpf2/),
      expect.stringMatching(/^uuid@9\.0\.1 \(node_modules\/@aws-sdk\/client-mgn\/node_modules\/uuid\) is below 11\.1\.1: GHSA-w5hq-g745-h8pq/),
    ]);
  });
});

describe('bundle minimum versions: the real bundles', () => {
  let out: string;
  beforeAll(() => {
    out = mkdtempSync(join(tmpdir(), 'mgn-bundles-'));
    // the same build as `npm run build`, into a temporary folder
    execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `import { buildLambdas } from ${JSON.stringify(join(repoRoot, 'esbuild.config.mjs'))}; await buildLambdas({ outdir: ${JSON.stringify(out)} });`],
      { cwd: repoRoot, stdio: 'pipe' },
    );
  }, 300_000);
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('contain no package below its minimum (lift it with package.json overrides)', () => {
    const names = readdirSync(out).filter((name) => existsSync(join(out, name, 'meta.json')));
    expect(names.length).toBeGreaterThanOrEqual(13);
    const problems: string[] = [];
    const watched = new Set<string>();
    for (const name of names) {
      const metafile = JSON.parse(readFileSync(join(out, name, 'meta.json'), 'utf8')) as BundleMetafile;
      const packages = bundledPackages(metafile, versionReader(repoRoot));
      for (const p of packages) if (minimums.packages[p.name]) watched.add(p.name);
      problems.push(...belowMinimum(packages, minimums).map((line) => `${name}: ${line}`));
    }
    expect(problems).toEqual([]);
    // the guard is not vacuous: the MGN client still brings the watched packages into the bundles
    expect([...watched].sort()).toEqual(expect.arrayContaining(['@smithy/config-resolver', 'uuid']));
  });
});

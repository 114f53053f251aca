/**
 * The bundle version guard: every package a Lambda bundle contains (read from esbuild's metafile,
 * `dist/functions/<step>/meta.json`) must be at or above the minimum infra/bundle-minimums.json names
 * for it. The AWS SDK is bundled, not taken from the runtime, so an old transitive dependency (the
 * MGN client 3.523.0 brings its own STS client, fast-xml-parser, uuid and @smithy 2.x packages)
 * ships in the function code unless package.json `overrides` lift it; this guard fails the build
 * when one slips back in.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface BundleMinimums {
  readonly packages: Readonly<Record<string, { readonly minimum: string; readonly advisories?: readonly string[] }>>;
}

/** The part of an esbuild metafile the guard reads: the bundled input files. */
export interface BundleMetafile {
  readonly inputs: Readonly<Record<string, unknown>>;
}

export interface BundledPackage {
  readonly name: string;
  /** the package's folder relative to the project root (…/node_modules/<name>) */
  readonly dir: string;
  readonly version: string;
}

export const loadBundleMinimums = (root: string): BundleMinimums =>
  JSON.parse(readFileSync(join(root, 'infra', 'bundle-minimums.json'), 'utf8')) as BundleMinimums;

/** The innermost package folder of a bundled input path, or undefined for our own files. */
export function packageDirOf(input: string): { name: string; dir: string } | undefined {
  const at = input.lastIndexOf('node_modules/');
  if (at < 0) return undefined;
  const rest = input.slice(at + 'node_modules/'.length).split('/');
  const name = rest[0].startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
  return { name, dir: `${input.slice(0, at)}node_modules/${name}` };
}

/** Every package (name, folder, version) a bundle contains; `versionOf` reads the folder's package.json. */
export function bundledPackages(metafile: BundleMetafile, versionOf: (dir: string) => string): BundledPackage[] {
  const seen = new Map<string, BundledPackage>();
  for (const input of Object.keys(metafile.inputs)) {
    const pkg = packageDirOf(input);
    if (pkg && !seen.has(pkg.dir)) seen.set(pkg.dir, { ...pkg, version: versionOf(pkg.dir) });
  }
  return [...seen.values()];
}

/** Compares two plain semver versions (x.y.z, a pre-release counts below its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core, pre] = v.split('-', 2);
    return { parts: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < 3; i++) if ((x.parts[i] ?? 0) !== (y.parts[i] ?? 0)) return (x.parts[i] ?? 0) - (y.parts[i] ?? 0);
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre < y.pre ? -1 : 1;
}

/** One line per bundled package below its minimum: `<name>@<version> (<dir>) is below <minimum>: <advisories>`. */
export function belowMinimum(packages: readonly BundledPackage[], minimums: BundleMinimums): string[] {
  return packages.flatMap((p) => {
    const rule = minimums.packages[p.name];
    if (!rule || compareVersions(p.version, rule.minimum) >= 0) return [];
    return [`${p.name}@${p.version} (${p.dir}) is below ${rule.minimum}: ${(rule.advisories ?? []).join('; ')}`];
  });
}

/** Reads the version of a package folder under `root`. */
export const versionReader = (root: string) => (dir: string): string =>
  (JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8')) as { version: string }).version;

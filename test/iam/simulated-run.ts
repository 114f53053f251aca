/**
 * Runs example waves on the simulator in-process and hands back every AWS call the emulator served,
 * each tied to the Lambda step that made it (the trace's `caller`, set by the runner from the
 * invocation that owns the request's socket), together with the environment the handlers saw and
 * what the emulator knows about the resources the calls named (tags, launch templates).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeployConfig } from '../../infra/config';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { ENV } from '../../functions/lib/steps';
import type { Emulator, TraceEntry } from '../../simulator/emulator';
import {
  SIMULATOR_DEFAULTS,
  simulate,
  startRealEmulator,
  type EmulatorLike,
} from '../../simulator/runner/session';
import { parseScenario } from '../../simulator/scenario';

export const ROOT = join(__dirname, '..', '..');

export interface ObservedCall {
  /** The step (Lambda function) whose invocation made the call. */
  readonly step: string;
  /** The emulator's service name (mgn, ssm, ec2, s3, sns, sts, ...). */
  readonly service: string;
  readonly operation: string;
  readonly region: string;
  /** The request as the emulator parsed it (query-protocol lists as arrays). */
  readonly params: Record<string, unknown>;
  /** "ok" or the error code answered. */
  readonly outcome: string;
  /** Where it was seen: "<scenario> #<seq>". */
  readonly seenIn: string;
}

/** What the emulator knows about resources, read after the run. */
export interface ResourceFacts {
  /** Tags of an MGN source server, an EC2 instance (by id); undefined when the emulator has none. */
  tagsOf(
    kind: 'source-server' | 'instance' | 'launch-template' | 'managed-instance',
    id: string,
  ): Readonly<Record<string, string>> | undefined;
  /** The EC2 launch template MGN created for a source server. */
  launchTemplateOf(sourceServerId: string): string | undefined;
  /**
   * The instance profile other than the stack's that the instance MGN launched for a source server
   * (test or cutover) carries; undefined for the stack's own profile or when none was launched.
   */
  ownProfileOf(sourceServerId: string, purpose: 'test' | 'cutover'): string | undefined;
}

/**
 * One simulation the check runs: examples/scenarios/<file>.json with `extra` fields merged in, of
 * the example wave with `options` merged into its manifest's options (e.g. quiesce).
 */
export interface ScenarioRun {
  readonly name: string;
  readonly file: string;
  readonly extra?: Readonly<Record<string, unknown>>;
  readonly options?: Readonly<Record<string, unknown>>;
  /** Server name -> the launch.instanceProfile it names (a profile of your own). */
  readonly instanceProfiles?: Readonly<Record<string, string>>;
}

export interface SimulatedRun {
  readonly scenario: string;
  readonly exitCode: number;
  /** Every execution of the wave, in order: [status, error or undefined]. */
  readonly executions: readonly (readonly [string, string | undefined])[];
  readonly calls: readonly ObservedCall[];
  /** Calls no invocation owned: only the session's own report reads may be here. */
  readonly unattributed: readonly TraceEntry[];
  /** The step environment the session gave the handlers (ENV names only). */
  readonly env: Readonly<Record<string, string>>;
  readonly facts: ResourceFacts;
  /** The simulated account, as the session names it in ARNs. */
  readonly simulatedAccount: string;
}

const readJson = (path: string): unknown => JSON.parse(readFileSync(join(ROOT, path), 'utf8'));

/**
 * The example wave made to fit a deploy config: its target region becomes the stack's region (with
 * the endpoints' DNS names moved there), and an EC2 source in a region the config does not list
 * as a source region becomes a same-region source. A real wave for that stack could not be
 * otherwise: the stack sends Run Command only to its own region and its configured source regions.
 */
export function waveForDeployConfig(manifest: WaveManifest, config: DeployConfig): WaveManifest {
  const from = manifest.targetRegion;
  const to = config.region;
  const sourceRegions = new Set([to, ...config.sourceRegions.map((s) => s.region)]);
  const moveDns = (dns: string) => dns.split(`.${from}.`).join(`.${to}.`);
  return parseManifest({
    ...manifest,
    targetRegion: to,
    endpoints: Object.fromEntries(
      Object.entries(manifest.endpoints).map(([k, v]) => [k, typeof v === 'string' ? moveDns(v) : v]),
    ),
    servers: manifest.servers.map((s) =>
      s.source.type === 'ec2' && !sourceRegions.has(s.source.region)
        ? { ...s, source: { ...s.source, region: to } }
        : s,
    ),
  });
}

/** The wave with the run's option and instance-profile overrides. */
function withRun(manifest: WaveManifest, run: ScenarioRun): WaveManifest {
  if (!run.options && !run.instanceProfiles) return manifest;
  const profiles = run.instanceProfiles ?? {};
  return parseManifest({
    ...manifest,
    options: { ...manifest.options, ...run.options },
    servers: manifest.servers.map((s) => (profiles[s.name] ? { ...s, launch: { ...s.launch, instanceProfile: profiles[s.name] } } : s)),
  });
}

export const exampleWave = (): WaveManifest => parseManifest(readJson('examples/waves/wave-12-mixed.json'));

/**
 * One simulation of `manifest` under examples/scenarios/<file>.json (plus the run's extra fields).
 *
 * DEPLOY CONFIG HOOK: the session does not take a deploy config yet (the simulated network,
 * endpoints and launch defaults will come from it). When `SimulateOptions` gains it, pass
 * `deployConfig` in the `simulate({...})` call below; nothing else here changes, because the
 * concrete names the policies are resolved with are read from the environment the session gives
 * the handlers (see stack-policies.ts), not assumed.
 */
export async function simulateWave(
  manifest: WaveManifest,
  run: ScenarioRun,
  deployConfig: DeployConfig,
): Promise<SimulatedRun> {
  const scenario = run.name;
  let emulator: Emulator | undefined;
  let env: Record<string, string> | undefined;
  const session = await simulate({
    deployConfig,
    manifests: [withRun(manifest, run)],
    scenario: parseScenario({ ...(readJson(`examples/scenarios/${run.file}.json`) as object), ...run.extra }),
    emulator: async (options) => {
      const started = await startRealEmulator(options);
      emulator = started as EmulatorLike & Emulator;
      return started;
    },
    // Called while the session's environment is in place: the values the handlers read.
    onProgress: () => {
      if (env) return;
      env = {};
      for (const name of Object.values(ENV) as string[]) {
        const value = process.env[name];
        if (value !== undefined) env[name] = value;
      }
    },
  });
  if (!emulator || !env)
    throw new Error(`scenario ${scenario}: the session started no emulator or ran no state`);
  const entries = emulator.trace.entries;
  const calls: ObservedCall[] = [];
  const unattributed: TraceEntry[] = [];
  for (const e of entries) {
    if (!e.caller?.step) {
      unattributed.push(e);
      continue;
    }
    calls.push({
      step: e.caller.step,
      service: e.service,
      operation: e.operation,
      region: e.region,
      params: (e.params ?? {}) as Record<string, unknown>,
      outcome: e.outcome,
      seenIn: `${scenario} #${e.seq}`,
    });
  }
  return {
    scenario,
    exitCode: session.waves[0].exitCode,
    executions: (session.waves[0].report.executions ?? []).map((e) => [e.status, e.error] as const),
    calls,
    unattributed,
    env,
    facts: factsOf(emulator),
    simulatedAccount: SIMULATOR_DEFAULTS.accountId,
  };
}

/** The tag MGN puts on the EC2 resources it creates and manages (launch templates, launched instances). */
export const MGN_MANAGED_TAG = {
  key: 'AWSApplicationMigrationServiceManaged',
  value: 'mgn.amazonaws.com',
} as const;

/** The emulator's fleet, read after the run (the one place that knows its shape). */
function factsOf(emulator: Emulator): ResourceFacts {
  const fleet = emulator.fleet;
  // Launch templates are modelled by the emulator from the launch-settings work on; until then a
  // template MGN created for a source server carries the tag MGN gives every template it creates.
  const modelled = (fleet as unknown as { launchTemplates?: Map<string, { tags?: Record<string, string> }> })
    .launchTemplates;
  const mgnTemplates = () => new Set([...fleet.sourceServers.values()].map((s) => s.launchTemplateId));
  return {
    tagsOf: (kind, id) => {
      if (kind === 'source-server') return fleet.sourceServers.get(id)?.tags;
      if (kind === 'instance') return fleet.instances.get(id)?.tags;
      if (kind === 'managed-instance') return fleet.managedInstanceTags(id);
      if (modelled) return modelled.get(id)?.tags;
      return mgnTemplates().has(id) ? { [MGN_MANAGED_TAG.key]: MGN_MANAGED_TAG.value } : undefined;
    },
    launchTemplateOf: (id) => fleet.sourceServers.get(id)?.launchTemplateId,
    ownProfileOf: (id, purpose) => {
      const profile = [...fleet.instances.values()].filter((i) => i.sourceServerId === id && i.purpose === purpose).map((i) => i.iamInstanceProfile?.name).at(-1);
      return profile === fleet.targetNetwork.stack?.launchedInstanceProfileName ? undefined : profile;
    },
  };
}

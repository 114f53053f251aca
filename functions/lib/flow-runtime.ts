/**
 * How a Lambda step is wired: environment parsed once (fail-fast), adapters over SDK clients that are
 * built once per region and reused across invocations, the Powertools logger keyed by wave.
 *
 * Each handler passes the adapters of the services its step calls (functions/lib/steps.ts actions),
 * so its bundle holds only those SDK clients: this file imports no SDK client but S3's, which every
 * step uses for the wave's records.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { homeRegion } from './adapters/client-config';
import { S3WaveStore, s3ClientFor } from './adapters/s3-wave-store';
import { socketNetwork } from './adapters/tcp-probe';
import { now } from './clock';
import { ConfigurationError } from './errors';
import type { Ec2Port, ExecutionsPort, FlowConfig, FlowDeps, MgnPort, NetworkPort, NotifierPort, QuotasPort, SsmPort, StsPort } from './ports';
import { observeStep } from './observability';
import { ENV } from './steps';
import { parseAllowedTag } from './allowed-tag';
import { parseWaveContext, type WaveContext } from './wave-context';

/** Document names the simulator's emulator and the CDK stack use unless told otherwise (CONTRACTS.md). */
export const DEFAULT_DOCUMENTS = {
  precheck: 'MgnOrchestrator-Precheck',
  linuxInstall: 'MgnOrchestrator-InstallLinux',
  windowsInstall: 'MgnOrchestrator-InstallWindows',
} as const;

export function flowConfig(env: NodeJS.ProcessEnv = process.env): FlowConfig {
  const waveBucket = env[ENV.waveBucket];
  if (!waveBucket) throw new ConfigurationError(`${ENV.waveBucket} is not set`);
  const optional = (name: string) => (env[name] && env[name]!.trim() !== '' ? env[name]!.trim() : undefined);
  const list = (name: string) =>
    (optional(name) ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== '');
  return {
    waveBucket,
    topicArn: optional(ENV.topicArn),
    stagingSubnetId: optional(ENV.stagingSubnetId),
    replicationSecurityGroupId: optional(ENV.replicationSecurityGroupId),
    installerRoleArn: optional(ENV.installerRoleArn),
    precheckDocument: optional(ENV.precheckDocument) ?? DEFAULT_DOCUMENTS.precheck,
    linuxInstallDocument: optional(ENV.linuxInstallDocument) ?? DEFAULT_DOCUMENTS.linuxInstall,
    windowsInstallDocument: optional(ENV.windowsInstallDocument) ?? DEFAULT_DOCUMENTS.windowsInstall,
    preflightEndpoints: list(ENV.preflightEndpoints),
    testSubnetIds: list(ENV.testSubnetIds),
    cutoverSubnetIds: list(ENV.cutoverSubnetIds),
    targetSecurityGroupId: optional(ENV.targetSecurityGroupId),
    launchedInstanceProfileName: optional(ENV.launchedInstanceProfileName),
    launchInstanceProfiles: list(ENV.launchInstanceProfiles),
    allowedTag: parseAllowedTag(optional(ENV.allowedTag)),
    installerCredentialsKey: optional(ENV.installerCredentialsKey),
  };
}

const missingTopic: NotifierPort = {
  publish: () => Promise.reject(new ConfigurationError(`${ENV.topicArn} is not set`)),
};

/** The AWS adapters a step is built with, by service; each builds (or reuses) the port for a region. */
export interface StepAdapters {
  readonly mgn?: (region: string) => MgnPort;
  readonly ssm?: (region: string) => SsmPort;
  readonly ec2?: (region: string) => Ec2Port;
  readonly sts?: (region: string) => StsPort;
  /** Service Quotas in the wave's target region (the replicating-servers quota) */
  readonly quotas?: (region: string) => QuotasPort;
  readonly notifier?: (region: string, topicArn: string) => NotifierPort;
  /** Step Functions in the function's own region (the wave lock asks it about the lock's holder) */
  readonly executions?: (region: string) => ExecutionsPort;
}

/** A port of a service the step was not built with: any call is a wiring mistake, named as such. */
function notBuiltWith<T extends object>(service: string): T {
  return new Proxy({} as T, {
    get: (_target, method) => () => {
      throw new ConfigurationError(`this step is not built with the ${service} adapter (called ${service}.${String(method)}); add it to the handler's adapters and its actions to functions/lib/steps.ts`);
    },
  });
}

let config: FlowConfig | undefined;
let network: NetworkPort = socketNetwork;

/**
 * For the in-process simulator: answer the steps' TCP/HTTP probes from a model of the fleet instead
 * of real sockets (undefined: back to the real network). A Lambda never calls it.
 */
export function useNetwork(port: NetworkPort | undefined): void {
  network = port ?? socketNetwork;
}

/** The ports for a wave whose MGN, EC2 and target-region SSM live in targetRegion (SSM and EC2 of other regions on demand); `adapters` are the step's services. */
export function flowDeps(targetRegion: string, log: Logger, adapters: StepAdapters = {}): FlowDeps {
  config ??= flowConfig();
  const home = homeRegion();
  const topicArn = config.topicArn;
  return {
    mgn: adapters.mgn ? adapters.mgn(targetRegion) : notBuiltWith<MgnPort>('mgn'),
    quotas: adapters.quotas ? adapters.quotas(targetRegion) : notBuiltWith<QuotasPort>('servicequotas'),
    ssm: adapters.ssm ?? (() => notBuiltWith<SsmPort>('ssm')),
    ec2: adapters.ec2 ? adapters.ec2(targetRegion) : notBuiltWith<Ec2Port>('ec2'),
    ec2In: adapters.ec2 ?? (() => notBuiltWith<Ec2Port>('ec2')),
    sts: adapters.sts ? adapters.sts(home) : notBuiltWith<StsPort>('sts'),
    notifier: !adapters.notifier ? notBuiltWith<NotifierPort>('sns') : topicArn ? adapters.notifier(home, topicArn) : missingTopic,
    store: new S3WaveStore(s3ClientFor(home), config.waveBucket),
    executions: adapters.executions ? adapters.executions(home) : notBuiltWith<ExecutionsPort>('states'),
    network,
    now,
    log,
    config,
  };
}

/** For the simulator and tests: forget the parsed environment so the next invocation reads it again. */
export const resetFlowConfig = (): void => {
  config = undefined;
};

/** The name of the step's function (its X-Ray subsegment); "step" outside Lambda. */
const functionName = () => process.env.AWS_LAMBDA_FUNCTION_NAME ?? 'step';

/** The usual step: wave context in, wave context out; its metrics and trace (observability.ts) around it. */
export function waveStep(logger: Logger, core: (ctx: WaveContext, deps: FlowDeps) => Promise<WaveContext>, adapters: StepAdapters = {}) {
  return async (event: unknown): Promise<WaveContext> => {
    const ctx = parseWaveContext(event);
    logger.appendKeys({ waveId: ctx.waveId, runId: ctx.runId });
    return observeStep(
      functionName(),
      ctx,
      (metrics) => core(ctx, { ...flowDeps(ctx.targetRegion, logger, adapters), metrics }),
      (out) => out,
    );
  };
}


/**
 * How a Lambda step is wired: environment parsed once (fail-fast), adapters over SDK clients that are
 * built once per region and reused across invocations, the Powertools logger keyed by wave.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { SdkEc2Port } from './adapters/ec2';
import { homeRegion } from './adapters/client-config';
import { SdkMgnPort } from './adapters/mgn';
import { S3WaveStore, s3ClientFor } from './adapters/s3-wave-store';
import { SnsNotifier, snsClientFor } from './adapters/sns';
import { SdkSsmPort } from './adapters/ssm';
import { SdkStsPort } from './adapters/sts';
import { tcpNetwork } from './adapters/tcp-probe';
import { now } from './clock';
import { ConfigurationError } from './errors';
import type { FlowConfig, FlowDeps, NotifierPort } from './ports';
import { ENV } from './steps';
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
  return {
    waveBucket,
    topicArn: optional(ENV.topicArn),
    stagingSubnetId: optional(ENV.stagingSubnetId),
    replicationSecurityGroupId: optional(ENV.replicationSecurityGroupId),
    installerRoleArn: optional(ENV.installerRoleArn),
    precheckDocument: optional(ENV.precheckDocument) ?? DEFAULT_DOCUMENTS.precheck,
    linuxInstallDocument: optional(ENV.linuxInstallDocument) ?? DEFAULT_DOCUMENTS.linuxInstall,
    windowsInstallDocument: optional(ENV.windowsInstallDocument) ?? DEFAULT_DOCUMENTS.windowsInstall,
    preflightEndpoints: (optional(ENV.preflightEndpoints) ?? '')
      .split(',')
      .map((h) => h.trim())
      .filter((h) => h !== ''),
  };
}

const missingTopic: NotifierPort = {
  publish: () => Promise.reject(new ConfigurationError(`${ENV.topicArn} is not set`)),
};

let config: FlowConfig | undefined;

/** The ports for a wave whose MGN, EC2 and target-region SSM live in targetRegion. */
export function flowDeps(targetRegion: string, log: Logger): FlowDeps {
  config ??= flowConfig();
  const home = homeRegion();
  return {
    mgn: SdkMgnPort.forRegion(targetRegion),
    ssm: (region) => SdkSsmPort.forRegion(region),
    ec2: SdkEc2Port.forRegion(targetRegion),
    sts: SdkStsPort.forRegion(home),
    notifier: config.topicArn ? new SnsNotifier(snsClientFor(home), config.topicArn) : missingTopic,
    store: new S3WaveStore(s3ClientFor(home), config.waveBucket),
    network: tcpNetwork,
    now,
    log,
    config,
  };
}

/** For the simulator and tests: forget the parsed environment so the next invocation reads it again. */
export const resetFlowConfig = (): void => {
  config = undefined;
};

/** The usual step: wave context in, wave context out. */
export function waveStep(logger: Logger, core: (ctx: WaveContext, deps: FlowDeps) => Promise<WaveContext>) {
  return async (event: unknown): Promise<WaveContext> => {
    const ctx = parseWaveContext(event);
    logger.appendKeys({ waveId: ctx.waveId, runId: ctx.runId });
    return core(ctx, flowDeps(ctx.targetRegion, logger));
  };
}

/**
 * A simulation session: one emulator, one virtual clock, every wave of the session running
 * concurrently through the state machine with the handlers in-process, then one report per wave.
 *
 * The emulator is reached through `EmulatorLike` (the only place that knows about it), so tests can
 * pass a fake and the real one is started by `startEmulator` from simulator/emulator.
 */
import { formatAllowedTag } from '../../functions/lib/allowed-tag';
import { installerCredentialsKeyAlias } from '../../functions/lib/installer-credentials';
import { documentNamesFor } from '../../functions/lib/installer';
import '../polyfills';
import { mkdirSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { VirtualClock } from '../clock';
import type { WaveManifest } from '../../functions/lib/manifest';
import { ENV } from '../../functions/lib/steps';
import { EMULATOR_CREDENTIALS } from '../emulator/auth';
import type { DeployConfig } from '../../infra/config';
import type { NetworkProbe } from '../emulator/probes';
import { defaultDeployConfig, networkFromDeployConfig, type StackNetwork } from '../network';
import { FixedDelayRetryStrategy, SDK_RETRY_DELAY_ENV } from '../../functions/lib/adapters/client-config';
import { PHASES, type PhaseName, type Scenario } from '../scenario';
import { renderReportHtml } from '../report/html';
import type { ServerReport, SimulationReport, SimulationStats, WaveOutcome, WaveReport } from '../report/types';
import { loadDefinition, type SubstitutionConfig } from './definition';
import { HandlerResolver, PROJECT_ROOT, type HandlerMap } from './handlers';
import { approvalAnswers, runWave, seededRandom, StateMachineRunner, type ExecutionListener, type ExecutionObserver, type ExecutionResult, type RequestCaller, type WaveRunResult } from './runner';
import { VirtualScheduler } from './scheduler';
import { countApiCalls, launchesByServer, readTrace, recordsOfWave, summarizeJobs, traceEntries } from './trace';
import { useVirtualDate } from './virtual-date';
import { captureLambdaLogs } from './lambda-logs';

/** Per-lifecycle-state server counts and replication progress the emulator may offer for the progress display. */
export interface FleetStatus {
  readonly lifecycle: Readonly<Record<string, number>>;
  /** 0..100 over the wave's replicating servers */
  readonly replicationPercent?: number;
}

/** What the session needs from the emulator. */
export interface EmulatorLike {
  readonly url: string;
  readonly clock: VirtualClock;
  /** The requests served: an array, an iterable, or an object with records/entries (see trace.ts). */
  readonly trace: unknown;
  addWave(manifest: WaveManifest, scenario?: Scenario): unknown;
  close(): unknown;
  nextEventTime?(): number | undefined;
  /** TCP/HTTP probes from the verify step answered by the emulated fleet (functions/lib/ports.ts NetworkPort). */
  readonly network?: NetworkProbe;
  fleetStatus?(waveId: string): FleetStatus | undefined;
  /** Account-wide maximum, if the emulator measures it itself (preferred over the trace's estimate). */
  maxServersInActiveJobs?(): number;
  /** Step Functions' record of executions (DescribeExecution), if the emulator keeps one: the runner reports to it. */
  readonly executions?: ExecutionListener;
}

export interface EmulatorStartOptions {
  readonly scenario: Scenario;
  readonly seed: number;
  readonly waveBucket: string;
  readonly notificationTopicArn: string;
  readonly accountId: string;
  readonly documents: { readonly precheck: string; readonly linuxInstall: string; readonly windowsInstall: string };
  /** The deploy config whose network the target region has (the session's handlers get the same stack's ids). */
  readonly deployConfig: DeployConfig;
  /** Where the stack's SSM documents exist: the deployment's target region and source regions (its deploy config). */
  readonly documentRegions: { readonly targetRegion: string; readonly sourceRegions: readonly string[] };
  /** Chaos: an answer slower than the Lambda timeout; true when the invocation behind the client port was timed out. */
  readonly onSlowResponse?: (clientPort: number) => boolean;
  /** Which execution and step sent the request on a client port (the trace records it). */
  readonly callerOf?: (clientPort: number) => RequestCaller | undefined;
}

export type EmulatorFactory = (options: EmulatorStartOptions) => Promise<EmulatorLike>;

/** The real emulator, loaded only when a session needs it (so runner tests with fakes stay light). */
export const startRealEmulator: EmulatorFactory = async (options) => {
  const { startEmulator } = require('../emulator') as typeof import('../emulator');
  const emulator = await startEmulator({
    port: 0,
    scenario: { ...options.scenario, seed: options.seed },
    documents: options.documents,
    documentRegions: options.documentRegions,
    buckets: [options.waveBucket],
    onSlowResponse: options.onSlowResponse,
    callerOf: options.callerOf,
    deployConfig: options.deployConfig,
  });
  const like = emulator as unknown as EmulatorLike;
  // Measured by the fleet itself: the trace holds no DescribeJobs answers to see when a job completed.
  like.maxServersInActiveJobs = () => emulator.fleet.maxServersInActiveJobs();
  return like;
};

export const SIMULATOR_DEFAULTS = {
  accountId: '123456789012',
  waveBucket: 'mgn-orchestrator-waves-123456789012',
  topicName: 'mgn-orchestrator-notifications',
  documents: { precheck: 'MgnOrchestrator-Precheck', linuxInstall: 'MgnOrchestrator-InstallLinux', windowsInstall: 'MgnOrchestrator-InstallWindows' },
  sdkMaxAttempts: 3,
} as const;

/** Manifests larger than this travel by reference (CONTRACTS.md: `{ manifestLocation }`). */
const INLINE_MANIFEST_LIMIT = 200_000;

export interface WaveProgress {
  readonly waveId: string;
  readonly execution: string;
  readonly state: string;
  readonly lastCompletedPhase?: PhaseName;
  readonly simulatedSeconds: number;
  /** The wave's fleet as the emulator sees it, when it offers fleetStatus. */
  readonly fleet?: FleetStatus;
}

export interface SimulateOptions {
  readonly manifests: readonly WaveManifest[];
  readonly scenario: Scenario;
  /**
   * The deploy config of the simulated account's network (infra/config.ts, parsed); it must deploy to
   * the waves' target region. Default: examples/deploy/cross-region.json (moved to that region).
   */
  readonly deployConfig?: DeployConfig;
  readonly seed?: number;
  /** Where to write <waveId>/report.json, <waveId>/report.html and trace.jsonl; nothing written when omitted. */
  readonly outDir?: string;
  /** Injected handlers (state name, Resource or step name); the real functions/<step>/handler.ts otherwise. */
  readonly handlers?: HandlerMap;
  readonly definitionPath?: string;
  readonly emulator?: EmulatorFactory;
  /** Make Date read the virtual clock during the session (default true). */
  readonly virtualDate?: boolean;
  readonly sdkMaxAttempts?: number;
  readonly onProgress?: (progress: WaveProgress) => void;
  /** Sees every history event of every execution (state inputs and outputs), as the console's execution history would. */
  readonly onHistoryEvent?: (execution: string, event: unknown) => void;
}

export interface WaveResult {
  readonly waveId: string;
  readonly report: SimulationReport;
  /** 0 the wave completed and no server failed (every server migrated, or stopped where options.phases said), 3 some failed or the wave was rejected, 1 the orchestrator failed. */
  readonly exitCode: 0 | 1 | 3;
}

export interface SimulationSession {
  readonly waves: readonly WaveResult[];
  /** The emulator of the session, already closed; kept so callers can read its trace. */
  readonly emulatorUrl: string;
  /** Every Powertools log line the handlers wrote (the simulated CloudWatch log groups); also <outDir>/lambda-logs.jsonl. */
  readonly lambdaLogs: readonly string[];
  /** The ids of everything the simulated stack created (also report.json `network`). */
  readonly network: StackNetwork;
}

/** A TCP listener on loopback standing in for the orchestrator's VPC endpoints on 443. */
async function openPreflightListener(): Promise<{ server: Server; hostPort: string; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    server,
    hostPort: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function withEnv(values: Record<string, string | undefined>): () => void {
  const saved = new Map<string, string | undefined>();
  for (const [k, v] of Object.entries(values)) {
    saved.set(k, process.env[k]);
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
  return () => {
    for (const [k, v] of saved) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

/**
 * The handlers keep SDK clients (built with the endpoints of the environment they first saw) and their
 * parsed environment for the life of the process, as in a Lambda container. A session brings its own
 * emulator, preflight listener and environment, so both are forgotten when it starts and when it ends.
 */
function resetHandlerCaches(): void {
  const { resetClients } = require('../../functions/lib/adapters/client-config') as typeof import('../../functions/lib/adapters/client-config');
  const { resetFlowConfig } = require('../../functions/lib/flow-runtime') as typeof import('../../functions/lib/flow-runtime');
  resetClients();
  resetFlowConfig();
}

/**
 * The verify step's probes of launched instances are answered by the emulated fleet; only loopback
 * (the session's own preflight listener) is reached with real sockets. A private address is never
 * dialled for real: the simulated instances exist only in the emulator.
 */
function simulatedNetwork(fleet: NetworkProbe): NetworkProbe {
  const { socketNetwork } = require('../../functions/lib/adapters/tcp-probe') as typeof import('../../functions/lib/adapters/tcp-probe');
  const loopback = (host: string) => host === 'localhost' || /^127\./.test(host) || host === '::1' || host === '[::1]';
  const hostOf = (url: string) => {
    try {
      return new URL(url).hostname;
    } catch {
      return '';
    }
  };
  return {
    tcpProbe: (host, port, timeoutMs) => (loopback(host) ? socketNetwork.tcpProbe(host, port, timeoutMs) : fleet.tcpProbe(host, port, timeoutMs)),
    httpProbe: (url, timeoutMs) => (loopback(hostOf(url)) ? socketNetwork.httpProbe(url, timeoutMs) : fleet.httpProbe(url, timeoutMs)),
  };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A step output that completes `phase` or a later one (the approval task's answer completes "approval"). */
function reachedPhase(output: unknown, phase: PhaseName): boolean {
  if (!isObject(output) || typeof output.lastCompletedPhase !== 'string') return false;
  return PHASES.indexOf(output.lastCompletedPhase as PhaseName) >= PHASES.indexOf(phase);
}

function looksLikeReport(v: unknown): v is WaveReport {
  return isObject(v) && typeof v.waveId === 'string' && typeof v.outcome === 'string' && Array.isArray(v.servers);
}

export const exitCodeFor = (report: Pick<WaveReport, 'outcome' | 'servers'>, orchestratorFailed: boolean): 0 | 1 | 3 => {
  if (orchestratorFailed) return 1;
  // A wave that stops before cutover on purpose (options.phases) leaves its servers "skipped", not failed.
  if (report.outcome === 'completed' && report.servers.every((s) => s.result !== 'failed')) return 0;
  return 3;
};

export async function simulate(options: SimulateOptions): Promise<SimulationSession> {
  const { manifests, scenario } = options;
  if (manifests.length === 0) throw new Error('simulate needs at least one manifest');
  const ids = manifests.map((m) => m.waveId);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup) throw new Error(`wave ${dup} is given twice; each concurrent wave needs its own waveId`);
  const regions = [...new Set(manifests.map((m) => m.targetRegion))];
  if (regions.length > 1)
    throw new Error(`concurrent waves must share one targetRegion in a simulation (the handlers run in one process with one AWS_REGION); got ${regions.join(', ')}`);
  const region = regions[0];
  if (options.deployConfig && options.deployConfig.region !== region)
    throw new Error(
      `the deploy config deploys to ${options.deployConfig.region} but the waves target ${region}; give a deploy config for ${region} (or manifests for ${options.deployConfig.region})`,
    );
  const deployConfig = options.deployConfig ?? defaultDeployConfig(region);
  // The same layout the emulator builds from the same config: the handlers get the stack's ids.
  const stack = networkFromDeployConfig(deployConfig, scenario.network).stack!;
  const seed = options.seed ?? scenario.seed ?? 1;
  // The stack names its Run Command documents after itself (functions/lib/installer.ts documentNamesFor).
  const documents = documentNamesFor(deployConfig.stackName);
  const accountId = SIMULATOR_DEFAULTS.accountId;
  const notificationTopicArn = `arn:aws:sns:${region}:${accountId}:${SIMULATOR_DEFAULTS.topicName}`;
  const waveBucket = SIMULATOR_DEFAULTS.waveBucket;

  // Where the stack's documents exist (infra/source-region-documents.ts): the target region and the
  // deploy config's sourceRegions. A session given a deploy config holds waves to it (a source region
  // it does not list answers InvalidDocument, as AWS would); with the default config, the regions of
  // the waves' EC2 sources stand in for a config written for them.
  const sourceRegions = options.deployConfig
    ? options.deployConfig.sourceRegions.map((r) => r.region)
    : [...new Set(manifests.flatMap((m) => m.servers.flatMap((s) => (s.source.type === 'ec2' ? [s.source.region] : []))))].filter((r) => r !== region);
  let slowAnswer: (clientPort: number) => boolean = () => false;
  let callerOf: (clientPort: number) => RequestCaller | undefined = () => undefined;
  const emulator = await (options.emulator ?? startRealEmulator)({
    documentRegions: { targetRegion: region, sourceRegions },
    onSlowResponse: (clientPort) => slowAnswer(clientPort),
    callerOf: (clientPort) => callerOf(clientPort),
    scenario,
    seed,
    waveBucket,
    notificationTopicArn,
    accountId,
    documents,
    deployConfig,
  });
  const cleanups: Array<() => unknown> = [() => emulator.close()];
  try {
    if (emulator.network) {
      const { useNetwork } = require('../../functions/lib/flow-runtime') as typeof import('../../functions/lib/flow-runtime');
      useNetwork(simulatedNetwork(emulator.network));
      cleanups.push(() => useNetwork(undefined));
    }
    for (const manifest of manifests) await emulator.addWave(manifest, scenario);
    const preflight = await openPreflightListener();
    cleanups.push(() => preflight.close());

    const ssmEndpoints: Record<string, string> = {};
    for (const r of sourceRegions) ssmEndpoints[r] = emulator.url;
    cleanups.push(
      withEnv({
        AWS_ENDPOINT_URL_MGN: emulator.url,
        AWS_ENDPOINT_URL_SSM: emulator.url,
        AWS_ENDPOINT_URL_EC2: emulator.url,
        AWS_ENDPOINT_URL_STS: emulator.url,
        AWS_ENDPOINT_URL_S3: emulator.url,
        AWS_ENDPOINT_URL_SNS: emulator.url,
        AWS_ENDPOINT_URL_SERVICE_QUOTAS: emulator.url,
        AWS_ENDPOINT_URL_SFN: emulator.url,
        AWS_REGION: region,
        AWS_DEFAULT_REGION: region,
        // the emulator checks every signature: the handlers sign with the credentials it knows
        AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
        AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
        AWS_SESSION_TOKEN: undefined,
        AWS_MAX_ATTEMPTS: String(options.sdkMaxAttempts ?? SIMULATOR_DEFAULTS.sdkMaxAttempts),
        // Retry throttled calls at once: SDK backoff would cost real seconds while the virtual clock stands still.
        [SDK_RETRY_DELAY_ENV]: '0',
        [ENV.waveBucket]: waveBucket,
        [ENV.topicArn]: notificationTopicArn,
        [ENV.stagingSubnetId]: stack.stagingSubnetId,
        [ENV.replicationSecurityGroupId]: stack.securityGroupIds.replication,
        [ENV.testSubnetIds]: stack.subnetIds.test.join(','),
        [ENV.cutoverSubnetIds]: stack.subnetIds.cutover.join(','),
        [ENV.targetSecurityGroupId]: stack.securityGroupIds.target,
        [ENV.launchedInstanceProfileName]: stack.launchedInstanceProfileName,
        [ENV.installerRoleArn]: `arn:aws:iam::${accountId}:role/MgnOrchestratorInstaller`,
        [ENV.precheckDocument]: documents.precheck,
        [ENV.linuxInstallDocument]: documents.linuxInstall,
        [ENV.windowsInstallDocument]: documents.windowsInstall,
        [ENV.ssmEndpointsByRegion]: JSON.stringify(ssmEndpoints),
        [ENV.preflightEndpoints]: preflight.hostPort,
        [ENV.logLevel]: 'INFO',
        // as the stack sets them (infra/stack.ts): the deploy config's allowedTag and launchInstanceProfiles,
        // the installer-credentials key's alias
        [ENV.allowedTag]: formatAllowedTag(deployConfig.allowedTag),
        [ENV.launchInstanceProfiles]: deployConfig.launchInstanceProfiles.map((p) => p.name).join(','),
        [ENV.installerCredentialsKey]: installerCredentialsKeyAlias(deployConfig.stackName),
      }),
    );
    resetHandlerCaches();
    cleanups.push(resetHandlerCaches);
    if (options.virtualDate !== false) cleanups.push(useVirtualDate(emulator.clock));
    const lambdaLogs = captureLambdaLogs(options.outDir ? join(options.outDir, 'lambda-logs.jsonl') : undefined);
    cleanups.push(() => lambdaLogs.restore());

    const substitution: SubstitutionConfig = { region, accountId, waveBucketName: waveBucket, notificationTopicArn };
    const prepared = loadDefinition(options.definitionPath ?? join(PROJECT_ROOT, 'statemachine', 'wave.asl.json'), substitution);
    const scheduler = new VirtualScheduler(emulator.clock, {
      nextEventTime: emulator.nextEventTime ? () => emulator.nextEventTime!() : undefined,
    });
    const waveOfExecution = new Map<string, string>();
    const lastPhase = new Map<string, PhaseName>();
    const sessionStart = emulator.clock.now();
    const emitProgress = (execution: string, state: string) => {
      const waveId = waveOfExecution.get(execution);
      if (!waveId || !options.onProgress) return;
      options.onProgress({
        waveId,
        execution,
        state,
        lastCompletedPhase: lastPhase.get(waveId),
        simulatedSeconds: emulator.clock.secondsSince(sessionStart),
        fleet: emulator.fleetStatus?.(waveId),
      });
    };
    const observer: ExecutionObserver = {
      onStateEntered: emitProgress,
      onHistoryEvent: options.onHistoryEvent,
      onTaskOutput: (execution, state, output) => {
        const waveId = waveOfExecution.get(execution);
        if (waveId && isObject(output) && typeof output.lastCompletedPhase === 'string') lastPhase.set(waveId, output.lastCompletedPhase as PhaseName);
        emitProgress(execution, state);
      },
    };
    const runner = new StateMachineRunner({
      prepared,
      scheduler,
      resolver: new HandlerResolver({ handlers: options.handlers }),
      approval: approvalAnswers(scenario.approval),
      lambdaErrorRate: scenario.chaos?.lambdaErrorRate,
      random: seededRandom(seed),
      region,
      accountId,
      stateMachineName: 'MgnWaveOrchestrator',
      observer,
      executions: emulator.executions,
    });
    slowAnswer = (clientPort) => runner.timeOutInvocationOnPort(clientPort);
    callerOf = (clientPort) => runner.callerOnPort(clientPort);
    // The session's own reads and writes are throttled like any other call: retry them at once, many times.
    const s3 = new S3Client({ region, endpoint: emulator.url, forcePathStyle: true, retryStrategy: new FixedDelayRetryStrategy(10, 0) });
    cleanups.push(() => s3.destroy());

    const interruptions = (scenario.interruptions ?? []).map((i) => i.afterPhase);
    const runs = await Promise.all(
      manifests.map(async (manifest) => {
        const wallStart = performance.now();
        const startMs = emulator.clock.now();
        let input: unknown = manifest;
        if (Buffer.byteLength(JSON.stringify(manifest)) > INLINE_MANIFEST_LIMIT) {
          const key = `waves/${manifest.waveId}/input/manifest.json`;
          await s3.send(new PutObjectCommand({ Bucket: waveBucket, Key: key, Body: JSON.stringify(manifest), ContentType: 'application/json' }));
          input = { manifestLocation: { bucket: waveBucket, key } };
        }
        const namePrefix = `${manifest.waveId}-sim`;
        for (let i = 1; i <= 21; i++) waveOfExecution.set(`${namePrefix}-${i}`, manifest.waveId);
        // scenario.secondStart: the same wave started again while (or after) the first execution runs
        const secondName = `${namePrefix}-second`;
        waveOfExecution.set(secondName, manifest.waveId);
        let second: Promise<ExecutionResult> | undefined;
        const onStepOutput = scenario.secondStart
          ? (output: unknown) => {
              if (!second && reachedPhase(output, scenario.secondStart!.afterPhase)) second = runner.start(input, { name: secondName }).done;
            }
          : undefined;
        const first = await runWave(runner, input, { namePrefix, interruptions, onStepOutput });
        // scenario.rerun (finalize gate): the wave run again once its run has ended, e.g. after a finalize rejection
        let primary = first;
        if (scenario.rerun) {
          for (let i = 1; i <= 21; i++) waveOfExecution.set(`${namePrefix}-rerun-${i}`, manifest.waveId);
          const again = await runWave(runner, input, { namePrefix: `${namePrefix}-rerun`, approval: approvalAnswers(scenario.rerun.approval) });
          primary = { executions: [...first.executions, ...again.executions], final: again.final };
        }
        const run: WaveRunResult = second ? { ...primary, executions: [...primary.executions, await second] } : primary;
        return { manifest, run, startMs, wallMs: performance.now() - wallStart };
      }),
    );

    // Numbers from the trace first, so the session's own report reads below are not counted.
    const records = readTrace(emulator.trace);
    const rawTrace = traceEntries(emulator.trace);
    const jobs = summarizeJobs(records);
    const maxServersInActiveJobs = emulator.maxServersInActiveJobs ? emulator.maxServersInActiveJobs() : jobs.maxServersInActiveJobs;
    const launches = launchesByServer(jobs.jobs);

    const waves: WaveResult[] = [];
    for (const { manifest, run, startMs, wallMs } of runs) {
      const waveRecords = recordsOfWave(records, manifest.waveId);
      const core = await finalReport(s3, waveBucket, manifest, run);
      const serverIds = new Set(core.report.servers.map((s) => s.sourceServerId).filter((id): id is string => !!id));
      const servers: ServerReport[] = core.report.servers.map((s) => {
        const seen = s.sourceServerId ? launches.get(s.sourceServerId) : undefined;
        return { ...s, launches: seen ?? s.launches ?? { test: 0, cutover: 0 } };
      });
      const waveJobs = jobs.jobs.filter((j) => (j.operation === 'StartTest' || j.operation === 'StartCutover') && j.servers.some((id) => serverIds.has(id)));
      const sum = (f: (c: WaveRunResult['executions'][number]['counters']) => number) => run.executions.reduce((n, e) => n + f(e.counters), 0);
      const stats: SimulationStats = {
        stateTransitions: sum((c) => c.stateTransitions),
        historyEvents: sum((c) => c.historyEvents),
        apiCalls: countApiCalls(waveRecords ?? records),
        apiCallsScope: waveRecords || manifests.length === 1 ? 'wave' : 'session',
        launchJobs: waveJobs.length,
        maxServersInActiveJobs,
        simulatedSeconds: (run.final.stopMs - startMs) / 1000,
        wallMs: Math.round(wallMs),
        maxPayloadBytes: Math.max(...run.executions.map((e) => e.counters.maxPayloadBytes)),
        executions: run.executions.length,
        retries: sum((c) => c.retries),
        lambdaErrorsInjected: run.executions.reduce((n, e) => n + e.lambdaErrorsInjected, 0),
      };
      const report: SimulationReport = {
        ...core.report,
        servers,
        stats,
        executions: run.executions.map((e) => ({
          name: e.name,
          status: e.status,
          error: e.error,
          cause: e.cause,
          interruptedAfterPhase: e.interruptedAfterPhase,
          stateTransitions: e.counters.stateTransitions,
          historyEvents: e.counters.historyEvents,
        })),
        error: core.orchestratorFailed ? { error: run.final.error ?? run.final.status, cause: run.final.cause ?? '' } : undefined,
        startedAt: new Date(startMs).toISOString(),
        network: stack,
      };
      waves.push({ waveId: manifest.waveId, report, exitCode: exitCodeFor(report, core.orchestratorFailed) });
    }

    if (options.outDir) {
      mkdirSync(options.outDir, { recursive: true });
      for (const wave of waves) {
        const dir = join(options.outDir, wave.waveId);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, 'report.json'), `${JSON.stringify(wave.report, null, 2)}\n`);
        writeFileSync(join(dir, 'report.html'), renderReportHtml(wave.report));
      }
      writeFileSync(join(options.outDir, 'trace.jsonl'), rawTrace.map((r) => JSON.stringify(r)).join('\n') + (rawTrace.length ? '\n' : ''));
    }
    return { waves, emulatorUrl: emulator.url, lambdaLogs: lambdaLogs.lines, network: stack };
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // closing is best effort: a failed close must not hide the session's own error
      }
    }
  }
}

/**
 * The report step's object: from the emulator's S3 (waves/<waveId>/runs/<runId>/report.json), else
 * from the final execution's output when that is a report. When the orchestrator failed before
 * writing one, every server of the manifest is listed as skipped and the outcome is "failed".
 */
async function finalReport(
  s3: S3Client,
  bucket: string,
  manifest: WaveManifest,
  run: WaveRunResult,
): Promise<{ report: WaveReport; orchestratorFailed: boolean }> {
  const runId = run.final.name;
  const orchestratorFailed = run.final.status !== 'SUCCEEDED';
  try {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `waves/${manifest.waveId}/runs/${runId}/report.json` }));
    const parsed: unknown = JSON.parse((await got.Body?.transformToString()) ?? '');
    if (looksLikeReport(parsed)) return { report: withTimelines(parsed), orchestratorFailed };
  } catch {
    // no report object: the run failed before the report step, or the report is in the output
  }
  const output = run.final.output;
  if (looksLikeReport(output)) return { report: withTimelines(output), orchestratorFailed };
  if (isObject(output) && looksLikeReport(output.report)) return { report: withTimelines(output.report), orchestratorFailed };
  const outcome: WaveOutcome = 'failed';
  return {
    report: {
      waveId: manifest.waveId,
      runId,
      outcome,
      servers: manifest.servers.map((s) => ({
        name: s.name,
        result: 'skipped',
        failure: { phase: 'report', reason: `the orchestrator failed before writing a report (${run.final.error ?? run.final.status})` },
        launches: { test: 0, cutover: 0 },
        timeline: [],
      })),
    },
    orchestratorFailed: true,
  };
}

const withTimelines = (report: WaveReport): WaveReport => ({
  ...report,
  servers: report.servers.map((s) => ({ ...s, timeline: Array.isArray(s.timeline) ? s.timeline : [], launches: s.launches ?? { test: 0, cutover: 0 } })),
});

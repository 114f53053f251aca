import { chunk, groupBy, MAX_INSTANCES_PER_COMMAND } from '../batching';
import { commandOutcome } from '../command-results';
import { ConfigurationError, DocumentNotInRegionError } from '../errors';
import { credentialsModeOf } from '../credentials-mode';
import { newCredentialsParameterName } from '../installer-credentials';
import type { ServerSpec, WaveManifest } from '../manifest';
import type { FlowDeps, MgnPort, SendCommandRequest } from '../ports';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
  type RunState,
  type ServerRecord,
} from '../run-state';
import { admitUnderQuota, refusedByQuota } from '../replication-quota';
import { sendToOnlineHosts, type SendOutcome } from '../run-command';
import { agentUserProvidedId, readWave, specOf } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';

export const INSTALL_POLL_SECONDS = 30;
export const MAX_INSTALL_POLL_SECONDS = 300;
/** the idle time past the last install's end stays under this share of the time the phase has run */
export const INSTALL_IDLE_SHARE = 0.25;

/**
 * The next install poll: every INSTALL_POLL_SECONDS at first, then a share of the phase's age (agent
 * installs take minutes, Windows ones up to ten): a wave's slowest install, not its size, sets how
 * many polls the phase costs, about a dozen instead of one every 30 s.
 */
export const nextInstallWait = (elapsedSeconds: number): number =>
  Math.min(
    MAX_INSTALL_POLL_SECONDS,
    Math.max(INSTALL_POLL_SECONDS, Math.round(INSTALL_IDLE_SHARE * elapsedSeconds)),
  );
export const PRECHECK_TIMEOUT_SECONDS = 600;
export const INSTALL_TIMEOUT_SECONDS = 3600;
/** How long past a command's own timeout we wait for SSM to list an invocation before giving up on it. */
const RESULT_GRACE_SECONDS = 900;
export const INSTALLER_CREDENTIALS_SECONDS = 3600;

/** Parameters of the host precheck document (CONTRACTS.md). */
export const precheckParameters = (manifest: WaveManifest): Record<string, string[]> => ({
  region: [manifest.targetRegion],
  mgnEndpoint: [manifest.endpoints.mgn],
  s3Endpoint: [manifest.endpoints.s3],
});

/**
 * Parameters of the install documents (CONTRACTS.md). Never credentials: only a parameter name, and
 * the region it was written in (a SecureString is read in its own region), both "" for a server that
 * uses its instance profile.
 */
export const installParameters = (
  manifest: WaveManifest,
  spec: ServerSpec,
  credentialsParameter: string,
  credentialsRegion: string,
): Record<string, string[]> => ({
  region: [manifest.targetRegion],
  mgnEndpoint: [manifest.endpoints.mgn],
  s3Endpoint: [manifest.endpoints.s3],
  devices: [(spec.devices ?? []).join(',')],
  tags: [
    Object.entries(spec.tags ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(','),
  ],
  userProvidedId: [agentUserProvidedId(spec) ?? ''],
  credentialsParameter: [credentialsParameter],
  credentialsRegion: [credentialsParameter ? credentialsRegion : ''],
});

const installDocumentFor = (deps: FlowDeps, spec: ServerSpec) =>
  spec.os === 'windows' ? deps.config.windowsInstallDocument : deps.config.linuxInstallDocument;

/** Reads back every command still running, advancing or setting aside each server. */
async function readResults(deps: FlowDeps, records: ServerRecord[], at: Date): Promise<void> {
  const waiting = records.filter(
    (r) =>
      r.install?.commandId && (r.install.stage === 'precheck-sent' || r.install.stage === 'install-sent'),
  );
  for (const [, group] of groupBy(waiting, (r) => `${r.ssmRegion} ${r.install!.commandId}`)) {
    const { commandId } = group[0].install!;
    const invocations = await deps.ssm(group[0].ssmRegion).listCommandInvocations(commandId!);
    const byInstance = new Map(invocations.map((i) => [i.instanceId, i]));
    for (const r of group) {
      const install = r.install!;
      const isPrecheck = install.stage === 'precheck-sent';
      const phase = isPrecheck ? 'precheck' : 'install';
      const outcome = commandOutcome(
        isPrecheck ? 'host precheck' : 'agent install',
        byInstance.get(r.sourceInstanceId),
      );
      if (outcome.kind === 'failure' && !isPrecheck && refusedByQuota(outcome.reason)) {
        // another wave took the room between our count and the agent's registration: wait again
        r.install = { stage: 'precheck-passed' };
        r.quotaWait ??= { since: at.toISOString() };
        r.quotaWait.waitedSeconds = undefined;
        mark(r, 'install', 'waiting-for-quota', at);
      } else if (outcome.kind === 'failure') failServer(r, phase, outcome.reason, at);
      else if (outcome.kind === 'success') {
        install.stage = isPrecheck ? 'precheck-passed' : 'installed';
        install.commandId = undefined;
        mark(r, phase, 'done', at);
      } else {
        const limit =
          (isPrecheck ? PRECHECK_TIMEOUT_SECONDS : INSTALL_TIMEOUT_SECONDS) + RESULT_GRACE_SECONDS;
        if (install.sentAt && (at.getTime() - Date.parse(install.sentAt)) / 1000 > limit)
          failServer(
            r,
            phase,
            `no result from SSM for command ${commandId} after ${Math.round(limit / 60)} minutes`,
            at,
          );
      }
    }
  }
}

/**
 * Short-lived installer credentials into a SecureString parameter in each region whose hosts install
 * with installer-role (the host reads it in its own SSM region); returns the name, "" when none does.
 */
async function stageInstallerCredentials(
  deps: FlowDeps,
  state: RunState,
  regions: string[],
): Promise<string> {
  if (regions.length === 0) return '';
  const roleArn = deps.config.installerRoleArn;
  if (!roleArn)
    throw new ConfigurationError('servers install with installer-role credentials but INSTALLER_ROLE_ARN is not set');
  // one unguessable name per run (128 random bits), kept in the run state so every poll and the cleanup use it
  const name = (state.credentialsParameterName ??= newCredentialsParameterName(state.waveId));
  const credentials = await deps.sts.assumeRole(
    roleArn,
    `mgn-install-${state.waveId}`.slice(0, 64),
    INSTALLER_CREDENTIALS_SECONDS,
  );
  // The shape `aws sts assume-role` prints under "Credentials", so host scripts read it with familiar keys.
  const value = JSON.stringify({
    AccessKeyId: credentials.accessKeyId,
    SecretAccessKey: credentials.secretAccessKey,
    SessionToken: credentials.sessionToken,
    Expiration: credentials.expiration,
  });
  for (const region of regions) {
    await deps.ssm(region).putSecureParameter(name, value, deps.config.installerCredentialsKey);
    if (!state.credentialParameters.some((p) => p.region === region && p.name === name))
      state.credentialParameters.push({ region, name });
  }
  deps.log.info('installer credentials staged in SSM', { parameter: name, regions });
  return name;
}

/** Deletes every staged credentials parameter (installs ended, or the wave stops). */
export async function removeInstallerCredentials(deps: FlowDeps, state: RunState): Promise<void> {
  for (const p of state.credentialParameters) await deps.ssm(p.region).deleteParameter(p.name);
  if (state.credentialParameters.length > 0)
    deps.log.info('installer credentials removed', { parameters: state.credentialParameters.length });
  state.credentialParameters = [];
}

/**
 * Sends one command per group of identical requests, ≤ 50 instances each, to the SSM region of the
 * group. A host that is not Online is set aside and the rest still get the command; a region without
 * the document sets aside that batch (the deployment lacks the region's documents stack).
 */
async function sendBatches(
  deps: FlowDeps,
  records: ServerRecord[],
  keyOf: (r: ServerRecord) => string,
  requestOf: (first: ServerRecord) => Omit<SendCommandRequest, 'instanceIds'>,
  stage: 'precheck-sent' | 'install-sent',
  at: Date,
): Promise<void> {
  const phase = stage === 'precheck-sent' ? 'precheck' : 'install';
  for (const [, group] of groupBy(records, (r) => `${r.ssmRegion} ${keyOf(r)}`)) {
    const region = group[0].ssmRegion;
    for (const batch of chunk(group, MAX_INSTANCES_PER_COMMAND)) {
      const byInstance = new Map(batch.map((r) => [r.sourceInstanceId, r]));
      let outcome: SendOutcome;
      try {
        outcome = await sendToOnlineHosts(deps.ssm(region), region, {
          ...requestOf(batch[0]),
          instanceIds: batch.map((r) => r.sourceInstanceId),
        });
      } catch (error) {
        if (!(error instanceof DocumentNotInRegionError)) throw error;
        const reason = `SSM document ${error.documentName} does not exist in ${error.region} (InvalidDocument): deploy the stack's documents there (list ${error.region} in the deploy config's sourceRegions, then cdk deploy --all)`;
        for (const r of batch) failServer(r, phase, reason, at);
        deps.log.error('Run Command document missing in region', { document: error.documentName, region: error.region, servers: batch.length });
        continue;
      }
      for (const { instanceId, reason } of outcome.setAside) failServer(byInstance.get(instanceId)!, phase, reason, at);
      if (outcome.setAside.length > 0)
        deps.log.warn('hosts not Online in SSM set aside', { region, phase, hosts: outcome.setAside.map((h) => h.instanceId) });
      for (const id of outcome.sentTo) {
        const r = byInstance.get(id)!;
        r.install = { stage, commandId: outcome.commandId, sentAt: at.toISOString() };
        mark(r, phase, 'started', at);
      }
    }
  }
}

/** The MGN port with listSourceServers read at most once (the poll's snapshot of the account). */
function listingOncePerPoll(mgn: MgnPort): MgnPort {
  let listing: ReturnType<MgnPort['listSourceServers']> | undefined;
  return Object.assign(Object.create(mgn) as MgnPort, {
    listSourceServers: () => (listing ??= mgn.listSourceServers()),
  });
}

/**
 * One poll of the install phase: reads back running commands, skips servers MGN already knows, sends
 * host prechecks, then installs to hosts whose precheck passed, as many as the replicating-servers quota
 * has room for (the rest wait for other servers to stop replicating). Commands go per SSM region, batched by
 * identical parameters, at most 50 instances each. Done when every server is installed, skipped or set aside.
 */
export async function installAgents(ctx: WaveContext, stepDeps: FlowDeps): Promise<WaveContext> {
  // One listing of the account's source servers per poll serves both the wave's matching and the
  // quota count: the poll reads MGN once, ceil(servers/200) calls at most (README, Performance).
  const deps: FlowDeps = { ...stepDeps, mgn: listingOncePerPoll(stepDeps.mgn) };
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const phaseStartedAt = Date.parse((state.phaseStartedAt.install ??= at.toISOString()));

  await readResults(deps, activeServers(state), at);

  const known = await readWave(deps.mgn, manifest, state);
  for (const r of activeServers(state)) {
    if (r.install || !known.has(r.name)) continue;
    r.install = { stage: 'installed' };
    mark(r, 'precheck', 'skipped', at);
    mark(r, 'install', 'skipped', at);
  }

  const toPrecheck = activeServers(state).filter((r) => !r.install);
  await sendBatches(
    deps,
    toPrecheck,
    () => 'precheck',
    () => ({
      documentName: deps.config.precheckDocument,
      parameters: precheckParameters(manifest),
      comment: `mgn precheck ${ctx.waveId}`,
      timeoutSeconds: PRECHECK_TIMEOUT_SECONDS,
    }),
    'precheck-sent',
    at,
  );

  // admitted as the replicating-servers quota has room; the rest wait, at most the replication timeout
  const toInstall = await admitUnderQuota(
    deps,
    state,
    activeServers(state).filter((r) => r.install?.stage === 'precheck-passed'),
    manifest.options.replicationTimeoutHours * 3600,
    at,
  );
  if (toInstall.length > 0) {
    const withRole = (r: ServerRecord) => credentialsModeOf(manifest.options, specOf(manifest, r)) === 'installer-role';
    const regions = [...new Set(toInstall.filter(withRole).map((r) => r.ssmRegion))];
    const credentialsParameter = await stageInstallerCredentials(deps, state, regions);
    // Each host reads the parameter where it was written: its own SSM region.
    const paramsOf = (r: ServerRecord) =>
      withRole(r)
        ? installParameters(manifest, specOf(manifest, r), credentialsParameter, r.ssmRegion)
        : installParameters(manifest, specOf(manifest, r), '', '');
    await sendBatches(
      deps,
      toInstall,
      (r) => `${installDocumentFor(deps, specOf(manifest, r))} ${JSON.stringify(paramsOf(r))}`,
      (first) => ({
        documentName: installDocumentFor(deps, specOf(manifest, first)),
        parameters: paramsOf(first),
        comment: `mgn agent install ${ctx.waveId}`,
        timeoutSeconds: INSTALL_TIMEOUT_SECONDS,
      }),
      'install-sent',
      at,
    );
  }

  const pending = activeServers(state).filter((r) => r.install?.stage !== 'installed');
  if (pending.length === 0) await removeInstallerCredentials(deps, state);
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info('install poll', { pending: pending.length, ...counts });
  if (pending.length === 0) return phaseDone(ctx, 'install', counts);
  const next = pollAgain(ctx, 'install', nextInstallWait((at.getTime() - phaseStartedAt) / 1000), counts);
  // Prechecks and installs overlap in this loop; once no server waits for its precheck, the precheck phase is over.
  const prechecking = activeServers(state).some((r) => !r.install || r.install.stage === 'precheck-sent');
  return prechecking ? next : { ...next, lastCompletedPhase: 'precheck' };
}

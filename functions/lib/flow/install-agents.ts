import { chunk, groupBy, MAX_INSTANCES_PER_COMMAND } from '../batching';
import { commandOutcome } from '../command-results';
import { ConfigurationError } from '../errors';
import type { ServerSpec, WaveManifest } from '../manifest';
import type { FlowDeps } from '../ports';
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

/** The SecureString parameter that holds this run's installer credentials (the host gets only this name). */
export const credentialsParameterName = (waveId: string, runId: string) =>
  `/mgn-orchestrator/${waveId}/${runId}/installer-credentials`;

/** Parameters of the host precheck document (CONTRACTS.md). */
export const precheckParameters = (manifest: WaveManifest): Record<string, string[]> => ({
  region: [manifest.targetRegion],
  mgnEndpoint: [manifest.endpoints.mgn],
  s3Endpoint: [manifest.endpoints.s3],
});

/** Parameters of the install documents (CONTRACTS.md). Never credentials: only a parameter name. */
export const installParameters = (
  manifest: WaveManifest,
  spec: ServerSpec,
  credentialsParameter: string,
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

/** Short-lived installer credentials into a SecureString parameter in each region that installs; returns the name. */
async function stageInstallerCredentials(
  deps: FlowDeps,
  manifest: WaveManifest,
  state: RunState,
  regions: string[],
): Promise<string> {
  if (manifest.options.credentials !== 'installer-role') return '';
  const roleArn = deps.config.installerRoleArn;
  if (!roleArn)
    throw new ConfigurationError('options.credentials is "installer-role" but INSTALLER_ROLE_ARN is not set');
  const name = credentialsParameterName(state.waveId, state.runId);
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
    await deps.ssm(region).putSecureParameter(name, value);
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

async function sendBatches(
  records: ServerRecord[],
  keyOf: (r: ServerRecord) => string,
  send: (group: ServerRecord[], ids: string[]) => Promise<string>,
  stage: 'precheck-sent' | 'install-sent',
  at: Date,
): Promise<void> {
  for (const [, group] of groupBy(records, keyOf)) {
    for (const batch of chunk(group, MAX_INSTANCES_PER_COMMAND)) {
      const commandId = await send(
        batch,
        batch.map((r) => r.sourceInstanceId),
      );
      for (const r of batch) {
        r.install = { stage, commandId, sentAt: at.toISOString() };
        mark(r, stage === 'precheck-sent' ? 'precheck' : 'install', 'started', at);
      }
    }
  }
}

/**
 * One poll of the install phase: reads back running commands, skips servers MGN already knows, sends
 * host prechecks, then installs to hosts whose precheck passed, as many as the replicating-servers quota
 * has room for (the rest wait for other servers to stop replicating). Commands go per SSM region, batched by
 * identical parameters, at most 50 instances each. Done when every server is installed, skipped or set aside.
 */
export async function installAgents(ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
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
    toPrecheck,
    (r) => r.ssmRegion,
    (group, ids) =>
      deps.ssm(group[0].ssmRegion).sendCommand({
        documentName: deps.config.precheckDocument,
        instanceIds: ids,
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
    const regions = [...new Set(toInstall.map((r) => r.ssmRegion))];
    const credentialsParameter = await stageInstallerCredentials(deps, manifest, state, regions);
    const paramsOf = (r: ServerRecord) =>
      installParameters(manifest, specOf(manifest, r), credentialsParameter);
    await sendBatches(
      toInstall,
      (r) => `${r.ssmRegion} ${installDocumentFor(deps, specOf(manifest, r))} ${JSON.stringify(paramsOf(r))}`,
      (group, ids) =>
        deps.ssm(group[0].ssmRegion).sendCommand({
          documentName: installDocumentFor(deps, specOf(manifest, group[0])),
          instanceIds: ids,
          parameters: paramsOf(group[0]),
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

/**
 * Verifying launched instances for the whole wave, one poll at a time.
 *
 * 1. EC2 status checks (running, system and instance status ok); DescribeInstances records where the
 *    instance landed (subnet, private IP, type, groups) for the report.
 * 2. From the verify step itself, inside the VPC, the manifest's TCP and HTTP checks against the
 *    instance's private IP (NetworkPort): no SSM needed. Services start after boot, so a failing
 *    probe is retried each poll for NETWORK_CHECK_WAIT_SECONDS before it fails the server.
 * 3. SSM: the instance Online as its own i- id (an instance profile and the ssm/ssmmessages/
 *    ec2messages endpoints; for a clone of an on-premises source, the SSM agent MGN's post-launch
 *    actions install, see ./launch-configuration.ts). Waited for at most SSM_ONLINE_WAIT_SECONDS.
 * 4. The manifest's service checks by Run Command, once Online.
 *
 * Where SSM cannot be had (no instance profile, or not Online within the wait), the instance is
 * verified by its EC2 status checks and the network probes, and the report says which checks ran.
 * A service check is something the wave asked for: when SSM cannot run it, the server fails (a
 * migration engineer would not sign off a server whose requested check never ran). SSM itself is
 * not a gate for a server with no service checks.
 *
 * A server that fails is set aside with the phase and reason and its instance retired: a test
 * instance after the lifecycle returns to READY_FOR_TEST; a cutover instance after the lifecycle
 * returns to READY_FOR_CUTOVER (the source is untouched and keeps replicating, so the cutover can be
 * retried).
 */
import { sendToOnlineHosts } from '../run-command';
import { chunk, forEachConcurrently, groupBy, MAX_INSTANCES_PER_COMMAND } from '../batching';
import { commandOutcome } from '../command-results';
import type { LaunchKind } from '../launch-settings';
import type { SmokeCheck } from '../manifest';
import type { PhaseName } from '../phases';
import type { FlowDeps, InstanceView, LifecycleState } from '../ports';
import {
  activeServers,
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
  type CheckResult,
  type ServerRecord,
  type VerificationSummary,
} from '../run-state';
import {
  SMOKE_CHECK_TIMEOUT_SECONDS,
  checkTarget,
  isNetworkCheck,
  probeCheck,
  serviceCheckResults,
  smokeCheckCommands,
  smokeCheckDocument,
} from '../smoke-checks';
import { reached, readWave, serversInPhase, specOf } from '../source-servers';
import { ENV } from '../steps';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';
import { requestCleanup, retireTargetInstances } from './target-instances';
import { cutoverAlreadyApproved, nothingToFinalize, soakSecondsLeft } from '../finalize-gate';

export const VERIFY_TIMEOUT_SECONDS = 45 * 60;
export const VERIFY_POLL_SECONDS = 30;
/** After the EC2 status checks pass: how long an instance may take to come Online in SSM. */
export const SSM_ONLINE_WAIT_SECONDS = 15 * 60;
/** After the EC2 status checks pass: how long TCP/HTTP checks may keep failing (services still starting). */
export const NETWORK_CHECK_WAIT_SECONDS = 10 * 60;
/** Probes in flight at once from one verify poll. */
export const PROBE_CONCURRENCY = 20;

export type VerifyKind = LaunchKind;

const RULES: Record<VerifyKind, { phase: PhaseName; past: LifecycleState; revertTo: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' }> = {
  test: { phase: 'test-verify', past: 'READY_FOR_CUTOVER', revertTo: 'READY_FOR_TEST' },
  cutover: { phase: 'cutover-verify', past: 'CUTOVER', revertTo: 'READY_FOR_CUTOVER' },
};

/** Stages this code knows; a record written by an older version (another stage name) starts over. */
const STAGES: ReadonlySet<string> = new Set(['booting', 'checking', 'passed']);

const secondsSince = (at: Date, iso: string | undefined) => (iso ? (at.getTime() - Date.parse(iso)) / 1000 : 0);

const failedText = (r: CheckResult) => `${r.type} ${r.target}: ${r.result.replace(/^failed: /, '')}`;

/** What a verification still waits for, in words (for a timeout's reason). */
function waitingFor(summary: VerificationSummary): string {
  if (summary.ec2StatusChecks !== 'passed') return 'did not pass EC2 status checks';
  const open = summary.checks.filter((c) => c.result !== 'passed').map((c) => `${c.type} ${c.target}: ${c.result}`);
  if (summary.ssm === 'pending') open.unshift('SSM: not Online yet');
  return `did not finish verification (${open.join('; ') || 'nothing left'})`;
}

export async function verifyWave(kind: VerifyKind, ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const rules = RULES[kind];
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const views = await readWave(deps.mgn, manifest, state);
  const ssm = deps.ssm(manifest.targetRegion);
  const summaryOf = (r: ServerRecord) => r.verification![kind]!;
  const checksOf = (r: ServerRecord): readonly SmokeCheck[] => specOf(manifest, r).checks ?? [];
  const setAside = (r: ServerRecord, reason: string) => {
    failServer(r, rules.phase, reason, at);
    requestCleanup(r, kind === 'test' ? 'test-failed' : 'cutover-failed', rules.revertTo);
  };

  const checking: ServerRecord[] = [];
  for (const { record: r, view } of serversInPhase(state, views, rules.phase, at, rules.past)) {
    const launch = kind === 'test' ? r.testLaunch : r.cutoverLaunch;
    const instanceId = (r.verify?.kind === kind ? r.verify.instanceId : undefined) ?? launch?.instanceId ?? view.launchedInstanceId;
    if (!instanceId) {
      failServer(r, rules.phase, 'no launched instance to verify', at);
      continue;
    }
    if (r.verify?.kind !== kind || r.verify.instanceId !== instanceId || !STAGES.has(r.verify.stage)) {
      r.verify = { kind, startedAt: at.toISOString(), instanceId, stage: 'booting' };
      mark(r, rules.phase, 'started', at);
    }
    if (r.verification?.[kind]?.instanceId !== instanceId)
      r.verification = {
        ...r.verification,
        [kind]: {
          instanceId,
          ec2StatusChecks: r.verify.stage === 'booting' ? 'pending' : 'passed',
          ssm: 'pending',
          checks: checksOf(r).map((c) => ({ type: c.type, target: checkTarget(c, undefined), result: 'pending' })),
        },
      };
    if (r.verify.stage !== 'passed') checking.push(r);
  }

  // Where each instance landed, read once (and a cut-over instance a resumed run finds already past).
  const toDescribe = new Map<string, ServerRecord>();
  for (const r of checking) if (r.instances?.[kind]?.instanceId !== r.verify!.instanceId) toDescribe.set(r.verify!.instanceId, r);
  if (kind === 'cutover')
    for (const r of activeServers(state)) {
      const view = views.get(r.name);
      if (view?.launchedInstanceId && reached(view, 'CUTOVER') && !r.instances?.cutover) toDescribe.set(view.launchedInstanceId, r);
    }
  if (toDescribe.size > 0)
    for (const instance of await deps.ec2.describeInstances([...toDescribe.keys()])) {
      const r = toDescribe.get(instance.instanceId);
      if (r) r.instances = { ...r.instances, [kind]: launchedInstance(instance) };
    }

  // Service check results first, so an instance can move on several stages in one poll.
  const sent = checking.filter((r) => r.verify!.stage === 'checking' && r.verify!.commandId);
  for (const [commandId, group] of groupBy(sent, (r) => r.verify!.commandId!)) {
    const invocations = new Map((await ssm.listCommandInvocations(commandId)).map((i) => [i.instanceId, i]));
    for (const r of group) {
      const invocation = invocations.get(r.verify!.instanceId);
      const outcome = commandOutcome('service checks', invocation);
      if (outcome.kind === 'running') continue;
      const results = serviceCheckResults(checksOf(r), invocation?.output ?? '', outcome.kind === 'success');
      for (const c of summaryOf(r).checks) if (c.type === 'service') c.result = results.get(c.target) ?? c.result;
      if (outcome.kind === 'failure') setAside(r, `${outcome.reason} (instance ${r.verify!.instanceId})`);
    }
  }

  const booting = checking.filter((r) => r.status === 'active' && r.verify!.stage === 'booting');
  if (booting.length > 0) {
    const statuses = new Map((await deps.ec2.describeInstanceStatus(booting.map((r) => r.verify!.instanceId))).map((s) => [s.instanceId, s]));
    for (const r of booting) {
      const s = statuses.get(r.verify!.instanceId);
      if (!s) continue;
      if (['terminated', 'shutting-down', 'stopped', 'stopping'].includes(s.state)) {
        summaryOf(r).ec2StatusChecks = `failed: instance is ${s.state}`;
        setAside(r, `instance ${s.instanceId} is ${s.state}`);
      } else if (s.state === 'running' && s.systemStatus === 'ok' && s.instanceStatus === 'ok') {
        summaryOf(r).ec2StatusChecks = 'passed';
        r.verify!.stage = 'checking';
        r.verify!.bootedAt = at.toISOString();
      }
    }
  }

  const inChecks = checking.filter((r) => r.status === 'active' && r.verify!.stage === 'checking');

  // TCP and HTTP checks from here, against the private IP; a passed check is not probed again.
  const probes: { record: ServerRecord; check: SmokeCheck; result: CheckResult }[] = [];
  for (const r of inChecks) {
    const ip = r.instances?.[kind]?.privateIpAddress;
    const results = summaryOf(r).checks;
    checksOf(r).forEach((check, i) => {
      if (!isNetworkCheck(check)) return;
      results[i].target = checkTarget(check, ip);
      if (ip && results[i].result !== 'passed') probes.push({ record: r, check, result: results[i] });
    });
  }
  await forEachConcurrently(probes, PROBE_CONCURRENCY, async ({ check, result, record }) => {
    result.result = await probeCheck(deps.network, check, record.instances![kind]!.privateIpAddress!);
  });

  // SSM: Online as its own i- id, waited for a bounded time; known in advance to be impossible without a profile.
  const ssmPending = inChecks.filter((r) => summaryOf(r).ssm === 'pending');
  const noProfile = (r: ServerRecord) => r.launchPlan?.[kind] !== undefined && !r.launchPlan[kind]!.instanceProfile;
  for (const r of ssmPending.filter(noProfile))
    summaryOf(r).ssm = `unavailable: launched without an instance profile (set launch.instanceProfile or the stack's ${ENV.launchedInstanceProfileName})`;
  const toAsk = ssmPending.filter((r) => !noProfile(r));
  if (toAsk.length > 0) {
    const online = new Set(
      (await ssm.describeInstanceInformation(toAsk.map((r) => r.verify!.instanceId))).filter((i) => i.pingStatus === 'Online').map((i) => i.instanceId),
    );
    for (const r of toAsk) {
      if (online.has(r.verify!.instanceId)) summaryOf(r).ssm = 'online';
      else if (secondsSince(at, r.verify!.bootedAt) >= SSM_ONLINE_WAIT_SECONDS)
        summaryOf(r).ssm =
          `unavailable: not Online in SSM as ${r.verify!.instanceId} within ${SSM_ONLINE_WAIT_SECONDS / 60} minutes of passing EC2 status checks` +
          (specOf(manifest, r).source.type === 'onprem'
            ? " (an on-premises clone registers as the EC2 instance only through the SSM agent MGN's post-launch actions install)"
            : ' (check its instance profile and the ssm, ssmmessages and ec2messages endpoints)');
    }
  }

  // Service checks by Run Command for the instances Online; without SSM they cannot run.
  const toSend: ServerRecord[] = [];
  for (const r of inChecks) {
    const summary = summaryOf(r);
    const services = summary.checks.filter((c) => c.type === 'service');
    if (services.length === 0 || r.verify!.commandId) continue;
    if (summary.ssm === 'online') toSend.push(r);
    else if (summary.ssm.startsWith('unavailable')) {
      for (const c of services) c.result = `not run: SSM ${summary.ssm}`;
      setAside(r, `service check${services.length > 1 ? 's' : ''} ${services.map((c) => c.target).join(', ')} could not run: SSM ${summary.ssm}`);
    }
  }
  const serviceCommandOf = (r: ServerRecord) => smokeCheckCommands(r.os, checksOf(r).filter((c) => c.type === 'service'));
  for (const [, group] of groupBy(toSend, (r) => `${r.os} ${JSON.stringify(serviceCommandOf(r))}`))
    for (const batch of chunk(group, MAX_INSTANCES_PER_COMMAND)) {
      // An instance can drop out of SSM between the Online read above and this send; SSM then refuses
      // the whole call (InvalidInstanceId). Send to the rest; the dropped ones stay unsent and are
      // retried on the next poll, their verify timeout still running.
      const { commandId, sentTo } = await sendToOnlineHosts(ssm, ctx.targetRegion, {
        documentName: smokeCheckDocument(batch[0].os),
        instanceIds: batch.map((r) => r.verify!.instanceId),
        parameters: { commands: serviceCommandOf(batch[0]), executionTimeout: [String(SMOKE_CHECK_TIMEOUT_SECONDS)] },
        comment: `mgn ${kind} smoke checks ${ctx.waveId}`,
        timeoutSeconds: SMOKE_CHECK_TIMEOUT_SECONDS,
      });
      for (const r of batch) if (commandId && sentTo.includes(r.verify!.instanceId)) r.verify!.commandId = commandId;
    }

  let waiting = 0;
  for (const r of checking) {
    if (r.status !== 'active') continue;
    const v = r.verify!;
    const summary = summaryOf(r);
    if (v.stage === 'checking') {
      const network = summary.checks.filter((c) => c.type !== 'service');
      const failing = network.filter((c) => c.result.startsWith('failed'));
      if (summary.checks.every((c) => c.result === 'passed') && summary.ssm !== 'pending') {
        v.stage = 'passed';
        mark(r, rules.phase, 'done', at);
        continue;
      }
      if (failing.length > 0 && secondsSince(at, v.bootedAt) >= NETWORK_CHECK_WAIT_SECONDS) {
        setAside(
          r,
          `smoke check${failing.length > 1 ? 's' : ''} failed from the orchestrator for ${NETWORK_CHECK_WAIT_SECONDS / 60} minutes after instance ${v.instanceId} passed EC2 status checks: ${failing.map(failedText).join('; ')}`,
        );
        continue;
      }
    } else if (v.stage === 'passed') {
      mark(r, rules.phase, 'done', at);
      continue;
    }
    if (secondsSince(at, v.startedAt) > VERIFY_TIMEOUT_SECONDS)
      setAside(r, `instance ${v.instanceId} ${waitingFor(summary)} within ${VERIFY_TIMEOUT_SECONDS / 60} minutes`);
    else waiting += 1;
  }

  // readWave read the servers being retired too, and this poll changed none of them in MGN.
  const cleanupLeft = await retireTargetInstances(deps, state.servers, views);
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info(`${kind} verify poll`, { waiting, cleanupLeft, probes: probes.length, ...counts });
  if (waiting === 0 && cleanupLeft === 0) {
    const done = phaseDone(ctx, rules.phase, counts);
    // finalize gate (issue 13): a re-run whose servers are all cutting over already skips the cutover
    // gate; the soak before the finalize gate counts from the cutover launch
    return kind === 'test'
      ? { ...done, cutoverApproved: cutoverAlreadyApproved(state, views) }
      : {
          ...done,
          soakSeconds: soakSecondsLeft(manifest, state, views, at),
          // nothing left to finalize (a re-run after finalizing, or every server set aside): no gate to ask
          ...(nothingToFinalize(state, views) ? { finalizeApprovalRequired: false } : {}),
        };
  }
  return pollAgain(ctx, rules.phase, Math.min(VERIFY_POLL_SECONDS, manifest.options.pollIntervalSeconds), counts);
}

function launchedInstance(i: InstanceView) {
  return {
    instanceId: i.instanceId,
    ...(i.subnetId ? { subnetId: i.subnetId } : {}),
    ...(i.privateIpAddress ? { privateIpAddress: i.privateIpAddress } : {}),
    ...(i.instanceType ? { instanceType: i.instanceType } : {}),
    securityGroupIds: [...i.securityGroupIds],
  };
}

export const verifyTest = (ctx: WaveContext, deps: FlowDeps) => verifyWave('test', ctx, deps);
export const verifyCutover = (ctx: WaveContext, deps: FlowDeps) => verifyWave('cutover', ctx, deps);

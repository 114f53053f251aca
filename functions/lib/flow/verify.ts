/**
 * Verifying launched instances for the whole wave, one poll at a time: EC2 status checks, SSM Online,
 * then the manifest's smoke checks through Run Command. A server that fails is set aside with the
 * phase and reason and its instance retired: a test instance after the lifecycle returns to
 * READY_FOR_TEST; a cutover instance after the lifecycle returns to READY_FOR_CUTOVER (the source is
 * untouched and keeps replicating, so the cutover can be retried).
 */
import { chunk, groupBy, MAX_INSTANCES_PER_COMMAND } from '../batching';
import { commandOutcome } from '../command-results';
import type { PhaseName } from '../phases';
import type { FlowDeps, LifecycleState } from '../ports';
import {
  countsOf,
  failServer,
  loadManifest,
  loadRunState,
  mark,
  saveRunState,
  type ServerRecord,
  type VerifyProgress,
} from '../run-state';
import { SMOKE_CHECK_TIMEOUT_SECONDS, smokeCheckCommands, smokeCheckDocument } from '../smoke-checks';
import { readWave, serversInPhase, specOf } from '../source-servers';
import { phaseDone, pollAgain, type WaveContext } from '../wave-context';
import { requestCleanup, retireTargetInstances } from './target-instances';

export const VERIFY_TIMEOUT_SECONDS = 45 * 60;
export const VERIFY_POLL_SECONDS = 30;

export type VerifyKind = 'test' | 'cutover';

const RULES: Record<
  VerifyKind,
  { phase: PhaseName; past: LifecycleState; revertTo: 'READY_FOR_TEST' | 'READY_FOR_CUTOVER' }
> = {
  test: { phase: 'test-verify', past: 'READY_FOR_CUTOVER', revertTo: 'READY_FOR_TEST' },
  cutover: { phase: 'cutover-verify', past: 'CUTOVER', revertTo: 'READY_FOR_CUTOVER' },
};

const STAGE_WORDS: Record<VerifyProgress['stage'], string> = {
  booting: 'did not pass EC2 status checks',
  ssm: 'did not come Online in SSM',
  'checks-sent': 'smoke checks did not finish',
  passed: 'passed',
};

export async function verifyWave(kind: VerifyKind, ctx: WaveContext, deps: FlowDeps): Promise<WaveContext> {
  const rules = RULES[kind];
  const manifest = await loadManifest(deps.store, ctx.waveId);
  const state = await loadRunState(deps.store, ctx);
  const at = deps.now();
  const views = await readWave(deps.mgn, manifest, state);
  const ssm = deps.ssm(manifest.targetRegion);
  const setAside = (r: ServerRecord, reason: string) => {
    failServer(r, rules.phase, reason, at);
    requestCleanup(r, kind === 'test' ? 'test-failed' : 'cutover-failed', rules.revertTo);
  };

  const checking: ServerRecord[] = [];
  for (const { record: r, view } of serversInPhase(state, views, rules.phase, at, rules.past)) {
    const launch = kind === 'test' ? r.testLaunch : r.cutoverLaunch;
    const instanceId =
      (r.verify?.kind === kind ? r.verify.instanceId : undefined) ??
      launch?.instanceId ??
      view.launchedInstanceId;
    if (!instanceId) {
      failServer(r, rules.phase, 'no launched instance to verify', at);
      continue;
    }
    if (r.verify?.kind !== kind || r.verify.instanceId !== instanceId) {
      r.verify = { kind, startedAt: at.toISOString(), instanceId, stage: 'booting' };
      mark(r, rules.phase, 'started', at);
    }
    if (r.verify.stage !== 'passed') checking.push(r);
  }

  // Smoke check results first, so an instance can move on several stages in one poll.
  const sent = checking.filter((r) => r.verify!.stage === 'checks-sent' && r.verify!.commandId);
  for (const [commandId, group] of groupBy(sent, (r) => r.verify!.commandId!)) {
    const invocations = new Map((await ssm.listCommandInvocations(commandId)).map((i) => [i.instanceId, i]));
    for (const r of group) {
      const outcome = commandOutcome('smoke checks', invocations.get(r.verify!.instanceId));
      if (outcome.kind === 'success') r.verify!.stage = 'passed';
      else if (outcome.kind === 'failure')
        setAside(r, `${outcome.reason} (instance ${r.verify!.instanceId})`);
    }
  }

  const booting = checking.filter((r) => r.status === 'active' && r.verify!.stage === 'booting');
  if (booting.length > 0) {
    const statuses = new Map(
      (await deps.ec2.describeInstanceStatus(booting.map((r) => r.verify!.instanceId))).map((s) => [
        s.instanceId,
        s,
      ]),
    );
    for (const r of booting) {
      const s = statuses.get(r.verify!.instanceId);
      if (!s) continue;
      if (['terminated', 'shutting-down', 'stopped', 'stopping'].includes(s.state))
        setAside(r, `instance ${s.instanceId} is ${s.state}`);
      else if (s.state === 'running' && s.systemStatus === 'ok' && s.instanceStatus === 'ok')
        r.verify!.stage = 'ssm';
    }
  }

  const awaitingSsm = checking.filter((r) => r.status === 'active' && r.verify!.stage === 'ssm');
  if (awaitingSsm.length > 0) {
    const online = new Set(
      (await ssm.describeInstanceInformation(awaitingSsm.map((r) => r.verify!.instanceId)))
        .filter((i) => i.pingStatus === 'Online')
        .map((i) => i.instanceId),
    );
    const toCheck: ServerRecord[] = [];
    for (const r of awaitingSsm) {
      if (!online.has(r.verify!.instanceId)) continue;
      if ((specOf(manifest, r).checks ?? []).length === 0) r.verify!.stage = 'passed';
      else toCheck.push(r);
    }
    const commandsOf = (r: ServerRecord) => smokeCheckCommands(r.os, specOf(manifest, r).checks ?? []);
    for (const [, group] of groupBy(toCheck, (r) => `${r.os} ${JSON.stringify(commandsOf(r))}`))
      for (const batch of chunk(group, MAX_INSTANCES_PER_COMMAND)) {
        const commandId = await ssm.sendCommand({
          documentName: smokeCheckDocument(batch[0].os),
          instanceIds: batch.map((r) => r.verify!.instanceId),
          parameters: {
            commands: commandsOf(batch[0]),
            executionTimeout: [String(SMOKE_CHECK_TIMEOUT_SECONDS)],
          },
          comment: `mgn ${kind} smoke checks ${ctx.waveId}`,
          timeoutSeconds: SMOKE_CHECK_TIMEOUT_SECONDS,
        });
        for (const r of batch) {
          r.verify!.stage = 'checks-sent';
          r.verify!.commandId = commandId;
        }
      }
  }

  let waiting = 0;
  for (const r of checking) {
    if (r.status !== 'active') continue;
    const v = r.verify!;
    if (v.stage === 'passed') {
      mark(r, rules.phase, 'done', at);
      continue;
    }
    if ((at.getTime() - Date.parse(v.startedAt)) / 1000 > VERIFY_TIMEOUT_SECONDS)
      setAside(
        r,
        `instance ${v.instanceId} ${STAGE_WORDS[v.stage]} within ${VERIFY_TIMEOUT_SECONDS / 60} minutes`,
      );
    else waiting += 1;
  }

  // readWave read the servers being retired too, and this poll changed none of them in MGN.
  const cleanupLeft = await retireTargetInstances(deps, state.servers, views);
  await saveRunState(deps.store, state);
  const counts = countsOf(state);
  deps.log.info(`${kind} verify poll`, { waiting, cleanupLeft, ...counts });
  return waiting === 0 && cleanupLeft === 0
    ? phaseDone(ctx, rules.phase, counts)
    : pollAgain(
        ctx,
        rules.phase,
        Math.min(VERIFY_POLL_SECONDS, manifest.options.pollIntervalSeconds),
        counts,
      );
}

export const verifyTest = (ctx: WaveContext, deps: FlowDeps) => verifyWave('test', ctx, deps);
export const verifyCutover = (ctx: WaveContext, deps: FlowDeps) => verifyWave('cutover', ctx, deps);

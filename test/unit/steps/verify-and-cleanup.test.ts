import 'aws-sdk-client-mock-jest';
import { DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ConflictException } from '@aws-sdk/client-mgn';
import {
  DescribeInstanceInformationCommand,
  ListCommandInvocationsCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { discardTest } from '../../../functions/lib/flow/discard-test';
import { CALL_CONCURRENCY, MAX_CALLS_PER_POLL, finalizeCutover } from '../../../functions/lib/flow/finalize-cutover';
import { prepareCutover } from '../../../functions/lib/flow/prepare-cutover';
import { CLEANUP_GIVE_UP_SECONDS } from '../../../functions/lib/flow/target-instances';
import { verifyCutover, verifyTest } from '../../../functions/lib/flow/verify';
import { waveOf } from '../../asl/fake-world';
import {
  ChangeServerLifeCycleStateCommand,
  DescribeSourceServersCommand,
  FinalizeCutoverCommand,
  MarkAsArchivedCommand,
  TerminateTargetInstancesCommand,
  mockMgn,
} from '../mgn-mock';
import { editRecords, readRecords, sdkServer, sdkTestbed, startedWave } from './sdk-deps';

const mgn = mockMgn();
const ssm = mockClient(SSMClient);
const ec2 = mockClient(EC2Client);

const idOf = (i: number) => `s-${String(i).padStart(17, '0')}`;
const ec2Of = (i: number) => `i-0${String(i).padStart(16, 'c')}`;

function mgnKnows(
  count: number,
  lifecycle: string,
  extra: (i: number) => Record<string, unknown> = () => ({}),
) {
  const manifest = waveOf(count);
  const servers = manifest.servers.map((s, i) =>
    sdkServer(idOf(i), (s.source as { instanceId: string }).instanceId, {
      lifeCycle: { state: lifecycle },
      launchedInstance: { ec2InstanceID: ec2Of(i) },
      ...extra(i),
    }),
  );
  mgn.on(DescribeSourceServersCommand).callsFake((input) => ({
    items: input.filters?.sourceServerIDs
      ? servers.filter((s) => input.filters.sourceServerIDs.includes(s.sourceServerID))
      : servers,
  }));
  return manifest;
}

const calledOrder = (...commands: unknown[]) => commands.map((c) => mgn.commandCalls(c).length);

beforeEach(() => {
  mgn.reset();
  ssm.reset();
  ec2.reset();
  mgn.on(TerminateTargetInstancesCommand).resolves({ job: { jobID: 'mgnjob-t' } });
  mgn.on(ChangeServerLifeCycleStateCommand).resolves({});
});

describe('verify-test', () => {
  it('checks EC2 status and SSM Online, then runs the smoke checks with AWS-RunShellScript on the test instances', async () => {
    const manifest = mgnKnows(2, 'TESTING');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [0, 1].map((i) => ({
        InstanceId: ec2Of(i),
        InstanceState: { Name: 'running' },
        SystemStatus: { Status: 'ok' },
        InstanceStatus: { Status: 'ok' },
      })),
    });
    ssm
      .on(DescribeInstanceInformationCommand)
      .resolves({
        InstanceInformationList: [0, 1].map((i) => ({ InstanceId: ec2Of(i), PingStatus: 'Online' })),
      });
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'cmd-smoke' } });

    const next = await verifyTest(ctx, bed.deps);

    expect(ec2).toHaveReceivedCommandWith(DescribeInstanceStatusCommand, {
      InstanceIds: [ec2Of(0), ec2Of(1)],
      IncludeAllInstances: true,
    });
    expect(ssm).toHaveReceivedCommandWith(DescribeInstanceInformationCommand, {
      Filters: [{ Key: 'InstanceIds', Values: [ec2Of(0), ec2Of(1)] }],
    });
    expect(ssm).toHaveReceivedCommandTimes(SendCommandCommand, 1);
    expect(ssm).toHaveReceivedCommandWith(SendCommandCommand, {
      DocumentName: 'AWS-RunShellScript',
      InstanceIds: [ec2Of(0), ec2Of(1)],
      Parameters: {
        commands: [
          'rc=0',
          'if systemctl is-active --quiet sshd; then echo "PASS service:sshd"; else echo "FAIL service:sshd"; rc=1; fi',
          'exit $rc',
        ],
        executionTimeout: ['300'],
      },
    });
    expect(next).toMatchObject({ done: false, phase: 'test-verify' });
  });

  it('a failed smoke check: lifecycle back to READY_FOR_TEST first, then the test instance terminated; the other server passes', async () => {
    const manifest = mgnKnows(2, 'TESTING');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) =>
      s.servers.forEach((r, i) => {
        r.sourceServerId = idOf(i);
        r.verify = {
          kind: 'test',
          startedAt: '2026-01-05T07:55:00.000Z',
          instanceId: ec2Of(i),
          stage: 'checks-sent',
          commandId: 'cmd-smoke',
        };
      }),
    );
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: ec2Of(0), Status: 'Success', CommandPlugins: [{ Output: 'PASS service:sshd' }] },
        { InstanceId: ec2Of(1), Status: 'Failed', CommandPlugins: [{ Output: 'FAIL service:sshd' }] },
      ],
    });

    const next = await verifyTest(ctx, bed.deps);

    expect(mgn.commandCalls(ChangeServerLifeCycleStateCommand).map((c) => c.args[0].input)).toEqual([
      { sourceServerID: idOf(1), lifeCycle: { state: 'READY_FOR_TEST' } },
    ]);
    expect(mgn.commandCalls(TerminateTargetInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { sourceServerIDs: [idOf(1)] },
    ]);
    const records = await readRecords(bed, ctx);
    expect(records.servers[1]).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'test-verify',
        reason: `smoke checks Failed: FAIL service:sshd (instance ${ec2Of(1)})`,
      },
    });
    expect(records.servers[0].verify?.stage).toBe('passed');
    expect(next).toMatchObject({ done: true, counts: { active: 1, failed: 1 } });
  });
});

describe('verify-cutover', () => {
  it('a cutover instance that never boots is reverted to READY_FOR_CUTOVER and terminated after 45 minutes; the source is kept', async () => {
    const manifest = mgnKnows(1, 'CUTTING_OVER');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) => {
      s.servers[0].verify = {
        kind: 'cutover',
        startedAt: '2026-01-05T07:10:00.000Z',
        instanceId: ec2Of(0),
        stage: 'booting',
      };
    });
    ec2.on(DescribeInstanceStatusCommand).resolves({
      InstanceStatuses: [
        {
          InstanceId: ec2Of(0),
          InstanceState: { Name: 'running' },
          SystemStatus: { Status: 'ok' },
          InstanceStatus: { Status: 'impaired' },
        },
      ],
    });

    await verifyCutover(ctx, bed.deps);

    expect(
      mgn.commandCalls(ChangeServerLifeCycleStateCommand).map((c) => c.args[0].input.lifeCycle.state),
    ).toEqual(['READY_FOR_CUTOVER']);
    expect(mgn.commandCalls(TerminateTargetInstancesCommand)).toHaveLength(1);
    expect(mgn.commandCalls(FinalizeCutoverCommand)).toHaveLength(0);
    expect((await readRecords(bed, ctx)).servers[0].failure).toEqual({
      phase: 'cutover-verify',
      reason: `instance ${ec2Of(0)} did not pass EC2 status checks within 45 minutes`,
    });
  });
});

describe('discard-test (rejection)', () => {
  it('moves TESTING servers to READY_FOR_TEST before terminating (MGN refuses termination in TESTING), in one job; outcome rejected', async () => {
    const manifest = mgnKnows(3, 'TESTING');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);

    const next = await discardTest(
      { ...ctx, rejection: { Error: 'ApprovalRejected', Cause: 'no' } },
      bed.deps,
    );

    expect(mgn.commandCalls(ChangeServerLifeCycleStateCommand).map((c) => c.args[0].input)).toEqual(
      [0, 1, 2].map((i) => ({ sourceServerID: idOf(i), lifeCycle: { state: 'READY_FOR_TEST' } })),
    );
    expect(mgn.commandCalls(TerminateTargetInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { sourceServerIDs: [idOf(0), idOf(1), idOf(2)] },
    ]);
    expect(calledOrder(ChangeServerLifeCycleStateCommand, TerminateTargetInstancesCommand)).toEqual([3, 1]);
    expect(next).toMatchObject({ done: true, outcome: 'rejected', lastCompletedPhase: 'approval' });
  });
});

describe('prepare-cutover', () => {
  it('marks READY_FOR_CUTOVER then terminates test instances; a repeated poll sends nothing again; cut-over servers are skipped', async () => {
    const manifest = mgnKnows(3, 'TESTING', (i) => (i === 2 ? { lifeCycle: { state: 'CUTTING_OVER' } } : {}));
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);

    const next = await prepareCutover(ctx, bed.deps);
    await prepareCutover(next, bed.deps);

    expect(mgn.commandCalls(ChangeServerLifeCycleStateCommand).map((c) => c.args[0].input)).toEqual(
      [0, 1].map((i) => ({ sourceServerID: idOf(i), lifeCycle: { state: 'READY_FOR_CUTOVER' } })),
    );
    expect(mgn.commandCalls(TerminateTargetInstancesCommand).map((c) => c.args[0].input)).toEqual([
      { sourceServerIDs: [idOf(0), idOf(1)] },
    ]);
    expect(next).toMatchObject({ done: true, lastCompletedPhase: 'cutover-prep' });
  });

  it('a Conflict that outlasts CLEANUP_GIVE_UP_SECONDS sets the server aside instead of polling forever', async () => {
    const manifest = mgnKnows(2, 'TESTING');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn
      .on(ChangeServerLifeCycleStateCommand, { sourceServerID: idOf(1) })
      .rejects(
        new ConflictException({ message: `Cannot change life cycle state of ${idOf(1)}`, $metadata: {} }),
      );
    const start = new Date('2026-01-05T10:00:00Z');
    bed.setNow(start);

    const first = await prepareCutover(ctx, bed.deps);
    expect(first).toMatchObject({ done: false });
    bed.setNow(new Date(start.getTime() + CLEANUP_GIVE_UP_SECONDS * 1000));
    const last = await prepareCutover(first, bed.deps);

    const records = await readRecords(bed, ctx);
    expect(records.servers[1]).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'cutover-prep',
        reason: expect.stringMatching(
          /^ChangeServerLifeCycleState to READY_FOR_CUTOVER refused for over 60 minutes: ConflictException/,
        ),
      },
    });
    expect(records.servers[0].status).toBe('active');
    expect(last).toMatchObject({ done: true, lastCompletedPhase: 'cutover-prep' });
  });
});

describe('finalize-cutover', () => {
  it('finalises servers cutting over, archives finalised ones, and skips those already archived', async () => {
    // as MGN shows a server after FinalizeCutover
    const finalized = { state: 'CUTOVER', lastCutover: { finalized: { apiCallDateTime: '2026-01-05T07:00:00Z' } } };
    const manifest = mgnKnows(3, 'CUTTING_OVER', (i) =>
      i === 1
        ? { lifeCycle: finalized }
        : i === 2
          ? { lifeCycle: finalized, isArchived: true }
          : {},
    );
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(FinalizeCutoverCommand).resolves({});
    mgn.on(MarkAsArchivedCommand).resolves({});

    const next = await finalizeCutover(ctx, bed.deps);

    expect(mgn.commandCalls(FinalizeCutoverCommand).map((c) => c.args[0].input)).toEqual([
      { sourceServerID: idOf(0) },
    ]);
    expect(mgn.commandCalls(MarkAsArchivedCommand).map((c) => c.args[0].input)).toEqual([
      { sourceServerID: idOf(1) },
    ]);
    // srv-000 is archived on a later poll, once MGN shows it CUTOVER
    expect(next).toMatchObject({ done: false, phase: 'finalize', waitSeconds: 10 });
  });

  it('finalises a 1,000-server wave in one poll, at most CALL_CONCURRENCY calls in flight', async () => {
    const manifest = mgnKnows(1000, 'CUTTING_OVER');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    let inFlight = 0;
    let most = 0;
    mgn.on(FinalizeCutoverCommand).callsFake(async () => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight -= 1;
      return {};
    });

    const next = await finalizeCutover(ctx, bed.deps);

    expect(mgn.commandCalls(FinalizeCutoverCommand)).toHaveLength(MAX_CALLS_PER_POLL);
    expect(new Set(mgn.commandCalls(FinalizeCutoverCommand).map((c) => c.args[0].input.sourceServerID)).size).toBe(1000);
    expect(most).toBe(CALL_CONCURRENCY);
    // archived on the next poll, once MGN shows them CUTOVER
    expect(next).toMatchObject({ done: false, phase: 'finalize', waitSeconds: 10 });
  });

  it('stops calling for this poll once MGN throttles, and leaves the rest for the next poll', async () => {
    const manifest = mgnKnows(40, 'CUTTING_OVER');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: {} });
    mgn.on(FinalizeCutoverCommand).resolves({});
    mgn.on(FinalizeCutoverCommand, { sourceServerID: idOf(12) }).rejects(throttled);

    const next = await finalizeCutover(ctx, bed.deps);

    // the calls already in flight finish; none starts after the refusal
    expect(mgn.commandCalls(FinalizeCutoverCommand).length).toBeLessThan(12 + 1 + CALL_CONCURRENCY);
    const records = await readRecords(bed, ctx);
    expect(records.servers.every((r) => r.status === 'active')).toBe(true);
    expect(next).toMatchObject({ done: false, phase: 'finalize' });
  });

  it('without phases.archive, a finalised wave is done', async () => {
    const manifest = mgnKnows(1, 'CUTOVER');
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, {
      ...manifest,
      options: { ...manifest.options, phases: { ...manifest.options.phases, archive: false } },
    });
    const next = await finalizeCutover(ctx, bed.deps);
    expect(mgn.commandCalls(MarkAsArchivedCommand)).toHaveLength(0);
    expect(next.done).toBe(true);
  });
});

import 'aws-sdk-client-mock-jest';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { preflight, EndpointUnreachableError } from '../../../functions/lib/flow/preflight';
import { writeReport } from '../../../functions/lib/flow/report';
import { parseApprovalRequest, requestApproval } from '../../../functions/lib/flow/request-approval';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import { InvalidInputError } from '../../../functions/lib/validation';
import { reportKey } from '../../../functions/lib/wave-context';
import { DISCONNECTED_REASON } from '../../../functions/lib/source-servers';
import { executionArnOf, waveOf } from '../../asl/fake-world';
import {
  CreateReplicationConfigurationTemplateCommand,
  DescribeReplicationConfigurationTemplatesCommand,
  DescribeSourceServersCommand,
  UpdateReplicationConfigurationTemplateCommand,
  mockMgn,
} from '../mgn-mock';
import { editRecords, readRecords, sdkServer, sdkTestbed, startedWave, targetNetworkKnown } from './sdk-deps';

const mgn = mockMgn();
const ssm = mockClient(SSMClient);
const sns = mockClient(SNSClient);
const ec2 = mockClient(EC2Client);

beforeEach(() => {
  mgn.reset();
  ssm.reset();
  sns.reset();
  ec2.reset();
  targetNetworkKnown(ec2);
});

describe('validate-wave', () => {
  it('refuses a bad manifest naming every problem, and touches nothing', async () => {
    const bed = sdkTestbed(waveOf(1));
    const bad = { ...waveOf(1), targetRegion: 'mars-1', options: { aproval: 'auto' } };
    await expect(validateWave({ input: bad, runId: 'run-1', executionArn: executionArnOf('run-1') }, bed.deps)).rejects.toThrow(InvalidInputError);
    await expect(validateWave({ input: bad, runId: 'run-1', executionArn: executionArnOf('run-1') }, bed.deps)).rejects.toThrow(/targetRegion: .*\n.*options.aproval: unknown field/);
    expect(bed.objects.size).toBe(0);
  });

  it('reads a manifest near 256 KiB from manifestLocation and stores it with fresh server records', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    bed.objects.set('uploads/waves/wave-7.json', JSON.stringify(manifest));
    const ctx = await validateWave({ input: { manifestLocation: { bucket: 'uploads', key: 'waves/wave-7.json' } }, runId: 'exec-42', executionArn: executionArnOf('exec-42') }, bed.deps);
    expect(ctx).toEqual({
      waveId: 'wave-7',
      runId: 'exec-42',
      targetRegion: 'eu-west-1',
      phases: { install: true, test: true, cutover: true, finalize: true, archive: true },
      approvalRequired: true,
      finalizeApprovalRequired: true,
      phase: 'validate',
      lastCompletedPhase: 'validate',
      done: true,
      waitSeconds: 0,
      polls: 0,
      counts: { total: 2, active: 2, failed: 0 },
    });
    // the run holds the wave's lock until its report step releases it
    expect([...bed.objects.keys()]).toEqual(['uploads/waves/wave-7.json', 'waves/wave-7/lock.json', 'waves/wave-7/manifest.json', 'waves/wave-7/runs/exec-42/servers.json']);
  });
});

describe('preflight', () => {
  it("fixes the stack's replication template (tagged with its staging subnet) that would route publicly, leaves a foreign one alone, and sets aside sources SSM does not see Online", async () => {
    const manifest = waveOf(3);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(DescribeReplicationConfigurationTemplatesCommand).resolves({
      items: [
        { replicationConfigurationTemplateID: 'rct-0', dataPlaneRouting: 'PUBLIC_IP', createPublicIP: true, stagingAreaSubnetId: 'subnet-other', replicationServersSecurityGroupsIDs: [], tags: { team: 'other' } },
        { replicationConfigurationTemplateID: 'rct-1', dataPlaneRouting: 'PUBLIC_IP', createPublicIP: true, stagingAreaSubnetId: 'subnet-public', replicationServersSecurityGroupsIDs: [], tags: { 'mgn-orchestrator:staging-subnet': 'subnet-staging' } },
      ],
    });
    mgn.on(UpdateReplicationConfigurationTemplateCommand).resolves({});
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    const ids = manifest.servers.map((s) => (s.source as { instanceId: string }).instanceId);
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [
        { InstanceId: ids[0], PingStatus: 'Online' },
        { InstanceId: ids[1], PingStatus: 'ConnectionLost' },
      ],
    });
    // every source carries the allowed tag (deploy config allowedTag)
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: ids.map((InstanceId) => ({ InstanceId, Tags: [{ Key: 'mgn-orchestrator:allowed', Value: 'true' }] })) }] });

    const next = await preflight(ctx, bed.deps);

    expect(mgn.commandCalls(UpdateReplicationConfigurationTemplateCommand)).toHaveLength(1);
    expect(mgn.commandCalls(UpdateReplicationConfigurationTemplateCommand)[0].args[0].input).toEqual({
      replicationConfigurationTemplateID: 'rct-1',
      stagingAreaSubnetId: 'subnet-staging',
      dataPlaneRouting: 'PRIVATE_IP',
      createPublicIP: false,
      replicationServersSecurityGroupsIDs: ['sg-replication'],
      associateDefaultSecurityGroup: false,
    });
    expect(mgn.commandCalls(CreateReplicationConfigurationTemplateCommand)).toHaveLength(0);
    const records = (await readRecords(bed, ctx)).servers;
    expect(records.map((r) => r.failure?.reason)).toEqual([
      undefined,
      'SSM agent is ConnectionLost in ap-southeast-1, not Online: Run Command cannot reach the source',
      expect.stringMatching(/^not registered with SSM in ap-southeast-1/),
    ]);
    expect(next).toMatchObject({ done: true, lastCompletedPhase: 'preflight', counts: { active: 1, failed: 2 } });
  });

  it('stops the wave when the orchestrator cannot reach an endpoint on 443', async () => {
    const manifest = waveOf(1);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const deps = {
      ...bed.deps,
      config: { ...bed.deps.config, preflightEndpoints: ['mgn.eu-west-1.amazonaws.com'] },
      network: { tcpProbe: async (host: string) => `${host}:443: ETIMEDOUT`, httpProbe: async () => ({ error: 'not used' }) },
    };
    await expect(preflight(ctx, deps)).rejects.toThrow(EndpointUnreachableError);
  });
});

describe('request-approval', () => {
  it('publishes the task token and a summary to SNS and never logs the token', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) => {
      s.servers[1].status = 'failed';
      s.servers[1].failure = { phase: 'test-verify', reason: 'smoke checks Failed: FAIL tcp:443' };
    });
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAsecrettoken==';

    await requestApproval({ context: ctx, taskToken: token, gate: 'cutover' }, bed.deps);

    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input).toMatchObject({ TopicArn: 'arn:aws:sns:eu-west-1:123456789012:waves', Subject: 'Approval needed: cutover of wave wave-7 (cutover gate)' });
    expect(input.Message).toContain(token);
    expect(input.Message).toContain('srv-001 (test-verify): smoke checks Failed: FAIL tcp:443');
    expect(input.Message).toContain('Gate: cutover. Answer with mgnctl approve|reject --task-token-file');
    expect(input.Message).not.toContain('RevertRequested');
    expect(bed.log.lines.join('\n')).not.toContain(token);
  });

  it('names the finalize gate, says finalizing is irreversible and how to revert', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    sns.on(PublishCommand).resolves({ MessageId: 'm-2' });
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAfinalizetoken==';

    await requestApproval(parseApprovalRequest({ context: ctx, taskToken: token, gate: 'finalize' }), bed.deps);

    const input = sns.commandCalls(PublishCommand)[0].args[0].input;
    expect(input.Subject).toBe('Approval needed: finalize the cutover of wave wave-7 (finalize gate)');
    expect(input.Message).toContain('waits at the finalize gate');
    expect(input.Message).toContain('irreversible');
    expect(input.Message).toContain('Gate: finalize. Answer with mgnctl approve|reject|revert --task-token-file');
    expect(input.Message).toContain('Step Functions error "RevertRequested"');
    expect(input.Message).toContain(token);
    expect(bed.log.lines.join('\n')).not.toContain(token);
  });

  it('says a revert answered at the cutover gate was refused, and refuses an unknown gate', async () => {
    const manifest = waveOf(1);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    sns.on(PublishCommand).resolves({ MessageId: 'm-3' });
    const refused = { ...ctx, refusedAnswer: { Error: 'RevertRequested', Cause: 'rollback (by bob)' } };
    await requestApproval(parseApprovalRequest({ context: refused, taskToken: 'tok-1' }), bed.deps);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain(
      'A revert answer was refused: at the cutover gate nothing is cut over yet, so there is nothing to revert (rollback (by bob)). Answer approve or reject.',
    );
    expect(() => parseApprovalRequest({ context: ctx, taskToken: 'tok-1', gate: 'soak' })).toThrow('gate?: "cutover" | "finalize"');
  });
});

describe('report', () => {
  it('writes every server with its result and final lifecycle, and outcome "failed" after a Catch', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) => {
      s.servers[0].sourceServerId = 's-00000000000000000';
    });
    mgn.on(DescribeSourceServersCommand).resolves({ items: [sdkServer('s-00000000000000000', 'i-x', { lifeCycle: { state: 'NOT_READY' } })] });
    sns.on(PublishCommand).resolves({});

    const out = await writeReport({ ...ctx, error: { Error: 'States.Timeout', Cause: 'task timed out' } }, bed.deps);

    const report = JSON.parse(bed.objects.get(reportKey('wave-7', 'run-1'))!);
    expect(out).toMatchObject({ outcome: 'failed', reportKey: 'waves/wave-7/runs/run-1/report.json', lastCompletedPhase: 'report' });
    expect(report).toMatchObject({
      waveId: 'wave-7',
      runId: 'run-1',
      outcome: 'failed',
      stoppedBy: { error: 'States.Timeout', cause: 'task timed out' },
      servers: [
        { name: 'srv-000', sourceServerId: 's-00000000000000000', finalLifecycleState: 'NOT_READY', result: 'skipped', launches: { test: 0, cutover: 0 } },
        { name: 'srv-001', sourceServerId: null, finalLifecycleState: 'NOT_IN_MGN', result: 'skipped' },
      ],
    });
    expect(report.servers[0].timeline).toEqual([{ phase: 'validate', status: 'done', at: '2026-01-05T08:00:00.000Z' }]);
    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Subject).toBe('Wave wave-7: failed');
  });

  it('reports a server MGN shows disconnected without a finalized cutover as failed, with the reason; a finalized one as migrated', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) => {
      s.servers[0].sourceServerId = 's-00000000000000000';
      s.servers[1].sourceServerId = 's-00000000000000001';
    });
    mgn.on(DescribeSourceServersCommand).resolves({
      items: [
        sdkServer('s-00000000000000000', 'i-x', { lifeCycle: { state: 'DISCONNECTED' } }),
        sdkServer('s-00000000000000001', 'i-y', { lifeCycle: { state: 'DISCONNECTED', lastCutover: { finalized: { apiCallDateTime: '2026-01-05T07:00:00Z' } } } }),
      ],
    });
    sns.on(PublishCommand).resolves({});

    await writeReport(ctx, bed.deps);

    const report = JSON.parse(bed.objects.get(reportKey('wave-7', 'run-1'))!);
    expect(report.outcome).toBe('completed-with-failures');
    expect(report.servers).toMatchObject([
      { name: 'srv-000', finalLifecycleState: 'DISCONNECTED', result: 'failed', failure: { phase: 'report', reason: DISCONNECTED_REASON } },
      { name: 'srv-001', finalLifecycleState: 'DISCONNECTED', result: 'migrated' },
    ]);
  });
});

import 'aws-sdk-client-mock-jest';
import { DescribeSourceServersCommand, mockMgn } from '../mgn-mock';
import {
  DeleteParameterCommand,
  DescribeInstanceInformationCommand,
  InvalidDocument,
  InvalidInstanceId,
  ListCommandInvocationsCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { AssumeRoleCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { MAX_INSTALL_POLL_SECONDS, installAgents, nextInstallWait } from '../../../functions/lib/flow/install-agents';
import type { WaveManifest } from '../../../functions/lib/manifest';
import { waveOf } from '../../asl/fake-world';
import { editRecords, readRecords, sdkServer, sdkTestbed, startedWave } from './sdk-deps';

const mgn = mockMgn();
const ssm = mockClient(SSMClient);
const sts = mockClient(STSClient);

/** The run's parameter name, as install-agents wrote it: under the installer root, the wave id, then 128 random bits. */
const stagedName = (): string => {
  const names = [...new Set(ssm.commandCalls(PutParameterCommand).map((c) => c.args[0].input.Name!))];
  expect(names).toHaveLength(1);
  expect(names[0]).toMatch(/^\/mgn-orchestrator\/installer-credentials\/wave-7\/[0-9a-f]{32}$/);
  return names[0];
};

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const SESSION = 'FwoGZXIvYXdzEXAMPLESESSIONTOKEN';

beforeEach(() => {
  mgn.reset();
  ssm.reset();
  sts.reset();
  ssm.on(SendCommandCommand).callsFake((input) => ({ Command: { CommandId: `cmd-${input.DocumentName}-${input.InstanceIds.length}` } }));
});

describe('install-agents', () => {
  it('skips servers MGN already knows and sends the host precheck in batches of at most 50, per SSM region', async () => {
    const manifest = waveOf(120);
    manifest.servers[119] = { ...manifest.servers[119], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'db1.corp.example' } };
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const known = sdkServer('s-00000000000000001', (manifest.servers[0].source as { instanceId: string }).instanceId);
    mgn.on(DescribeSourceServersCommand).resolves({ items: [known] });

    const next = await installAgents(ctx, bed.deps);

    const sends = ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(sends.map((s) => s.InstanceIds!.length)).toEqual([50, 50, 18, 1]);
    expect(sends.every((s) => s.DocumentName === 'MgnOrchestrator-Precheck')).toBe(true);
    expect(sends[0].Parameters).toEqual({
      region: ['eu-west-1'],
      mgnEndpoint: ['vpce-0a1b2c3d4e5f60718-abcd1234.mgn.eu-west-1.vpce.amazonaws.com'],
      s3Endpoint: ['vpce-0a1b2c3d4e5f60718-abcd1234.s3.eu-west-1.vpce.amazonaws.com'],
    });
    const sent = sends.flatMap((s) => s.InstanceIds);
    expect(sent).not.toContain((manifest.servers[0].source as { instanceId: string }).instanceId);
    expect(sends[3].InstanceIds).toEqual(['mi-0123456789abcdef0']);
    // EC2 sources go to SSM in their own region; the on-prem one to the target region
    const regions = await Promise.all(ssm.commandCalls(SendCommandCommand).map((c) => (c.thisValue as SSMClient).config.region()));
    expect(regions).toEqual(['ap-southeast-1', 'ap-southeast-1', 'ap-southeast-1', 'eu-west-1']);
    expect(next).toMatchObject({ done: false, phase: 'install', waitSeconds: 30 });
    expect(next.lastCompletedPhase).not.toBe('precheck'); // prechecks still running
    const skipped = (await readRecords(bed, ctx)).servers[0];
    expect(skipped.timeline.slice(-2)).toMatchObject([
      { phase: 'precheck', status: 'skipped' },
      { phase: 'install', status: 'skipped' },
    ]);
  });

  it('reads results back per instance: a failed precheck sets the server aside with the tail of its output; passed ones get the install', async () => {
    const manifest: WaveManifest = waveOf(3);
    manifest.servers[2] = { ...manifest.servers[2], devices: ['/dev/sda'], tags: { app: 'billing' } };
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) => s.servers.forEach((r) => (r.install = { stage: 'precheck-sent', commandId: 'cmd-pre', sentAt: '2026-01-05T07:59:00.000Z' })));
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    const ids = manifest.servers.map((s) => (s.source as { instanceId: string }).instanceId);
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [
        { InstanceId: ids[0], Status: 'Success', CommandPlugins: [{ Output: 'PASS dns' }] },
        { InstanceId: ids[1], Status: 'Failed', CommandPlugins: [{ Output: 'PASS dns-mgn\nFAIL disk-root: 1.2 GB free, need 2 GB' }] },
        { InstanceId: ids[2], Status: 'Success', CommandPlugins: [{ Output: 'PASS dns' }] },
      ],
    });

    const next = await installAgents(ctx, bed.deps);

    // every precheck answered, installs running: the precheck phase is over, the loop goes on
    expect(next).toMatchObject({ done: false, phase: 'install', lastCompletedPhase: 'precheck' });
    expect(ssm).toHaveReceivedCommandWith(ListCommandInvocationsCommand, { CommandId: 'cmd-pre', Details: true });
    const records = await readRecords(bed, ctx);
    expect(records.servers[1]).toMatchObject({
      status: 'failed',
      failure: { phase: 'precheck', reason: 'host precheck Failed: FAIL disk-root: 1.2 GB free, need 2 GB\n--- output tail ---\nPASS dns-mgn\nFAIL disk-root: 1.2 GB free, need 2 GB' },
    });
    // different parameters (devices, tags) mean separate commands
    const installs = ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input);
    expect(installs.map((i) => [i.DocumentName, i.InstanceIds])).toEqual([
      ['MgnOrchestrator-InstallLinux', [ids[0]]],
      ['MgnOrchestrator-InstallLinux', [ids[2]]],
    ]);
    expect(installs[1].Parameters).toMatchObject({ devices: ['/dev/sda'], tags: ['app=billing'], userProvidedId: [''], credentialsParameter: [''] });
  });

  it('installer-role: the host gets only the name of a SecureString parameter; the credentials appear in no command, output or log', async () => {
    const manifest = waveOf(2, { credentials: 'installer-role' });
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (s) => s.servers.forEach((r) => (r.install = { stage: 'precheck-passed' })));
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: SESSION, Expiration: new Date('2026-01-05T09:00:00Z') } });

    const next = await installAgents(ctx, bed.deps);

    const name = stagedName();
    expect(sts).toHaveReceivedCommandWith(AssumeRoleCommand, { RoleArn: 'arn:aws:iam::123456789012:role/installer', DurationSeconds: 3600 });
    // encrypted with the stack's installer-credentials key, never SSM's default aws/ssm key (issue 12 item 2)
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Name: name, Type: 'SecureString', Overwrite: true, KeyId: 'alias/MgnOrchestrator/installer-credentials' });
    expect(JSON.parse(ssm.commandCalls(PutParameterCommand)[0].args[0].input.Value!)).toMatchObject({ SecretAccessKey: SECRET, SessionToken: SESSION });
    const send = ssm.commandCalls(SendCommandCommand)[0].args[0].input;
    expect(send.Parameters?.credentialsParameter).toEqual([name]);
    const everythingElse = JSON.stringify([ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input), next, bed.log.lines, [...bed.objects.values()]]);
    expect(everythingElse).not.toContain(SECRET);
    expect(everythingElse).not.toContain(SESSION);
  });

  it('deletes the credentials parameter once every install has ended', async () => {
    const manifest = waveOf(1, { credentials: 'installer-role' });
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    const name = '/mgn-orchestrator/installer-credentials/wave-7/0123456789abcdef0123456789abcdef';
    await editRecords(bed, ctx, (s) => {
      s.credentialParameters = [{ region: 'ap-southeast-1', name }];
      s.servers[0].install = { stage: 'install-sent', commandId: 'cmd-inst', sentAt: '2026-01-05T07:50:00.000Z' };
    });
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    ssm.on(ListCommandInvocationsCommand).resolves({
      CommandInvocations: [{ InstanceId: (manifest.servers[0].source as { instanceId: string }).instanceId, Status: 'Success', CommandPlugins: [{ Output: 'done' }] }],
    });

    const next = await installAgents(ctx, bed.deps);

    expect(ssm).toHaveReceivedCommandWith(DeleteParameterCommand, { Name: name });
    expect(next).toMatchObject({ done: true, lastCompletedPhase: 'install' });
    expect((await readRecords(bed, ctx)).credentialParameters).toEqual([]);
  });
});

const regionOf = (c: { thisValue: unknown }) => (c.thisValue as SSMClient).config.region();
const idOf = (m: WaveManifest, i: number) => (m.servers[i].source as { instanceId: string }).instanceId;

describe('install-agents: hosts that went offline (SendCommand answers InvalidInstanceId for the whole call)', () => {
  it('sets aside only the offline host, naming it and its ping status, and sends the command to the rest', async () => {
    const manifest = waveOf(4);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    const offline = idOf(manifest, 2);
    ssm.on(SendCommandCommand).callsFake((input) => {
      if (input.InstanceIds.includes(offline))
        throw new InvalidInstanceId({ $metadata: {}, message: `Instances [[${offline}]] not in a valid state for account 123456789012` });
      return { Command: { CommandId: 'cmd-pre-1' } };
    });
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [
        ...[0, 1, 3].map((i) => ({ InstanceId: idOf(manifest, i), PingStatus: 'Online' as const })),
        { InstanceId: offline, PingStatus: 'ConnectionLost' as const, LastPingDateTime: new Date('2026-01-05T07:40:00Z') },
      ],
    });

    const next = await installAgents(ctx, bed.deps);

    const sends = ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds);
    expect(sends).toEqual([[0, 1, 2, 3].map((i) => idOf(manifest, i)), [0, 1, 3].map((i) => idOf(manifest, i))]);
    expect(ssm).toHaveReceivedCommandWith(DescribeInstanceInformationCommand, { Filters: [{ Key: 'InstanceIds', Values: [0, 1, 2, 3].map((i) => idOf(manifest, i)) }] });
    const records = await readRecords(bed, ctx);
    expect(records.servers[2]).toMatchObject({
      status: 'failed',
      failure: {
        phase: 'precheck',
        reason: `host ${offline} is ConnectionLost in SSM (ap-southeast-1, last ping 2026-01-05T07:40:00.000Z), not Online: Run Command refuses commands naming it (InvalidInstanceId); bring its SSM agent back, then re-run the wave`,
      },
    });
    for (const i of [0, 1, 3]) expect(records.servers[i].install).toMatchObject({ stage: 'precheck-sent', commandId: 'cmd-pre-1' });
    expect(next).toMatchObject({ done: false, phase: 'install', counts: { total: 4, active: 3, failed: 1 } });
  });

  it('an install batch loses only its offline host too, and a host SSM does not know is named as unregistered', async () => {
    const manifest = waveOf(3);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (st) => st.servers.forEach((r) => (r.install = { stage: 'precheck-passed' })));
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    ssm.on(SendCommandCommand).callsFake((input) => {
      if (input.InstanceIds.length > 1) throw new InvalidInstanceId({ $metadata: {}, message: 'Instances not in a valid state' });
      return { Command: { CommandId: 'cmd-inst' } };
    });
    ssm.on(DescribeInstanceInformationCommand).resolves({
      InstanceInformationList: [
        { InstanceId: idOf(manifest, 0), PingStatus: 'Inactive' },
        { InstanceId: idOf(manifest, 2), PingStatus: 'Online' },
      ],
    });

    await installAgents(ctx, bed.deps);

    const records = await readRecords(bed, ctx);
    expect(records.servers.map((r) => r.status)).toEqual(['failed', 'failed', 'active']);
    expect(records.servers[0].failure).toMatchObject({ phase: 'install', reason: expect.stringContaining(`host ${idOf(manifest, 0)} is Inactive in SSM (ap-southeast-1)`) });
    expect(records.servers[1].failure).toMatchObject({ phase: 'install', reason: expect.stringContaining(`host ${idOf(manifest, 1)} is not registered with SSM in ap-southeast-1`) });
    expect(records.servers[2].install).toMatchObject({ stage: 'install-sent', commandId: 'cmd-inst' });
    expect(ssm.commandCalls(SendCommandCommand).map((c) => c.args[0].input.InstanceIds)).toEqual([manifest.servers.map((_, i) => idOf(manifest, i)), [idOf(manifest, 2)]]);
  });

  it('refused although every host is Online (not an offline host): that batch is set aside, the Lambda does not fail', async () => {
    const manifest = waveOf(2);
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    ssm.on(SendCommandCommand).rejects(new InvalidInstanceId({ $metadata: {}, message: 'not in a valid state' }));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: [0, 1].map((i) => ({ InstanceId: idOf(manifest, i), PingStatus: 'Online' as const })) });

    const next = await installAgents(ctx, bed.deps);

    expect(ssm.commandCalls(SendCommandCommand)).toHaveLength(1);
    const records = await readRecords(bed, ctx);
    for (const r of records.servers)
      expect(r.failure).toMatchObject({ phase: 'precheck', reason: expect.stringMatching(/^SSM refused Run Command for host i-\w+ in ap-southeast-1 .* although it is Online/) });
    expect(next).toMatchObject({ done: true, phase: 'install' });
  });
});

describe('install-agents: documents and credentials per region', () => {
  it('a region without the document sets aside that region\'s servers with the fix; the other regions go on', async () => {
    const manifest = waveOf(2);
    manifest.servers[1] = { ...manifest.servers[1], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'db1.corp.example' } };
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    ssm.on(SendCommandCommand).callsFake(async function (this: SSMClient, input) {
      if (input.InstanceIds[0].startsWith('i-')) throw new InvalidDocument({ $metadata: {}, message: 'Document MgnOrchestrator-Precheck does not exist' });
      return { Command: { CommandId: 'cmd-target' } };
    });

    const next = await installAgents(ctx, bed.deps);

    const records = await readRecords(bed, ctx);
    expect(records.servers[0].failure).toEqual({
      phase: 'precheck',
      reason:
        "SSM document MgnOrchestrator-Precheck does not exist in ap-southeast-1 (InvalidDocument): deploy the stack's documents there (list ap-southeast-1 in the deploy config's sourceRegions, then cdk deploy --all)",
    });
    expect(records.servers[1].install).toMatchObject({ stage: 'precheck-sent', commandId: 'cmd-target' });
    expect(next.counts).toMatchObject({ active: 1, failed: 1 });
  });

  it('installer-role across regions: each host is told to read the parameter in the region it was written in, its own', async () => {
    const manifest = waveOf(2, { credentials: 'installer-role' });
    manifest.servers[1] = { ...manifest.servers[1], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'db1.corp.example' } };
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (st) => st.servers.forEach((r) => (r.install = { stage: 'precheck-passed' })));
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: SESSION, Expiration: new Date('2026-01-05T09:00:00Z') } });

    await installAgents(ctx, bed.deps);

    const name = stagedName();
    const puts = await Promise.all(ssm.commandCalls(PutParameterCommand).map(async (c) => [await regionOf(c), c.args[0].input.Name]));
    expect(puts.sort()).toEqual([
      ['ap-southeast-1', name],
      ['eu-west-1', name],
    ]);
    const sends = await Promise.all(ssm.commandCalls(SendCommandCommand).map(async (c) => [await regionOf(c), c.args[0].input.Parameters]));
    expect(sends).toEqual([
      ['ap-southeast-1', expect.objectContaining({ credentialsParameter: [name], credentialsRegion: ['ap-southeast-1'] })],
      ['eu-west-1', expect.objectContaining({ credentialsParameter: [name], credentialsRegion: ['eu-west-1'] })],
    ]);
  });

  it('credentials left out: EC2 sources install with their instance profile, on-premises ones with installer-role', async () => {
    const manifest = waveOf(2);
    manifest.servers[1] = { ...manifest.servers[1], source: { type: 'onprem', managedInstanceId: 'mi-0123456789abcdef0', hostname: 'db1.corp.example' } };
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);
    await editRecords(bed, ctx, (st) => st.servers.forEach((r) => (r.install = { stage: 'precheck-passed' })));
    mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
    sts.on(AssumeRoleCommand).resolves({ Credentials: { AccessKeyId: 'ASIAEXAMPLE', SecretAccessKey: SECRET, SessionToken: SESSION, Expiration: new Date('2026-01-05T09:00:00Z') } });

    await installAgents(ctx, bed.deps);

    const name = stagedName();
    // the parameter only where a host needs it: the on-premises one's region
    expect(await Promise.all(ssm.commandCalls(PutParameterCommand).map(regionOf))).toEqual(['eu-west-1']);
    const sends = ssm.commandCalls(SendCommandCommand).map((c) => [c.args[0].input.InstanceIds, c.args[0].input.Parameters]);
    expect(sends).toEqual([
      [[idOf(manifest, 0)], expect.objectContaining({ credentialsParameter: [''], credentialsRegion: [''] })],
      [['mi-0123456789abcdef0'], expect.objectContaining({ credentialsParameter: [name], credentialsRegion: ['eu-west-1'] })],
    ]);
  });
});

describe('install poll timing', () => {
  it('polls every 30 s at first, then a quarter of the phase age, at most every 5 minutes', () => {
    expect([0, 60, 120, 200, 600, 4000].map(nextInstallWait)).toEqual([30, 30, 30, 50, 150, MAX_INSTALL_POLL_SECONDS]);
    // the polls of a phase whose slowest install ends at 632 s: a dozen, the last under 25 % late
    const polls = [0];
    while (polls[polls.length - 1] < 632) polls.push(polls[polls.length - 1] + nextInstallWait(polls[polls.length - 1]));
    expect(polls.length).toBeLessThanOrEqual(14);
    expect(polls[polls.length - 1] - 632).toBeLessThanOrEqual(0.25 * 632);
  });
});

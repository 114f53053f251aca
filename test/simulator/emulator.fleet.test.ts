/**
 * Fleet behaviour of the emulator through the real SDK clients on the virtual clock: agent install,
 * replication through its states, launch jobs, booting instances, each fault kind, quotas,
 * lifecycle preconditions, throttling and chaos, the trace and the control API.
 */
import { DescribeInstancesCommand, DescribeInstanceStatusCommand } from '@aws-sdk/client-ec2';
import {
  ChangeServerLifeCycleStateCommand,
  DescribeJobLogItemsCommand,
  DescribeJobsCommand,
  DescribeSourceServersCommand,
  FinalizeCutoverCommand,
  MarkAsArchivedCommand,
  StartCutoverCommand,
  StartTestCommand,
  TerminateTargetInstancesCommand,
  type SourceServer,
} from '@aws-sdk/client-mgn';
import { DescribeInstanceInformationCommand, PutParameterCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import { readFileSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { WaveManifest } from '../../functions/lib/manifest';
import { signRequest, startEmulator, type Emulator } from '../../simulator/emulator';
import type { FaultKind, Scenario } from '../../simulator/scenario';
import { clients, destroyClients, installAll, invocation, manifest, runUntil, SOURCE_REGION, sourceIdOf, TARGET, writeLaunchSettings } from './emulator-fixtures';

const errorOf = async (p: Promise<unknown>): Promise<{ name: string; message: string; status?: number; body: Record<string, unknown> }> => {
  try {
    await p;
  } catch (e) {
    const err = e as { name: string; message: string; $metadata?: { httpStatusCode?: number }; $response?: unknown };
    return { name: err.name, message: err.message, status: err.$metadata?.httpStatusCode, body: err as unknown as Record<string, unknown> };
  }
  throw new Error('expected the call to fail');
};

async function servers(em: Emulator): Promise<SourceServer[]> {
  return (await clients(em.url).mgn.send(new DescribeSourceServersCommand({}))).items ?? [];
}

const byName = (list: SourceServer[], wave: WaveManifest, name: string) => {
  const spec = wave.servers.find((s) => s.name === name)!;
  return list.find((s) => s.sourceProperties?.identificationHints?.awsInstanceID === sourceIdOf(spec) || s.sourceProperties?.identificationHints?.fqdn === (spec.source.type === 'onprem' ? spec.source.hostname : undefined))!;
};

/** Installs a wave and waits (virtually) until every server that can is READY_FOR_TEST. */
async function readyWave(em: Emulator, wave: WaveManifest): Promise<SourceServer[]> {
  await installAll(em, wave);
  await runUntil(em, () => [...em.fleet.sourceServers.values()].every((s) => s.lifeCycle !== 'NOT_READY' || s.replication.state === 'STALLED') && em.fleet.sourceServers.size > 0 && em.fleet.commands.size > 0 && [...em.fleet.commands.values()].every((c) => em.fleet.commandStatus(c) !== 'InProgress' && em.fleet.commandStatus(c) !== 'Pending'));
  return servers(em);
}

async function waitJobs(em: Emulator): Promise<void> {
  await runUntil(em, () => em.fleet.activeJobs().length === 0);
}

afterAll(() => destroyClients());

describe('emulator fleet: install and replication', () => {
  let em: Emulator;
  const wave = manifest('rep', 3);
  afterEach(async () => em?.close());

  it('shows EC2 sources to SSM only in their source region and mi- sources in the target region', async () => {
    em = await startEmulator({ manifests: [wave] });
    const inTarget = await clients(em.url, TARGET).ssm.send(new DescribeInstanceInformationCommand({}));
    const inSource = await clients(em.url, SOURCE_REGION).ssm.send(new DescribeInstanceInformationCommand({}));
    expect(inTarget.InstanceInformationList!.map((i) => i.InstanceId)).toEqual(['mi-00000000000000002']);
    expect(inSource.InstanceInformationList!.map((i) => i.InstanceId).sort()).toEqual(['i-00000000000000001', 'i-00000000000000003']);
    expect(inSource.InstanceInformationList!.find((i) => i.InstanceId === 'i-00000000000000003')!.PlatformType).toBe('Windows');
    expect(inTarget.InstanceInformationList![0]).toMatchObject({ PingStatus: 'Online', PlatformType: 'Linux', ResourceType: 'ManagedInstance' });
  });

  it('installs the agent, registers source servers and replicates INITIATING -> INITIAL_SYNC -> CREATING_SNAPSHOT -> CONTINUOUS, then READY_FOR_TEST', async () => {
    em = await startEmulator({ manifests: [wave], scenario: { defaults: { installSeconds: 120, diskGiB: 50, bandwidthMbps: 100 } } });
    const { ssm } = clients(em.url, TARGET);
    // an on-premises host installs with installer-role credentials, read from a SecureString in its SSM region
    await ssm.send(new PutParameterCommand({ Name: '/mgn/rep/creds', Type: 'SecureString', Value: '{"AccessKeyId":"ASIAX"}' }));
    const sent = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'MgnOrchestrator-InstallLinux',
        InstanceIds: ['mi-00000000000000002'],
        Parameters: {
          region: [TARGET],
          mgnEndpoint: [wave.endpoints.mgn],
          s3Endpoint: [wave.endpoints.s3],
          tags: ['App=demo,Owner=ops'],
          userProvidedId: ['cmdb-42'],
          devices: [''],
          credentialsParameter: ['/mgn/rep/creds'],
          credentialsRegion: [TARGET],
        },
      }),
    );
    const commandId = sent.Command!.CommandId!;
    em.clock.advanceBy(60);
    expect((await invocation(em, commandId, 'mi-00000000000000002', TARGET)).Status).toBe('InProgress');
    expect(await servers(em)).toEqual([]);
    em.clock.advanceBy(65);
    const done = await invocation(em, commandId, 'mi-00000000000000002', TARGET);
    expect(done.Status).toBe('Success');
    const [server] = await servers(em);
    expect(server.sourceServerID).toMatch(/^s-[0-9a-f]{17}$/);
    expect(done.StandardOutputContent).toContain(server.sourceServerID);
    expect(server.tags).toEqual({ App: 'demo', Owner: 'ops' });
    expect(server.userProvidedID).toBe('cmdb-42');
    expect(server.sourceProperties!.identificationHints).toEqual({ hostname: 'host1', fqdn: 'host1.corp.example.com' });
    expect(server.lifeCycle!.state).toBe('NOT_READY');
    expect(server.dataReplicationInfo!.dataReplicationState).toBe('INITIATING');
    expect(server.dataReplicationInfo!.dataReplicationInitiation!.steps![0]).toEqual({ name: 'WAIT', status: 'IN_PROGRESS' });

    // 11 initiation steps of 20 s, then 50 GiB at 100 Mbit/s = ~4295 s of initial sync
    em.clock.advanceBy(230 + 2000);
    let [s] = await servers(em);
    const disk = s.dataReplicationInfo!.replicatedDisks![0];
    expect(s.dataReplicationInfo!.dataReplicationState).toBe('INITIAL_SYNC');
    expect(disk.totalStorageBytes).toBe(50 * 1024 ** 3);
    expect(disk.replicatedStorageBytes! / disk.totalStorageBytes!).toBeGreaterThan(0.4);
    expect(disk.replicatedStorageBytes! / disk.totalStorageBytes!).toBeLessThan(0.55);
    expect(Date.parse(s.dataReplicationInfo!.etaDateTime!)).toBeGreaterThan(em.clock.now());
    expect(s.dataReplicationInfo!.dataReplicationInitiation!.steps!.every((x) => x.status === 'SUCCEEDED')).toBe(true);

    em.clock.advanceBy(2300);
    [s] = await servers(em);
    expect(s.dataReplicationInfo!.dataReplicationState).toBe('CREATING_SNAPSHOT');
    expect(s.lifeCycle!.state).toBe('NOT_READY');
    em.clock.advanceBy(60);
    [s] = await servers(em);
    expect(s.dataReplicationInfo!.dataReplicationState).toBe('CONTINUOUS');
    expect(s.dataReplicationInfo!.lagDuration).toBe('PT1S');
    expect(s.lifeCycle!.state).toBe('READY_FOR_TEST');
    expect(em.nextEventTime()).toBeUndefined();
  });

  it('identifies EC2 sources by awsInstanceID', async () => {
    em = await startEmulator({ manifests: [wave] });
    const list = await readyWave(em, wave);
    expect(list.map((s) => s.sourceProperties!.identificationHints!.awsInstanceID).filter(Boolean).sort()).toEqual(['i-00000000000000001', 'i-00000000000000003']);
    expect(list.every((s) => s.lifeCycle!.state === 'READY_FOR_TEST')).toBe(true);
  });

  it('nextEventTime is the earliest change and jumping there changes something', async () => {
    em = await startEmulator({ manifests: [wave] });
    expect(em.nextEventTime()).toBeUndefined();
    await installAll(em, wave);
    const next = em.nextEventTime()!;
    expect(next).toBeGreaterThan(em.clock.now());
    em.clock.advanceTo(next - 1);
    expect(em.fleet.sourceServers.size).toBe(0);
    await runUntil(em, () => em.fleet.sourceServers.size > 0);
    expect(em.clock.now()).toBe(next);
  });
});

describe('emulator fleet: fault kinds', () => {
  let em: Emulator;
  afterEach(async () => em?.close());
  const wave = manifest('flt', 4);
  const scenarioWith = (faults: Record<string, FaultKind>): Scenario => ({
    servers: Object.fromEntries(Object.entries(faults).map(([name, fault]) => [name, { fault }])),
  });

  it('precheck passes with PASS lines, and fails with a FAIL line for precheck-fails', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv1': 'precheck-fails' }) });
    const { ssm } = clients(em.url, TARGET);
    const out = await ssm.send(
      new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: ['mi-00000000000000002', 'mi-00000000000000004'], Parameters: { region: [TARGET], mgnEndpoint: [wave.endpoints.mgn], s3Endpoint: [wave.endpoints.s3] } }),
    );
    em.clock.advanceBy(60);
    const failed = await invocation(em, out.Command!.CommandId!, 'mi-00000000000000002', TARGET);
    const passed = await invocation(em, out.Command!.CommandId!, 'mi-00000000000000004', TARGET);
    expect(failed.Status).toBe('Failed');
    expect(failed.ResponseCode).toBe(1);
    expect(failed.StandardOutputContent).toMatch(/^FAIL tcp .*:443: /m);
    expect(passed.Status).toBe('Success');
    expect(passed.StandardOutputContent).not.toContain('FAIL');
    expect(passed.StandardOutputContent).toContain('PASS disk /tmp >= 500 MB free');
  });

  it('install-fails fails the invocation with an installer tail and registers nothing', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv1': 'install-fails' }) });
    const cmds = await installAll(em, wave);
    await runUntil(em, () => false);
    const c = cmds.get('mi-00000000000000002')!;
    const inv = await invocation(em, c.commandId, 'mi-00000000000000002', c.region);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardOutputContent).toMatch(/Error: .*\n[\s\S]*Installation failed\.\n$/);
    const list = await servers(em);
    expect(list).toHaveLength(3);
    expect(list.some((s) => s.sourceProperties!.identificationHints!.fqdn === 'host1.corp.example.com')).toBe(false);
  });

  it('replication-stalls goes STALLED partway with a dataReplicationError and never gets READY_FOR_TEST', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv2': 'replication-stalls' }) });
    const list = await readyWave(em, wave);
    const stalled = byName(list, wave, 'flt-srv2');
    expect(stalled.dataReplicationInfo!.dataReplicationState).toBe('STALLED');
    expect(stalled.dataReplicationInfo!.dataReplicationError!.error).toBe('UNSTABLE_NETWORK');
    const d = stalled.dataReplicationInfo!.replicatedDisks![0];
    expect(d.replicatedStorageBytes! / d.totalStorageBytes!).toBeCloseTo(0.4, 2);
    expect(stalled.lifeCycle!.state).toBe('NOT_READY');
    expect(list.filter((s) => s.lifeCycle!.state === 'READY_FOR_TEST')).toHaveLength(3);
  });

  it('test-launch-fails marks the participant FAILED and leaves the server READY_FOR_TEST; the others launch and boot', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv0': 'test-launch-fails' }) });
    const list = await readyWave(em, wave);
    const { mgn, ec2, ssm } = clients(em.url, TARGET);
    await writeLaunchSettings(em, list.map((s) => s.sourceServerID!));
    const started = await mgn.send(new StartTestCommand({ sourceServerIDs: list.map((s) => s.sourceServerID!) }));
    expect(started.job!.status).toBe('PENDING');
    expect((await servers(em)).every((s) => s.lifeCycle!.state === 'TESTING')).toBe(true);
    await waitJobs(em);
    const [job] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [started.job!.jobID!] } }))).items!;
    expect(job.status).toBe('COMPLETED');
    const failedId = byName(list, wave, 'flt-srv0').sourceServerID;
    const statuses = Object.fromEntries(job.participatingServers!.map((p) => [p.sourceServerID, p.launchStatus]));
    expect(statuses[failedId!]).toBe('FAILED');
    expect(Object.values(statuses).filter((s) => s === 'LAUNCHED')).toHaveLength(3);
    const logs = (await mgn.send(new DescribeJobLogItemsCommand({ jobID: job.jobID! }))).items!;
    expect(logs.find((l) => l.event === 'LAUNCH_FAILED')!.eventData!.sourceServerID).toBe(failedId);
    const after = await servers(em);
    expect(after.find((s) => s.sourceServerID === failedId)!.lifeCycle!.state).toBe('READY_FOR_TEST');
    expect(after.filter((s) => s.lifeCycle!.state === 'TESTING')).toHaveLength(3);

    // the launched instances: pending -> running -> status ok, then SSM Online
    const launchedIds = job.participatingServers!.filter((p) => p.launchedEc2InstanceID).map((p) => p.launchedEc2InstanceID!);
    // each instance is pending for 30 s after its launch, then running; status checks pass 90 s later
    let described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: launchedIds }));
    const now = em.clock.now();
    for (const r of described.Reservations!) {
      const i = r.Instances![0];
      expect(i.State!.Name).toBe(now - i.LaunchTime!.getTime() < 30_000 ? 'pending' : 'running');
    }
    expect(described.Reservations!.some((r) => r.Instances![0].State!.Name === 'pending')).toBe(true);
    em.clock.advanceBy(31);
    const status = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: launchedIds }));
    expect(status.InstanceStatuses!.map((s) => s.InstanceStatus!.Status)).toContain('initializing');
    const notYet = status.InstanceStatuses!.filter((s) => s.InstanceStatus!.Status === 'initializing').map((s) => s.InstanceId!);
    const info = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: launchedIds }] }));
    expect(info.InstanceInformationList!.map((i) => i.InstanceId)).not.toEqual(expect.arrayContaining(notYet));
    em.clock.advanceBy(150);
    described = await ec2.send(new DescribeInstancesCommand({ InstanceIds: launchedIds }));
    expect(described.Reservations!.map((r) => r.Instances![0].State!.Name)).toEqual(['running', 'running', 'running']);
    const ok = await ec2.send(new DescribeInstanceStatusCommand({ InstanceIds: launchedIds }));
    expect(ok.InstanceStatuses!.map((s) => [s.InstanceStatus!.Status, s.SystemStatus!.Status])).toEqual([['ok', 'ok'], ['ok', 'ok'], ['ok', 'ok']]);
    const online = await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: launchedIds }] }));
    expect(online.InstanceInformationList!.map((i) => i.PingStatus)).toEqual(['Online', 'Online', 'Online']);
    expect((await servers(em)).filter((s) => s.launchedInstance?.firstBoot === 'SUCCEEDED')).toHaveLength(3);
  });

  it('test-check-fails fails smoke checks on the test instance, naming the check; quiesce on the source succeeds', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv1': 'test-check-fails' }) });
    const list = await readyWave(em, wave);
    const { mgn, ssm } = clients(em.url, TARGET);
    await writeLaunchSettings(em, list.map((s) => s.sourceServerID!));
    await mgn.send(new StartTestCommand({ sourceServerIDs: list.map((s) => s.sourceServerID!) }));
    await waitJobs(em);
    em.clock.advanceBy(200);
    const launched = await servers(em);
    const bad = byName(launched, wave, 'flt-srv1').launchedInstance!.ec2InstanceID!;
    const good = byName(launched, wave, 'flt-srv3').launchedInstance!.ec2InstanceID!;
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [bad, good], Parameters: { commands: ['nc -z localhost 443'] } }));
    em.clock.advanceBy(30);
    const badInv = await invocation(em, sent.Command!.CommandId!, bad, TARGET);
    expect(badInv.Status).toBe('Failed');
    expect(badInv.StandardOutputContent).toContain('FAIL tcp:443');
    expect((await invocation(em, sent.Command!.CommandId!, good, TARGET)).Status).toBe('Success');
    const quiesce = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: ['mi-00000000000000002'], Parameters: { commands: ['systemctl stop app'] } }));
    em.clock.advanceBy(30);
    expect((await invocation(em, quiesce.Command!.CommandId!, 'mi-00000000000000002', TARGET)).Status).toBe('Success');
  });

  it('cutover-launch-fails fails the cutover launch and returns the server to READY_FOR_CUTOVER', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv3': 'cutover-launch-fails' }) });
    const list = await readyWave(em, wave);
    const ids = list.map((s) => s.sourceServerID!);
    const { mgn } = clients(em.url, TARGET);
    await writeLaunchSettings(em, ids);
    await mgn.send(new StartTestCommand({ sourceServerIDs: ids }));
    await waitJobs(em);
    for (const id of ids) await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: ids }));
    await waitJobs(em);
    const cut = await mgn.send(new StartCutoverCommand({ sourceServerIDs: ids }));
    await waitJobs(em);
    const [job] = (await mgn.send(new DescribeJobsCommand({ filters: { jobIDs: [cut.job!.jobID!] } }))).items!;
    const failedId = byName(list, wave, 'flt-srv3').sourceServerID!;
    expect(job.participatingServers!.find((p) => p.sourceServerID === failedId)!.launchStatus).toBe('FAILED');
    const after = await servers(em);
    expect(after.find((s) => s.sourceServerID === failedId)!.lifeCycle!.state).toBe('READY_FOR_CUTOVER');
    expect(after.filter((s) => s.lifeCycle!.state === 'CUTTING_OVER')).toHaveLength(3);
  });

  it('cutover-check-fails fails the checks of the cutover instance only; a cutover is reverted to READY_FOR_CUTOVER, never once finalized', async () => {
    em = await startEmulator({ manifests: [wave], scenario: scenarioWith({ 'flt-srv1': 'cutover-check-fails' }) });
    const list = await readyWave(em, wave);
    const ids = list.map((s) => s.sourceServerID!);
    const { mgn, ssm, ec2 } = clients(em.url, TARGET);
    await writeLaunchSettings(em, ids);
    await mgn.send(new StartTestCommand({ sourceServerIDs: ids }));
    await waitJobs(em);
    em.clock.advanceBy(200);
    const testOf = (name: string) => byName(list, wave, name).sourceServerID!;
    const tested = await servers(em);
    const testInstance = tested.find((s) => s.sourceServerID === testOf('flt-srv1'))!.launchedInstance!.ec2InstanceID!;
    // the test instance passes: the fault is the cutover's
    const onTest = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [testInstance], Parameters: { commands: ['nc -z localhost 443'] } }));
    em.clock.advanceBy(30);
    expect((await invocation(em, onTest.Command!.CommandId!, testInstance, TARGET)).Status).toBe('Success');
    for (const id of ids) await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: ids }));
    await waitJobs(em);
    await mgn.send(new StartCutoverCommand({ sourceServerIDs: ids }));
    await waitJobs(em);
    em.clock.advanceBy(200);
    const cut = await servers(em);
    const bad = cut.find((s) => s.sourceServerID === testOf('flt-srv1'))!.launchedInstance!.ec2InstanceID!;
    const good = cut.find((s) => s.sourceServerID === testOf('flt-srv3'))!.launchedInstance!.ec2InstanceID!;
    const sent = await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [bad, good], Parameters: { commands: ['nc -z localhost 443'] } }));
    em.clock.advanceBy(30);
    const badInv = await invocation(em, sent.Command!.CommandId!, bad, TARGET);
    expect(badInv.Status).toBe('Failed');
    expect(badInv.StandardOutputContent).toContain('FAIL tcp:443: check did not pass on the cutover instance');
    expect((await invocation(em, sent.Command!.CommandId!, good, TARGET)).Status).toBe('Success');

    // revert (the console's "Revert to 'ready for cutover'"): the cutover instance stays until terminated
    const reverted = await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: testOf('flt-srv1'), lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    expect(reverted.lifeCycle!.state).toBe('READY_FOR_CUTOVER');
    expect(reverted.lifeCycle!.lastCutover!.reverted).toBeDefined();
    expect(reverted.launchedInstance!.ec2InstanceID).toBe(bad);
    await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [testOf('flt-srv1')] }));
    await waitJobs(em);
    em.clock.advanceBy(60);
    const gone = await ec2.send(new DescribeInstancesCommand({ InstanceIds: [bad] }));
    expect(gone.Reservations![0].Instances![0].State!.Name).toBe('terminated');

    // a finalized cutover cannot be reverted
    await mgn.send(new FinalizeCutoverCommand({ sourceServerID: testOf('flt-srv3') }));
    const refused = await errorOf(mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: testOf('flt-srv3'), lifeCycle: { state: 'READY_FOR_CUTOVER' } })));
    expect(refused.name).toBe('ConflictException');
    expect(refused.message).toContain('CUTOVER');
  });
});

describe('emulator fleet: lifecycle preconditions', () => {
  let em: Emulator;
  afterEach(async () => em?.close());
  const wave = manifest('lc', 2);

  it('refuses StartTest before CONTINUOUS and StartCutover from NOT_READY, naming the server and its state', async () => {
    em = await startEmulator({ manifests: [wave] });
    await installAll(em, wave);
    await runUntil(em, () => em.fleet.sourceServers.size === 2);
    const ids = (await servers(em)).map((s) => s.sourceServerID!);
    const { mgn } = clients(em.url, TARGET);
    const test = await errorOf(mgn.send(new StartTestCommand({ sourceServerIDs: ids })));
    expect(test.name).toBe('ConflictException');
    expect(test.status).toBe(409);
    expect(test.message).toContain(ids[0]);
    expect(test.message).toContain('INITIATING');
    const cut = await errorOf(mgn.send(new StartCutoverCommand({ sourceServerIDs: ids })));
    expect(cut.name).toBe('ConflictException');
    expect(cut.message).toContain('NOT_READY');
    expect(em.fleet.jobs.size).toBe(0);
  });

  it('marks a launchable READY_FOR_TEST server ready for cutover without a test (a wave with phases.test false)', async () => {
    em = await startEmulator({ manifests: [wave] });
    const ids = (await readyWave(em, wave)).map((s) => s.sourceServerID!);
    const { mgn } = clients(em.url, TARGET);
    const ready = await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: ids[0], lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    expect(ready.lifeCycle!.state).toBe('READY_FOR_CUTOVER');
    const cut = await mgn.send(new StartCutoverCommand({ sourceServerIDs: [ids[0]] }));
    expect(cut.job!.participatingServers!.map((p) => p.sourceServerID)).toEqual([ids[0]]);
  });

  it('walks test -> ready for cutover -> cutover -> finalize -> archive, refusing out-of-order moves', async () => {
    em = await startEmulator({ manifests: [wave] });
    const ids = (await readyWave(em, wave)).map((s) => s.sourceServerID!);
    const { mgn } = clients(em.url, TARGET);
    const id = ids[0];
    const expectConflict = async (p: Promise<unknown>, state: string) => {
      const e = await errorOf(p);
      expect(e.name).toBe('ConflictException');
      expect(e.message).toContain(id);
      expect(e.message).toContain(state);
    };
    await expectConflict(mgn.send(new MarkAsArchivedCommand({ sourceServerID: id })), 'READY_FOR_TEST');
    await expectConflict(mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'CUTOVER' } })), 'READY_FOR_TEST');
    await expectConflict(mgn.send(new FinalizeCutoverCommand({ sourceServerID: id })), 'READY_FOR_TEST');

    await writeLaunchSettings(em, [id]);
    await mgn.send(new StartTestCommand({ sourceServerIDs: [id] }));
    // the server is busy in a job: a second StartTest is refused
    await expectConflict(mgn.send(new StartTestCommand({ sourceServerIDs: [id] })), 'active job');
    await waitJobs(em);
    await expectConflict(mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [id] })), 'TESTING');
    const ready = await mgn.send(new ChangeServerLifeCycleStateCommand({ sourceServerID: id, lifeCycle: { state: 'READY_FOR_CUTOVER' } }));
    expect(ready.lifeCycle!.state).toBe('READY_FOR_CUTOVER');
    expect(ready.lifeCycle!.lastTest!.finalized).toBeDefined();
    const testInstance = ready.launchedInstance!.ec2InstanceID!;
    await mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [id] }));
    await waitJobs(em);
    em.clock.advanceBy(60);
    const gone = await clients(em.url, TARGET).ec2.send(new DescribeInstancesCommand({ InstanceIds: [testInstance] }));
    expect(gone.Reservations![0].Instances![0].State!.Name).toBe('terminated');

    await mgn.send(new StartCutoverCommand({ sourceServerIDs: [id] }));
    expect((await servers(em)).find((s) => s.sourceServerID === id)!.lifeCycle!.state).toBe('CUTTING_OVER');
    await waitJobs(em);
    await expectConflict(mgn.send(new TerminateTargetInstancesCommand({ sourceServerIDs: [id] })), 'CUTTING_OVER');
    const final = await mgn.send(new FinalizeCutoverCommand({ sourceServerID: id }));
    expect(final.lifeCycle!.state).toBe('CUTOVER');
    expect(final.dataReplicationInfo!.dataReplicationState).toBe('DISCONNECTED');
    expect(final.dataReplicationInfo!.replicatedDisks).toBeUndefined();
    const archived = await mgn.send(new MarkAsArchivedCommand({ sourceServerID: id }));
    expect(archived.isArchived).toBe(true);
    const listed = await mgn.send(new DescribeSourceServersCommand({ filters: { isArchived: false } }));
    expect(listed.items!.map((s) => s.sourceServerID)).toEqual([ids[1]]);
  });
});

describe('emulator fleet: quotas', () => {
  let em: Emulator;
  afterEach(async () => em?.close());

  it('refuses 201 ids per job (ValidationException) and more than 200 servers across active jobs (ServiceQuotaExceededException)', async () => {
    const wave = manifest('big', 210);
    // 210 replicating servers need the replicating-servers quota raised from its default of 150
    em = await startEmulator({ manifests: [wave], scenario: { quotas: { replicatingServers: 1000 }, defaults: { diskGiB: 1, bandwidthMbps: 1000, installSeconds: 30 } } });
    const ids = (await readyWave(em, wave)).map((s) => s.sourceServerID!);
    expect(ids).toHaveLength(210);
    const { mgn } = clients(em.url, TARGET);
    const tooMany = await errorOf(mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(0, 201) })));
    expect(tooMany.name).toBe('ValidationException');
    expect(tooMany.status).toBe(400);
    expect(tooMany.message).toContain('sourceServerIDs');
    expect((tooMany.body as { fieldList?: { name: string }[] }).fieldList?.[0].name).toBe('sourceServerIDs');
    await mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(0, 150) }));
    const over = await errorOf(mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(150, 201) })));
    expect(over.name).toBe('ServiceQuotaExceededException');
    expect(over.message).toMatch(/150 source servers are already in active jobs/);
    // exactly up to the quota is fine
    await mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(150, 200) }));
    expect(em.fleet.serversInActiveJobs()).toBe(200);
    await waitJobs(em);
    await mgn.send(new StartTestCommand({ sourceServerIDs: ids.slice(200) }));
    // DescribeSourceServers filters are capped too
    const filterTooBig = await errorOf(mgn.send(new DescribeSourceServersCommand({ filters: { sourceServerIDs: ids.slice(0, 201) } })));
    expect(filterTooBig.name).toBe('ValidationException');
    const page1 = await mgn.send(new DescribeSourceServersCommand({ maxResults: 100 }));
    const page3 = await mgn.send(new DescribeSourceServersCommand({ maxResults: 100, nextToken: (await mgn.send(new DescribeSourceServersCommand({ maxResults: 100, nextToken: page1.nextToken }))).nextToken }));
    expect(page1.items).toHaveLength(100);
    expect(page3.items).toHaveLength(10);
    expect(page3.nextToken).toBeUndefined();
  });

  it('fails the install beyond quotas.replicatingServers with a ServiceQuotaExceeded message', async () => {
    const wave = manifest('quota', 3);
    em = await startEmulator({ manifests: [wave], scenario: { quotas: { replicatingServers: 2 } } });
    const cmds = await installAll(em, wave);
    await runUntil(em, () => false);
    const results = await Promise.all([...cmds].map(([id, c]) => invocation(em, c.commandId, id, c.region)));
    expect(results.filter((r) => r.Status === 'Success')).toHaveLength(2);
    const failed = results.filter((r) => r.Status === 'Failed');
    expect(failed).toHaveLength(1);
    expect(failed[0].StandardOutputContent).toContain('ServiceQuotaExceededException');
    expect(em.fleet.sourceServers.size).toBe(2);
  });
});

describe('emulator: throttling, chaos, trace and control API', () => {
  let em: Emulator;
  afterEach(async () => em?.close());
  const wave = manifest('thr', 2);

  async function outcomes(seed: number, rate: number, calls: number): Promise<string[]> {
    const e = await startEmulator({ manifests: [wave], scenario: { seed, throttle: { rate } } });
    const { mgn } = clients(e.url, TARGET);
    const out: string[] = [];
    for (let i = 0; i < calls; i++) {
      try {
        await mgn.send(new DescribeSourceServersCommand({}));
        out.push('ok');
      } catch (err) {
        const x = err as { name: string; $response?: { headers?: Record<string, string> }; $metadata: { httpStatusCode?: number } };
        expect(x.$metadata.httpStatusCode).toBe(429);
        out.push(x.name);
      }
    }
    await e.close();
    return out;
  }

  it('throttles about rate x calls with ThrottlingException (429), the same calls for the same seed', async () => {
    const a = await outcomes(7, 0.3, 200);
    const throttled = a.filter((x) => x === 'ThrottlingException').length;
    expect(throttled).toBeGreaterThan(40);
    expect(throttled).toBeLessThan(80);
    expect(await outcomes(7, 0.3, 200)).toEqual(a);
    expect(await outcomes(8, 0.3, 200)).not.toEqual(a);
    expect((await outcomes(7, 0, 50)).every((x) => x === 'ok')).toBe(true);
  });

  it('gives a throttled MGN call retryAfterSeconds and a Retry-After header, and each service its own throttling code', async () => {
    em = await startEmulator({ manifests: [wave], scenario: { throttle: { rate: 1 } } });
    const url = `${em.url}/DescribeSourceServers`;
    const res = await fetch(url, {
      method: 'POST',
      headers: signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body: '{}' }, { region: TARGET, service: 'mgn' }),
      body: '{}',
    });
    expect(res.status).toBe(429);
    expect(res.headers.get('x-amzn-errortype')).toBe('ThrottlingException');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await res.json()).toMatchObject({ message: 'Rate exceeded', retryAfterSeconds: '1' });
    const c = clients(em.url, TARGET);
    expect((await errorOf(c.ssm.send(new DescribeInstanceInformationCommand({})))).name).toBe('ThrottlingException');
    expect((await errorOf(c.ec2.send(new DescribeInstancesCommand({})))).name).toBe('RequestLimitExceeded');
    expect(em.trace.entries.map((e) => e.outcome)).toEqual(['ThrottlingException', 'ThrottlingException', 'RequestLimitExceeded']);
  });

  it('chaos: internal errors (500), dropped connections and slow answers, on the calls the seed picks', async () => {
    em = await startEmulator({ manifests: [wave], scenario: { chaos: { internalErrorRate: 1 } } });
    const internal = await errorOf(clients(em.url, TARGET).mgn.send(new DescribeSourceServersCommand({})));
    expect(internal.name).toBe('InternalServerException');
    expect(internal.status).toBe(500);
    await em.close();

    em = await startEmulator({ manifests: [wave], scenario: { chaos: { dropConnectionRate: 1 } } });
    // a raw request: the SDK leaves a timer behind after a reset socket, which would hold jest open
    const dropped = await new Promise<string>((resolve) => {
      const url = `${em.url}/DescribeSourceServers`;
      const req = request(url, {
        method: 'POST',
        agent: false,
        headers: signRequest({ method: 'POST', url, body: '{}' }, { region: TARGET, service: 'mgn' }),
      });
      req.on('response', () => resolve('answered'));
      req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
      req.end('{}');
    });
    expect(dropped).toBe('ECONNRESET');
    expect(em.trace.entries[0].outcome).toBe('ConnectionDropped');
    await em.close();

    em = await startEmulator({ manifests: [wave], scenario: { chaos: { slowResponseRate: 1 } }, slowResponseMs: 300 });
    const t0 = Date.now();
    await clients(em.url, TARGET).mgn.send(new DescribeSourceServersCommand({}));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
  });

  it('traces every request with virtual time, region, params and outcome, flags mutations, and streams trace.jsonl', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'emu-trace-'));
    const file = join(dir, 'trace.jsonl');
    em = await startEmulator({ manifests: [wave], traceFile: file });
    const c = clients(em.url, TARGET);
    await c.mgn.send(new DescribeSourceServersCommand({ maxResults: 5 }));
    await errorOf(c.mgn.send(new StartTestCommand({ sourceServerIDs: ['s-00000000000000000'] })));
    await c.ssm.send(new DescribeInstanceInformationCommand({}));
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toEqual(em.trace.entries.map((e) => JSON.parse(JSON.stringify(e))));
    expect(lines[0]).toEqual({ seq: 1, virtualTime: '2026-01-05T08:00:00.000Z', service: 'mgn', operation: 'DescribeSourceServers', region: TARGET, params: { maxResults: 5 }, outcome: 'ok', status: 200 });
    expect(lines[1]).toMatchObject({ seq: 2, operation: 'StartTest', outcome: 'ValidationException', status: 400, mutating: true });
    expect(lines[2]).toMatchObject({ service: 'ssm', operation: 'DescribeInstanceInformation', outcome: 'ok' });
    expect(em.trace.countsByOperation()).toEqual({ 'mgn:DescribeSourceServers': 1, 'mgn:StartTest': 1, 'ssm:DescribeInstanceInformation': 1 });
  });

  it('control API: GET /_emulator/state and POST /_emulator/advance?seconds=N', async () => {
    em = await startEmulator({ manifests: [wave] });
    await installAll(em, wave);
    const state = (await (await fetch(`${em.url}/_emulator/state`)).json()) as { servers: number; commands: number; now: string };
    expect(state).toMatchObject({ servers: 2, commands: 2, now: '2026-01-05T08:00:00.000Z' });
    const advanced = await fetch(`${em.url}/_emulator/advance?seconds=3600`, { method: 'POST' });
    expect(advanced.status).toBe(200);
    const after = (await advanced.json()) as { now: string; sourceServers: { total: number } };
    expect(after.now).toBe('2026-01-05T09:00:00.000Z');
    expect(after.sourceServers.total).toBe(2);
    const bad = await fetch(`${em.url}/_emulator/advance?seconds=-1`, { method: 'POST' });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ message: expect.stringContaining('seconds=N') });
  });
});

/**
 * The emulator's SSM refuses what SSM refuses across regions and for unreachable hosts:
 * - documents are regional: SendCommand naming a document the region does not hold is InvalidDocument
 *   (the stack's documents exist in the deployment's target and source regions, built by the same code
 *   as the stack's, with the parameters that code defines);
 * - a SecureString is read in the region it was written in (GetParameter elsewhere: ParameterNotFound),
 *   and an installing host reads it only where the document tells it to, from its own region;
 * - an on-premises host has no instance profile: without credentials the installer fails;
 * - SendCommand naming any host that is not Online is refused as a whole (InvalidInstanceId), and
 *   nothing runs on any target.
 */
import {
  DescribeInstanceInformationCommand,
  GetParameterCommand,
  ListCommandsCommand,
  PutParameterCommand,
  SendCommandCommand,
} from '@aws-sdk/client-ssm';
import { installDocument } from '../../functions/lib/installer';
import { startEmulator, type Emulator, type WireAnswer } from '../../simulator/emulator';
import { documentRegistry, parameterRules } from '../../simulator/emulator/documents';
import { checkJson, loadModel } from './aws-model';
import { clients, destroyClients, invocation, manifest, runUntil, SOURCE_REGION, TARGET } from './emulator-fixtures';

const ssmModel = () => loadModel('ssm-2014-11-06');

const failure = async (p: Promise<unknown>): Promise<{ name: string; message: string }> => {
  try {
    await p;
  } catch (e) {
    return e as { name: string; message: string };
  }
  throw new Error('expected the call to fail');
};

const wave = manifest('reg', 4); // srv0, srv2: EC2 in SOURCE_REGION; srv1, srv3: on-prem (mi-) in TARGET
const ec2Id = 'i-00000000000000001';
const ec2Id2 = 'i-00000000000000003';
const onpremId = 'mi-00000000000000002';
const installParams = (extra: Record<string, string[]> = {}) => ({
  region: [TARGET],
  mgnEndpoint: [wave.endpoints.mgn],
  s3Endpoint: [wave.endpoints.s3],
  ...extra,
});

let em: Emulator;
const answers: WireAnswer[] = [];
afterEach(async () => {
  await em?.close();
  answers.length = 0;
});
afterAll(() => destroyClients());

describe('documents are regional', () => {
  it('refuses SendCommand in a source region the deployment has no documents stack for, with the InvalidDocument shape of the model', async () => {
    em = await startEmulator({ manifests: [wave], documentRegions: { targetRegion: TARGET, sourceRegions: [] }, onResponse: (a) => answers.push(a) });
    const inSource = clients(em.url, SOURCE_REGION).ssm;
    const err = await failure(
      inSource.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: [ec2Id], Parameters: installParams() })),
    );
    expect(err.name).toBe('InvalidDocument');
    const wire = answers[answers.length - 1];
    expect([wire.service, wire.operation, wire.status]).toEqual(['ssm', 'SendCommand', 400]);
    const body = JSON.parse(wire.body) as Record<string, unknown>;
    expect(body).toEqual({ __type: 'InvalidDocument', Message: expect.stringContaining(`MgnOrchestrator-Precheck does not exist in ${SOURCE_REGION}`) });
    expect(checkJson(ssmModel(), 'InvalidDocument', body)).toEqual([]);
    // nothing was sent
    expect((await inSource.send(new ListCommandsCommand({}))).Commands).toEqual([]);
    // the same document in the target region, and AWS's own documents in any region, are there
    const target = clients(em.url, TARGET).ssm;
    await target.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: [onpremId], Parameters: installParams() }));
    await inSource.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [ec2Id], Parameters: { commands: ['true'] } }));
  });

  it('runs the documents in every source region of the deployment', async () => {
    em = await startEmulator({ manifests: [wave], documentRegions: { targetRegion: TARGET, sourceRegions: [SOURCE_REGION] } });
    const out = await clients(em.url, SOURCE_REGION).ssm.send(
      new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: [ec2Id], Parameters: installParams() }),
    );
    em.clock.advanceBy(60);
    expect((await invocation(em, out.Command!.CommandId!, ec2Id, SOURCE_REGION)).Status).toBe('Success');
  });

  it('without a deployment given, the documents exist where the loaded waves need them (target and EC2 source regions), nowhere else', async () => {
    em = await startEmulator({ manifests: [wave] });
    expect(em.fleet.documentRegistry.regions().sort()).toEqual([SOURCE_REGION, TARGET].sort());
    expect(em.fleet.documentRegistry.find('us-east-1', 'MgnOrchestrator-Precheck')).toBeUndefined();
  });

  it('knows each document by the parameters the stack deploys: an undefined parameter or a value outside allowedPattern is InvalidParameters', async () => {
    const registry = documentRegistry({ precheck: 'P', linuxInstall: 'L', windowsInstall: 'W' }, TARGET, [SOURCE_REGION]);
    expect(Object.keys(registry.find(SOURCE_REGION, 'L')!.parameters).sort()).toEqual(Object.keys(installDocument('linux').parameters).sort());
    expect(registry.find(SOURCE_REGION, 'L')!.parameters).toEqual(parameterRules(installDocument('linux')));
    em = await startEmulator({ manifests: [wave] });
    const ssm = clients(em.url, SOURCE_REGION).ssm;
    const unknown = await failure(
      ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-InstallLinux', InstanceIds: [ec2Id], Parameters: installParams({ credentialRegion: [SOURCE_REGION] }) })),
    );
    expect([unknown.name, unknown.message]).toEqual(['InvalidParameters', expect.stringContaining('"credentialRegion" is not defined in the document')]);
    const bad = await failure(
      ssm.send(
        new SendCommandCommand({
          DocumentName: 'MgnOrchestrator-InstallLinux',
          InstanceIds: [ec2Id],
          Parameters: installParams({ credentialsParameter: ['/p'], credentialsRegion: ['ap-southeast-1;id'] }),
        }),
      ),
    );
    expect([bad.name, bad.message]).toEqual(['InvalidParameters', expect.stringContaining('"credentialsRegion"')]);
  });
});

describe('SecureStrings are regional', () => {
  it('GetParameter in another region than the one written to is ParameterNotFound', async () => {
    em = await startEmulator({ manifests: [wave] });
    await clients(em.url, SOURCE_REGION).ssm.send(new PutParameterCommand({ Name: '/mgn/reg/creds', Type: 'SecureString', Value: 'v' }));
    expect((await clients(em.url, SOURCE_REGION).ssm.send(new GetParameterCommand({ Name: '/mgn/reg/creds', WithDecryption: true }))).Parameter!.Value).toBe('v');
    expect((await failure(clients(em.url, TARGET).ssm.send(new GetParameterCommand({ Name: '/mgn/reg/creds' })))).name).toBe('ParameterNotFound');
  });

  /** Installs with the credentials parameter read in `credentialsRegion`; returns the finished invocation. */
  async function installReading(hostRegion: string, hostId: string, credentialsRegion: string) {
    const ssm = clients(em.url, hostRegion).ssm;
    const out = await ssm.send(
      new SendCommandCommand({
        DocumentName: 'MgnOrchestrator-InstallLinux',
        InstanceIds: [hostId],
        Parameters: installParams({ credentialsParameter: ['/mgn/reg/creds'], credentialsRegion: [credentialsRegion] }),
      }),
    );
    await runUntil(em, () => false);
    return invocation(em, out.Command!.CommandId!, hostId, hostRegion);
  }

  it('an EC2 source host reads the parameter in its own region, where install-agents writes it: the install goes on', async () => {
    em = await startEmulator({ manifests: [wave] });
    await clients(em.url, SOURCE_REGION).ssm.send(new PutParameterCommand({ Name: '/mgn/reg/creds', Type: 'SecureString', Value: '{}' }));
    expect((await installReading(SOURCE_REGION, ec2Id, SOURCE_REGION)).Status).toBe('Success');
    expect(em.fleet.sourceServers.size).toBe(1);
  });

  it('told to read it in the target region, where it was not written, the host cannot: the install fails and registers nothing', async () => {
    em = await startEmulator({ manifests: [wave] });
    await clients(em.url, SOURCE_REGION).ssm.send(new PutParameterCommand({ Name: '/mgn/reg/creds', Type: 'SecureString', Value: '{}' }));
    const inv = await installReading(SOURCE_REGION, ec2Id, TARGET);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toContain(`could not read installer credentials: Could not connect to the endpoint URL: "https://ssm.${TARGET}.amazonaws.com/"`);
    expect(em.fleet.sourceServers.size).toBe(0);
  });

  it('a parameter missing from the host region is ParameterNotFound on the host, even when another region has it', async () => {
    em = await startEmulator({ manifests: [wave] });
    await clients(em.url, TARGET).ssm.send(new PutParameterCommand({ Name: '/mgn/reg/creds', Type: 'SecureString', Value: '{}' }));
    const inv = await installReading(SOURCE_REGION, ec2Id, SOURCE_REGION);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toContain('(ParameterNotFound) when calling the GetParameter operation: Parameter /mgn/reg/creds not found in');
  });

  it('an on-premises host without credentials fails the install (no instance profile, --no-prompt); an EC2 host uses its instance profile', async () => {
    em = await startEmulator({ manifests: [wave] });
    const out = await clients(em.url, TARGET).ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-InstallLinux', InstanceIds: [onpremId], Parameters: installParams() }));
    const ec2 = await clients(em.url, SOURCE_REGION).ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-InstallLinux', InstanceIds: [ec2Id], Parameters: installParams() }));
    await runUntil(em, () => false);
    const inv = await invocation(em, out.Command!.CommandId!, onpremId, TARGET);
    expect(inv.Status).toBe('Failed');
    expect(inv.StandardErrorContent).toMatch(/^Error: no AWS credentials: this server is not an EC2 instance with an instance profile, and --no-prompt prevents asking/);
    expect((await invocation(em, ec2.Command!.CommandId!, ec2Id, SOURCE_REGION)).Status).toBe('Success');
    expect(em.fleet.sourceServers.size).toBe(1);
  });
});

describe('a host that is not Online', () => {
  it('refuses the whole SendCommand with InvalidInstanceId naming it, and runs nothing on the Online hosts', async () => {
    em = await startEmulator({ manifests: [wave], onResponse: (a) => answers.push(a) });
    em.fleet.setPingStatus(SOURCE_REGION, ec2Id2, 'ConnectionLost');
    const ssm = clients(em.url, SOURCE_REGION).ssm;
    const err = await failure(ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [ec2Id, ec2Id2], Parameters: { commands: ['true'] } })));
    expect(err.name).toBe('InvalidInstanceId');
    const body = JSON.parse(answers[answers.length - 1].body) as Record<string, unknown>;
    expect(body).toEqual({ __type: 'InvalidInstanceId', Message: `Instances [[${ec2Id2}]] not in a valid state for account 111122223333` });
    expect(checkJson(ssmModel(), 'InvalidInstanceId', body)).toEqual([]);
    expect((await ssm.send(new ListCommandsCommand({}))).Commands).toEqual([]);
    expect(em.fleet.commands.size).toBe(0);
    // the Online host alone is fine
    await ssm.send(new SendCommandCommand({ DocumentName: 'AWS-RunShellScript', InstanceIds: [ec2Id], Parameters: { commands: ['true'] } }));
    expect(em.fleet.commands.size).toBe(1);
  });

  it('shows its ping status and last ping in DescribeInstanceInformation, and the PingStatus filter finds it', async () => {
    em = await startEmulator({ manifests: [wave] });
    em.clock.advanceBy(100);
    const lostAt = em.clock.now();
    em.fleet.setPingStatus(SOURCE_REGION, ec2Id2, 'ConnectionLost');
    em.clock.advanceBy(600);
    const ssm = clients(em.url, SOURCE_REGION).ssm;
    const all = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: [ec2Id, ec2Id2] }] }))).InstanceInformationList!;
    expect(all.map((i) => [i.InstanceId, i.PingStatus])).toEqual([
      [ec2Id, 'Online'],
      [ec2Id2, 'ConnectionLost'],
    ]);
    expect(all[1].LastPingDateTime!.getTime()).toBe(lostAt);
    const lost = (await ssm.send(new DescribeInstanceInformationCommand({ Filters: [{ Key: 'PingStatus', Values: ['ConnectionLost'] }] }))).InstanceInformationList!;
    expect(lost.map((i) => i.InstanceId)).toEqual([ec2Id2]);
  });

  it('agent-offline: the host passes its precheck, then its SSM agent stops answering', async () => {
    em = await startEmulator({ manifests: [wave], scenario: { servers: { 'reg-srv2': { fault: 'agent-offline' } } } });
    const ssm = clients(em.url, SOURCE_REGION).ssm;
    const out = await ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-Precheck', InstanceIds: [ec2Id, ec2Id2], Parameters: installParams() }));
    expect(em.fleet.managedInstance(SOURCE_REGION, ec2Id2)!.pingStatus).toBe('Online');
    await runUntil(em, () => false);
    expect((await invocation(em, out.Command!.CommandId!, ec2Id2, SOURCE_REGION)).Status).toBe('Success');
    expect(em.fleet.managedInstance(SOURCE_REGION, ec2Id2)!.pingStatus).toBe('ConnectionLost');
    expect(em.fleet.managedInstance(SOURCE_REGION, ec2Id)!.pingStatus).toBe('Online');
    expect((await failure(ssm.send(new SendCommandCommand({ DocumentName: 'MgnOrchestrator-InstallLinux', InstanceIds: [ec2Id, ec2Id2], Parameters: installParams() })))).name).toBe(
      'InvalidInstanceId',
    );
  });
});

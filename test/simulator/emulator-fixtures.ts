/**
 * Shared fixtures for the emulator tests: manifests built through the real parser, SDK clients
 * pointed at an emulator with the credentials it accepts, and a driver that installs agents and waits for
 * replication on the virtual clock.
 */
import { CreateLaunchTemplateVersionCommand, DescribeLaunchTemplateVersionsCommand, EC2Client, ModifyLaunchTemplateCommand } from '@aws-sdk/client-ec2';
import { GetLaunchConfigurationCommand, MgnClient, UpdateLaunchConfigurationCommand } from '@aws-sdk/client-mgn';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { GetCommandInvocationCommand, PutParameterCommand, SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { parseManifest, type WaveManifest } from '../../functions/lib/manifest';
import { EMULATOR_CREDENTIALS, type Emulator } from '../../simulator/emulator';

export const TARGET = 'eu-west-1';
export const SOURCE_REGION = 'eu-central-1';
export const MGN_ENDPOINT = `vpce-0a1b2c3d4e5f60718-abcd1234.mgn.${TARGET}.vpce.amazonaws.com`;
export const S3_ENDPOINT = `vpce-0a1b2c3d4e5f60719-abcd1234.s3.${TARGET}.vpce.amazonaws.com`;

const hex17 = (n: number) => n.toString(16).padStart(17, '0');

/** A wave of `count` servers: even ones EC2 sources in SOURCE_REGION, odd ones on-prem (mi-), every third Windows. */
export function manifest(waveId: string, count: number, offset = 0): WaveManifest {
  return parseManifest({
    waveId,
    targetRegion: TARGET,
    endpoints: { mgn: MGN_ENDPOINT, s3: S3_ENDPOINT },
    servers: Array.from({ length: count }, (_, k) => {
      const i = k + offset;
      return {
        name: `${waveId}-srv${i}`,
        os: i % 3 === 2 ? 'windows' : 'linux',
        source:
          i % 2 === 0
            ? { type: 'ec2', instanceId: `i-${hex17(i + 1)}`, region: SOURCE_REGION }
            : { type: 'onprem', managedInstanceId: `mi-${hex17(i + 1)}`, hostname: `host${i}.corp.example.com` },
        tags: { App: 'demo' },
        checks: [{ type: 'tcp', port: 443 }],
      };
    }),
  });
}

/** The emulator verifies every signature: sign with the credentials it knows. */
const credentials = EMULATOR_CREDENTIALS;

const made: { destroy(): void }[] = [];

/** Closes every client `clients()` made (their keep-alive sockets would hold jest open). */
export function destroyClients(): void {
  for (const c of made.splice(0)) c.destroy();
}

export function clients(url: string, region = TARGET, maxAttempts = 1) {
  const common = { endpoint: url, region, credentials, maxAttempts };
  const set = {
    mgn: new MgnClient(common),
    ssm: new SSMClient(common),
    ec2: new EC2Client(common),
    sts: new STSClient(common),
    s3: new S3Client({ ...common, forcePathStyle: true }),
    sns: new SNSClient(common),
    quotas: new ServiceQuotasClient(common),
  };
  made.push(...Object.values(set));
  return set;
}

export const sourceRegionOf = (s: WaveManifest['servers'][number], target: string) => (s.source.type === 'ec2' ? s.source.region : target);
export const sourceIdOf = (s: WaveManifest['servers'][number]) => (s.source.type === 'ec2' ? s.source.instanceId : s.source.managedInstanceId);

/** The SecureString an on-premises host reads its installer credentials from (installAll stages it). */
export const installerCredentialsParameter = (waveId: string) => `/mgn-orchestrator/${waveId}/fixture/installer-credentials`;

/**
 * Sends the install document to every server of the wave (per SSM region, ≤ 50 ids per call). EC2
 * sources install with their instance profile; on-premises ones with installer-role credentials staged
 * in a SecureString in their SSM region (the target region), as install-agents does. Returns command ids per instance.
 */
export async function installAll(emulator: Emulator, wave: WaveManifest, documents = { linux: 'MgnOrchestrator-InstallLinux', windows: 'MgnOrchestrator-InstallWindows' }) {
  const byKey = new Map<string, string[]>();
  for (const s of wave.servers) {
    const key = `${sourceRegionOf(s, wave.targetRegion)}|${s.os}|${s.source.type}`;
    byKey.set(key, [...(byKey.get(key) ?? []), sourceIdOf(s)]);
  }
  const commands = new Map<string, { commandId: string; region: string }>();
  for (const [key, ids] of byKey) {
    const [region, os, type] = key.split('|');
    const { ssm } = clients(emulator.url, region);
    const parameter = installerCredentialsParameter(wave.waveId);
    if (type === 'onprem')
      await ssm.send(new PutParameterCommand({ Name: parameter, Type: 'SecureString', Overwrite: true, Value: '{"AccessKeyId":"ASIAFIXTURE","SecretAccessKey":"x","SessionToken":"y"}' }));
    for (let i = 0; i < ids.length; i += 50) {
      const batch = ids.slice(i, i + 50);
      const out = await ssm.send(
        new SendCommandCommand({
          DocumentName: os === 'windows' ? documents.windows : documents.linux,
          InstanceIds: batch,
          Parameters: {
            region: [wave.targetRegion],
            mgnEndpoint: [wave.endpoints.mgn],
            s3Endpoint: [wave.endpoints.s3],
            tags: ['Wave=' + wave.waveId],
            userProvidedId: [''],
            devices: [''],
            credentialsParameter: [type === 'onprem' ? parameter : ''],
            credentialsRegion: [type === 'onprem' ? region : ''],
          },
        }),
      );
      for (const id of batch) commands.set(id, { commandId: out.Command!.CommandId!, region });
    }
  }
  return commands;
}

export async function invocation(emulator: Emulator, commandId: string, instanceId: string, region: string) {
  return clients(emulator.url, region).ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: instanceId }));
}

/** Advances the virtual clock event by event until `done()` or nothing is left to happen. */
export async function runUntil(emulator: Emulator, done: () => boolean | Promise<boolean>, maxEvents = 100000): Promise<void> {
  for (let i = 0; i < maxEvents; i++) {
    if (await done()) return;
    const next = emulator.nextEventTime();
    if (next === undefined) return;
    emulator.clock.advanceTo(next);
  }
}

/**
 * Writes what the orchestrator writes before a launch, through the APIs: for each server a new
 * default template version (from the default one) with a subnet of the stack's `kind` tier (round
 * robin), the target security group and the launched-instance profile, and for an on-premises source
 * post-launch actions that install the SSM agent.
 */
export async function writeLaunchSettings(emulator: Emulator, sourceServerIds: readonly string[], kind: 'test' | 'cutover' = 'test', region = TARGET): Promise<void> {
  const { mgn, ec2 } = clients(emulator.url, region);
  const stack = emulator.stack;
  const subnets = stack.subnetIds[kind];
  for (const [i, id] of sourceServerIds.entries()) {
    const config = await mgn.send(new GetLaunchConfigurationCommand({ sourceServerID: id }));
    if (emulator.fleet.sourceServers.get(id)?.record.spec.source.type === 'onprem')
      await mgn.send(new UpdateLaunchConfigurationCommand({ sourceServerID: id, postLaunchActions: { deployment: 'TEST_AND_CUTOVER' } }));
    const templateId = config.ec2LaunchTemplateID!;
    const [current] = (await ec2.send(new DescribeLaunchTemplateVersionsCommand({ LaunchTemplateId: templateId, Versions: ['$Default'] }))).LaunchTemplateVersions!;
    const created = await ec2.send(
      new CreateLaunchTemplateVersionCommand({
        LaunchTemplateId: templateId,
        SourceVersion: String(current.VersionNumber),
        LaunchTemplateData: {
          NetworkInterfaces: [{ DeviceIndex: 0, SubnetId: subnets[i % subnets.length], Groups: [stack.securityGroupIds.target], AssociatePublicIpAddress: false }],
          IamInstanceProfile: { Name: stack.launchedInstanceProfileName },
        },
      }),
    );
    await ec2.send(new ModifyLaunchTemplateCommand({ LaunchTemplateId: templateId, DefaultVersion: String(created.LaunchTemplateVersion!.VersionNumber) }));
  }
}

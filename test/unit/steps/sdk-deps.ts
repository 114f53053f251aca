/* eslint-disable @typescript-eslint/no-explicit-any */
/**
 * Step cores over the REAL SDK adapters, with the SDK clients mocked by aws-sdk-client-mock, so the
 * tests assert the exact AWS commands and inputs a step sends. The bucket is in memory.
 */
import {
  CreateLaunchTemplateVersionCommand,
  DescribeLaunchTemplateVersionsCommand,
  DescribeRouteTablesCommand,
  DescribeSecurityGroupsCommand,
  DescribeSubnetsCommand,
  EC2Client,
  ModifyLaunchTemplateCommand,
} from '@aws-sdk/client-ec2';
import type { AwsStub } from 'aws-sdk-client-mock';
import { MgnClient } from '@aws-sdk/client-mgn';
import { SNSClient } from '@aws-sdk/client-sns';
import { SSMClient } from '@aws-sdk/client-ssm';
import { STSClient } from '@aws-sdk/client-sts';
import { SdkEc2Port } from '../../../functions/lib/adapters/ec2';
import { SdkMgnPort } from '../../../functions/lib/adapters/mgn';
import { SnsNotifier } from '../../../functions/lib/adapters/sns';
import { SdkSsmPort } from '../../../functions/lib/adapters/ssm';
import { SdkStsPort } from '../../../functions/lib/adapters/sts';
import { validateWave } from '../../../functions/lib/flow/validate-wave';
import type { WaveManifest } from '../../../functions/lib/manifest';
import type { FlowDeps, LogPort } from '../../../functions/lib/ports';
import { loadRunState, saveRunState, type RunState } from '../../../functions/lib/run-state';
import type { WaveContext } from '../../../functions/lib/wave-context';
import { executionArnOf, FAKE_NETWORK, FakeWorld } from '../../asl/fake-world';
import { GetLaunchConfigurationCommand, UpdateLaunchConfigurationCommand, type MgnStub } from '../mgn-mock';

export const NOW = new Date('2026-01-05T08:00:00.000Z');

export interface CapturedLog extends LogPort {
  readonly lines: string[];
}

export function captureLog(): CapturedLog {
  const lines: string[] = [];
  const push = (level: string) => (message: string, ...extra: Record<string, unknown>[]) => {
    lines.push(`${level} ${message} ${JSON.stringify(extra)}`);
  };
  return { lines, info: push('INFO'), warn: push('WARN'), error: push('ERROR') };
}

export interface SdkTestbed {
  readonly deps: FlowDeps;
  readonly log: CapturedLog;
  readonly objects: Map<string, string>;
  setNow(at: Date): void;
}

export function sdkTestbed(manifest: WaveManifest): SdkTestbed {
  const world = new FakeWorld(manifest);
  const log = captureLog();
  let now = NOW;
  const base = world.deps();
  const deps: FlowDeps = {
    ...base,
    mgn: new SdkMgnPort(new MgnClient({ region: manifest.targetRegion })),
    ssm: (region) => new SdkSsmPort(new SSMClient({ region })),
    ec2: new SdkEc2Port(new EC2Client({ region: manifest.targetRegion })),
    ec2In: (region) => new SdkEc2Port(new EC2Client({ region })),
    sts: new SdkStsPort(new STSClient({ region: manifest.targetRegion })),
    notifier: new SnsNotifier(new SNSClient({ region: manifest.targetRegion }), 'arn:aws:sns:eu-west-1:123456789012:waves'),
    now: () => now,
    log,
  };
  return { deps, log, objects: world.objects, setNow: (at) => (now = at) };
}

/** Runs validate-wave, so the manifest and fresh server records are in the (memory) bucket. */
export async function startedWave(bed: SdkTestbed, manifest: WaveManifest, runId = 'run-1'): Promise<WaveContext> {
  return validateWave({ input: manifest, runId, executionArn: executionArnOf(runId) }, bed.deps);
}

/** Edits the stored server records (to put a wave in a given phase). */
export async function editRecords(bed: SdkTestbed, ctx: WaveContext, edit: (state: RunState) => void): Promise<RunState> {
  const state = await loadRunState(bed.deps.store, ctx);
  edit(state);
  await saveRunState(bed.deps.store, state);
  return state;
}

export const readRecords = (bed: SdkTestbed, ctx: WaveContext) => loadRunState(bed.deps.store, ctx);

/** An MGN SourceServer as the API returns it. */
export function sdkServer(id: string, instanceId: string, extra: Record<string, unknown> = {}): Record<string, any> & { sourceServerID: string } {
  return {
    sourceServerID: id,
    isArchived: false,
    sourceProperties: { identificationHints: { awsInstanceID: instanceId, hostname: id } },
    lifeCycle: { state: 'READY_FOR_TEST' },
    dataReplicationInfo: { dataReplicationState: 'CONTINUOUS', lagDuration: 'PT2S', replicatedDisks: [{ totalStorageBytes: 100, replicatedStorageBytes: 100 }] },
    ...extra,
  };
}

export type Ec2Stub = AwsStub<any, any, any>;

const filterValues = (input: { Filters?: { Name?: string; Values?: string[] }[] }, name: string) =>
  input.Filters?.find((f) => f.Name === name)?.Values ?? [];

/** EC2 answering for the target network of FAKE_NETWORK: its subnets, the target group and an isolated main route table. */
export function targetNetworkKnown(ec2: Ec2Stub): void {
  const subnets = [...FAKE_NETWORK.testSubnets, ...FAKE_NETWORK.cutoverSubnets];
  ec2.on(DescribeSubnetsCommand).callsFake((input) => ({
    Subnets: subnets
      .filter((s) => filterValues(input, 'subnet-id').includes(s.subnetId))
      .map((s) => ({ SubnetId: s.subnetId, VpcId: s.vpcId, CidrBlock: s.cidrBlock, AvailabilityZone: s.availabilityZone })),
  }));
  ec2.on(DescribeSecurityGroupsCommand).callsFake((input) => ({
    SecurityGroups: filterValues(input, 'group-id')
      .filter((id) => id === FAKE_NETWORK.targetSecurityGroupId)
      .map((id) => ({ GroupId: id, VpcId: FAKE_NETWORK.vpcId })),
  }));
  ec2.on(DescribeRouteTablesCommand).callsFake((input) => ({
    RouteTables: filterValues(input, 'association.main').includes('true')
      ? [{ RouteTableId: 'rtb-0a0000000000000m1', VpcId: FAKE_NETWORK.vpcId, Associations: [{ Main: true }], Routes: [{ DestinationCidrBlock: '10.20.0.0/16', GatewayId: 'local', State: 'active' }] }]
      : [],
  }));
}

/** The launch template MGN created for a source server (in these tests). */
export const templateIdOf = (sourceServerId: string) => `lt-0${sourceServerId.slice(-16)}`;

/** MGN and EC2 answering the launch-settings calls: each server's template at version 1 with nothing set; writes succeed. */
export function launchSettingsWritable(mgn: MgnStub, ec2: Ec2Stub): void {
  mgn.on(GetLaunchConfigurationCommand).callsFake((input) => ({
    sourceServerID: input.sourceServerID,
    ec2LaunchTemplateID: templateIdOf(input.sourceServerID),
    launchDisposition: 'STARTED',
    targetInstanceTypeRightSizingMethod: 'BASIC',
    copyPrivateIp: false,
    copyTags: false,
  }));
  mgn.on(UpdateLaunchConfigurationCommand).callsFake((input) => input);
  ec2.on(DescribeLaunchTemplateVersionsCommand).callsFake((input) => ({
    LaunchTemplateVersions: [{ LaunchTemplateId: input.LaunchTemplateId, VersionNumber: 1, DefaultVersion: true, LaunchTemplateData: { InstanceType: 'c5.large' } }],
  }));
  ec2.on(CreateLaunchTemplateVersionCommand).callsFake((input) => ({ LaunchTemplateVersion: { LaunchTemplateId: input.LaunchTemplateId, VersionNumber: 2 } }));
  ec2.on(ModifyLaunchTemplateCommand).resolves({});
}

/**
 * Preflight over the real SDK adapters for rightSizing "in-aws": the source instance's type is read
 * with EC2 DescribeInstances by an EC2 client of the SOURCE region (filter instance-id, so an unknown
 * instance is simply absent rather than failing the call), and stored in the launch plans.
 */
import 'aws-sdk-client-mock-jest';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { DescribeInstanceInformationCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { preflight } from '../../../functions/lib/flow/preflight';
import type { WaveManifest } from '../../../functions/lib/manifest';
import { waveOf } from '../../asl/fake-world';
import { DescribeReplicationConfigurationTemplatesCommand, DescribeSourceServersCommand, mockMgn } from '../mgn-mock';
import { readRecords, sdkTestbed, startedWave, targetNetworkKnown } from './sdk-deps';

const mgn = mockMgn();
const ssm = mockClient(SSMClient);
const ec2 = mockClient(EC2Client);

beforeEach(() => {
  mgn.reset();
  ssm.reset();
  ec2.reset();
  targetNetworkKnown(ec2);
  mgn.on(DescribeReplicationConfigurationTemplatesCommand).resolves({
    items: [{ replicationConfigurationTemplateID: 'rct-1', dataPlaneRouting: 'PRIVATE_IP', createPublicIP: false, stagingAreaSubnetId: 'subnet-staging', replicationServersSecurityGroupsIDs: ['sg-replication'], associateDefaultSecurityGroup: false, tags: { 'mgn-orchestrator:staging-subnet': 'subnet-staging' } }],
  });
  mgn.on(DescribeSourceServersCommand).resolves({ items: [] });
});

const instanceIdOf = (m: WaveManifest, i: number) => (m.servers[i].source as { instanceId: string }).instanceId;

describe('preflight: rightSizing "in-aws" through the EC2 adapter', () => {
  it("asks the source region's EC2 for the source instances by filter and stores each type; an instance EC2 does not return sets its server aside", async () => {
    const manifest: WaveManifest = { ...waveOf(3), launch: { rightSizing: 'in-aws' } };
    const ids = [0, 1, 2].map((i) => instanceIdOf(manifest, i));
    ssm.on(DescribeInstanceInformationCommand).resolves({ InstanceInformationList: ids.map((InstanceId) => ({ InstanceId, PingStatus: 'Online' })) });
    const regions: string[] = [];
    ec2.on(DescribeInstancesCommand).callsFake(async (input, getClient) => {
      regions.push(await (getClient() as EC2Client).config.region());
      const asked: string[] = input.Filters?.find((f: { Name?: string }) => f.Name === 'instance-id')?.Values ?? [];
      // ids[2] was terminated long ago: EC2 no longer returns it
      const known: Record<string, string> = { [ids[0]]: 'r5.xlarge', [ids[1]]: 'c6i.large' };
      return { Reservations: asked.filter((id) => known[id]).map((id) => ({ Instances: [{ InstanceId: id, InstanceType: known[id], State: { Name: 'running' }, Tags: [{ Key: 'mgn-orchestrator:allowed', Value: 'true' }] }] })) };
    });
    const bed = sdkTestbed(manifest);
    const ctx = await startedWave(bed, manifest);

    await preflight(ctx, bed.deps);

    expect(ec2).toHaveReceivedCommandTimes(DescribeInstancesCommand, 1);
    expect(ec2).toHaveReceivedCommandWith(DescribeInstancesCommand, { Filters: [{ Name: 'instance-id', Values: ids }] });
    expect(regions).toEqual(['ap-southeast-1']);
    const records = (await readRecords(bed, ctx)).servers;
    expect(records.map((r) => [r.launchPlan?.test?.instanceType, r.launchPlan?.cutover?.instanceType, r.launchPlan?.test?.rightSizing])).toEqual([
      ['r5.xlarge', 'r5.xlarge', 'NONE'],
      ['c6i.large', 'c6i.large', 'NONE'],
      [undefined, undefined, undefined],
    ]);
    expect(records[2].failure).toEqual({
      phase: 'preflight',
      reason: `launch.rightSizing: "in-aws" takes the instance type of source instance ${ids[2]}, but EC2 does not know it in ap-southeast-1 (InvalidInstanceID.NotFound); check servers[2].source.instanceId, or use "basic" or "none" with instanceType`,
    });
  });
});

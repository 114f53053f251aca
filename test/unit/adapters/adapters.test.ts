import 'aws-sdk-client-mock-jest';
import { DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { ConflictException, MgnClient, ValidationException } from '@aws-sdk/client-mgn';
import { S3Client } from '@aws-sdk/client-s3';
import { SendCommandCommand, SSMClient } from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { SdkEc2Port } from '../../../functions/lib/adapters/ec2';
import { SdkMgnPort, durationSeconds } from '../../../functions/lib/adapters/mgn';
import { s3ClientFor } from '../../../functions/lib/adapters/s3-wave-store';
import { SdkSsmPort, ssmClientFor, ssmEndpointsByRegion } from '../../../functions/lib/adapters/ssm';
import { ConfigurationError, TryLaterError } from '../../../functions/lib/errors';
import { DescribeJobsCommand, DescribeSourceServersCommand, StartTestCommand, mockMgn } from '../mgn-mock';

describe('MGN adapter', () => {
  const mgn = mockMgn();
  beforeEach(() => mgn.reset());
  const port = new SdkMgnPort(new MgnClient({ region: 'eu-west-1' }));

  it('asks DescribeSourceServers for at most 200 ids per call and follows nextToken', async () => {
    const ids = Array.from({ length: 450 }, (_, i) => `s-${String(i).padStart(17, '0')}`);
    mgn.on(DescribeSourceServersCommand).callsFake((input) =>
      input.nextToken ? { items: [{ sourceServerID: 'late' }] } : { items: input.filters.sourceServerIDs.map((id: string) => ({ sourceServerID: id })), nextToken: input.filters.sourceServerIDs.length === 50 ? 't' : undefined },
    );
    const views = await port.describeSourceServers(ids);
    const sent = mgn.commandCalls(DescribeSourceServersCommand).map((c) => c.args[0].input);
    expect(sent.map((i) => [i.filters.sourceServerIDs.length, i.maxResults, i.nextToken])).toEqual([
      [200, 200, undefined],
      [200, 200, undefined],
      [50, 200, undefined],
      [50, 200, 't'],
    ]);
    expect(views).toHaveLength(451);
  });

  it('asks DescribeJobs for at most 1000 job ids per call', async () => {
    mgn.on(DescribeJobsCommand).resolves({ items: [] });
    await port.describeJobs(Array.from({ length: 1001 }, (_, i) => `mgnjob-${i}`));
    expect(mgn.commandCalls(DescribeJobsCommand).map((c) => c.args[0].input.filters.jobIDs.length)).toEqual([1000, 1]);
  });

  it('maps conflict/quota/throttling to TryLaterError and leaves other errors alone', async () => {
    mgn.on(StartTestCommand).rejectsOnce(new ConflictException({ message: 'wrong state', $metadata: {} } as never)).rejectsOnce(new ValidationException({ message: 'bad id', $metadata: {} } as never));
    await expect(port.startTest(['s-1'])).rejects.toMatchObject({ name: 'TryLaterError', code: 'ConflictException' });
    const other = await port.startTest(['s-1']).catch((e: unknown) => e);
    expect(other).not.toBeInstanceOf(TryLaterError);
    expect(other).toMatchObject({ name: 'ValidationException' });
  });

  it("reads when the last cutover was finalized from the server's lifeCycle (MGN LifeCycleLastCutoverFinalized)", async () => {
    mgn.on(DescribeSourceServersCommand).resolves({
      items: [
        { sourceServerID: 's-1', lifeCycle: { state: 'DISCONNECTED', lastCutover: { initiated: { apiCallDateTime: '2026-01-05T06:00:00Z', jobID: 'mgnjob-1' }, finalized: { apiCallDateTime: '2026-01-05T07:00:00Z' } } } },
        { sourceServerID: 's-2', lifeCycle: { state: 'DISCONNECTED' } },
      ],
    });
    const [migrated, disconnected] = await port.describeSourceServers(['s-1', 's-2']);
    expect(migrated).toMatchObject({ lifecycleState: 'DISCONNECTED', lastCutoverJobId: 'mgnjob-1', lastCutoverFinalizedAt: '2026-01-05T07:00:00Z' });
    expect(disconnected.lastCutoverFinalizedAt).toBeUndefined();
  });

  it('reads MGN lag durations', () => {
    expect([durationSeconds('PT0S'), durationSeconds('PT1H2M3S'), durationSeconds('P1DT2H'), durationSeconds('soon'), durationSeconds(undefined)]).toEqual([0, 3723, 93600, undefined, undefined]);
  });
});

describe('SSM adapter', () => {
  const ssm = mockClient(SSMClient);
  beforeEach(() => ssm.reset());
  afterEach(() => delete process.env.SSM_ENDPOINTS_BY_REGION);

  it('sends commands to at most 50 instances and never more', async () => {
    ssm.on(SendCommandCommand).resolves({ Command: { CommandId: 'c-1' } });
    const port = new SdkSsmPort(new SSMClient({ region: 'eu-west-1' }));
    const request = { documentName: 'Doc', parameters: { a: ['1'] }, comment: 'x'.repeat(150), timeoutSeconds: 600 };
    await expect(port.sendCommand({ ...request, instanceIds: Array.from({ length: 51 }, (_, i) => `i-${i}`) })).rejects.toThrow(RangeError);
    expect(await port.sendCommand({ ...request, instanceIds: ['i-1'] })).toBe('c-1');
    expect(ssm).toHaveReceivedCommandWith(SendCommandCommand, { DocumentName: 'Doc', InstanceIds: ['i-1'], Parameters: { a: ['1'] }, Comment: 'x'.repeat(100), TimeoutSeconds: 600 });
  });

  it('uses a named endpoint only for a region SSM_ENDPOINTS_BY_REGION lists, and refuses a malformed setting', async () => {
    process.env.SSM_ENDPOINTS_BY_REGION = JSON.stringify({ 'ap-southeast-3': 'https://vpce-0abc-1234abcd.ssm.ap-southeast-3.vpce.amazonaws.com' });
    const named = await ssmClientFor('ap-southeast-3').config.endpoint!();
    expect(named.hostname).toBe('vpce-0abc-1234abcd.ssm.ap-southeast-3.vpce.amazonaws.com');
    expect(ssmClientFor('eu-central-2').config.endpoint).toBeUndefined();
    expect(() => ssmEndpointsByRegion('{"eu-west-1": "ftp://x; rm -rf /"}')).toThrow(ConfigurationError);
    expect(() => ssmEndpointsByRegion('not json')).toThrow(ConfigurationError);
  });
});

describe('EC2 adapter', () => {
  const ec2 = mockClient(EC2Client);
  beforeEach(() => ec2.reset());

  it('leaves out instances EC2 does not know instead of failing the whole call', async () => {
    ec2.on(DescribeInstanceStatusCommand).callsFake((input) => {
      if (input.InstanceIds.includes('i-gone')) throw Object.assign(new Error('not found'), { name: 'InvalidInstanceID.NotFound' });
      return { InstanceStatuses: input.InstanceIds.map((id: string) => ({ InstanceId: id, InstanceState: { Name: 'running' }, SystemStatus: { Status: 'ok' }, InstanceStatus: { Status: 'ok' } })) };
    });
    const port = new SdkEc2Port(new EC2Client({ region: 'eu-west-1' }));
    const statuses = await port.describeInstanceStatus(['i-a', 'i-gone', 'i-b']);
    expect(statuses.map((s) => s.instanceId)).toEqual(['i-a', 'i-b']);
  });
});

describe('S3 wave store', () => {
  afterEach(() => delete process.env.AWS_ENDPOINT_URL_S3);

  it('uses path-style addressing when an S3 endpoint is set (the emulator serves every bucket on one host)', () => {
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:4566';
    expect((s3ClientFor('ap-east-9') as S3Client).config.forcePathStyle).toBe(true);
    delete process.env.AWS_ENDPOINT_URL_S3;
    expect((s3ClientFor('ap-east-8') as S3Client).config.forcePathStyle).toBe(false);
  });
});

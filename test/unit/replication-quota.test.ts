import 'aws-sdk-client-mock-jest';
import { GetServiceQuotaCommand, NoSuchResourceException, ServiceQuotasClient, TooManyRequestsException } from '@aws-sdk/client-service-quotas';
import { mockClient } from 'aws-sdk-client-mock';
import { SdkQuotasPort } from '../../functions/lib/adapters/service-quotas';
import { TryLaterError } from '../../functions/lib/errors';
import type { SourceServerView } from '../../functions/lib/ports';
import { countsAgainstReplicatingQuota } from '../../functions/lib/replication-quota';

const view = (over: Partial<SourceServerView>): SourceServerView => ({
  sourceServerId: 's-00000000000000001',
  isArchived: false,
  hints: {},
  totalBytes: 0,
  replicatedBytes: 0,
  backloggedBytes: 0,
  ...over,
});

describe('which source servers count against the replicating-servers quota', () => {
  it.each([
    [{ lifecycleState: 'NOT_READY', replicationState: 'INITIAL_SYNC' }, true],
    [{ lifecycleState: 'READY_FOR_TEST', replicationState: 'CONTINUOUS' }, true],
    [{ lifecycleState: 'CUTTING_OVER', replicationState: 'CONTINUOUS' }, true],
    [{ lifecycleState: 'READY_FOR_TEST', replicationState: 'STALLED' }, true],
    [{ lifecycleState: 'NOT_READY', replicationState: 'STOPPED' }, false],
    [{ lifecycleState: 'CUTOVER', replicationState: 'DISCONNECTED' }, false],
    [{ lifecycleState: 'DISCONNECTED', replicationState: 'DISCONNECTED' }, false],
    [{ lifecycleState: 'READY_FOR_TEST', replicationState: 'CONTINUOUS', isArchived: true }, false],
  ] as const)('%j counts: %s', (over, counts) => {
    expect(countsAgainstReplicatingQuota(view(over as Partial<SourceServerView>))).toBe(counts);
  });
});

describe('Service Quotas adapter', () => {
  const sq = mockClient(ServiceQuotasClient);
  beforeEach(() => sq.reset());
  const port = new SdkQuotasPort(new ServiceQuotasClient({ region: 'eu-west-1' }));

  it('asks for mgn/L-9A599620 and answers its applied value', async () => {
    sq.on(GetServiceQuotaCommand).resolves({ Quota: { ServiceCode: 'mgn', QuotaCode: 'L-9A599620', Value: 400 } });
    await expect(port.replicatingServersQuota()).resolves.toBe(400);
    expect(sq).toHaveReceivedCommandWith(GetServiceQuotaCommand, { ServiceCode: 'mgn', QuotaCode: 'L-9A599620' });
  });

  it('falls back to the AWS default (150) when no value is applied (NoSuchResourceException), and retries throttling later', async () => {
    sq.on(GetServiceQuotaCommand).rejects(new NoSuchResourceException({ message: 'no applied value', $metadata: {} }));
    await expect(port.replicatingServersQuota()).resolves.toBe(150);
    sq.on(GetServiceQuotaCommand).rejects(new TooManyRequestsException({ message: 'slow down', $metadata: {} }));
    await expect(port.replicatingServersQuota()).rejects.toBeInstanceOf(TryLaterError);
  });
});

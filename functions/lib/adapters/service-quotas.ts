import { GetServiceQuotaCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { asTryLater } from '../errors';
import type { QuotasPort } from '../ports';
import { REPLICATING_SERVERS_QUOTA } from '../replication-quota';
import { cachedBy, clientConfig } from './client-config';

/** One Service Quotas client per region for the life of the sandbox (endpoint: AWS_ENDPOINT_URL_SERVICE_QUOTAS). */
export const serviceQuotasClientFor = cachedBy((region) => new ServiceQuotasClient(clientConfig(region)));

/** Service Quotas through the SDK, in one region. Throttling and 5xx answers become TryLaterError. */
export class SdkQuotasPort implements QuotasPort {
  constructor(private readonly client: ServiceQuotasClient) {}

  static forRegion(region: string): SdkQuotasPort {
    return new SdkQuotasPort(serviceQuotasClientFor(region));
  }

  async replicatingServersQuota(): Promise<number> {
    const { serviceCode, quotaCode, defaultValue } = REPLICATING_SERVERS_QUOTA;
    try {
      const res = await this.client.send(new GetServiceQuotaCommand({ ServiceCode: serviceCode, QuotaCode: quotaCode }));
      const value = res.Quota?.Value;
      if (value === undefined) throw new Error(`GetServiceQuota ${serviceCode}/${quotaCode} returned no value`);
      return value;
    } catch (error) {
      // "If the applied quota value is not available for a quota, the quota is not retrieved" (GetServiceQuota
      // API reference): Service Quotas answers NoSuchResourceException until a value is applied; the AWS default holds.
      if ((error as { name?: string }).name === 'NoSuchResourceException') return defaultValue;
      throw asTryLater(error, 'GetServiceQuota');
    }
  }
}

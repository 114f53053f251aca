/**
 * Service Quotas (awsJson1_1, `X-Amz-Target: ServiceQuotasV20190624.<Operation>`, signing name
 * `servicequotas`): GetServiceQuota answers the applied value of the quotas the emulator enforces.
 * Today that is MGN's replicating-servers quota (service code `mgn`, quota code `L-9A599620`,
 * default 150, adjustable: DESIGN section 4, the MGN "endpoints and quotas" page), whose value is
 * the scenario's `quotas.replicatingServers`. Any other service or quota code is NoSuchResource, as
 * Service Quotas answers for a code it does not know; malformed codes are IllegalArgument (the
 * model's ServiceCode / QuotaCode patterns).
 */
import { ApiError } from './errors';
import { ACCOUNT_ID } from './fleet';
import type { JsonOperation } from './mgn';

/** MGN's quota on source servers in active replication (per account and region). */
export const REPLICATING_SERVERS_QUOTA = { serviceCode: 'mgn', quotaCode: 'L-9A599620' } as const;

const SERVICE_CODE = /^[a-zA-Z][a-zA-Z0-9-]{1,63}$/;
const QUOTA_CODE = /^[a-zA-Z][a-zA-Z0-9-]{1,128}$/;
const CONTEXT_ID = /^[\s\S]{0,2048}$/;

const illegal = (message: string) => new ApiError('IllegalArgumentException', message, 400);

export const SERVICE_QUOTAS_OPERATIONS: Record<string, JsonOperation> = {
  GetServiceQuota: {
    run(input, ctx) {
      for (const field of ['ServiceCode', 'QuotaCode'] as const)
        if (input[field] === undefined || input[field] === null) throw illegal(`1 validation error detected: Value null at '${field}' failed to satisfy constraint: Member must not be null`);
      for (const [field, pattern, max] of [
        ['ServiceCode', SERVICE_CODE, 63],
        ['QuotaCode', QUOTA_CODE, 128],
      ] as const) {
        const value = input[field];
        if (typeof value !== 'string' || value.length > max || !pattern.test(value))
          throw illegal(`1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)}`);
      }
      if (input.ContextId !== undefined && (typeof input.ContextId !== 'string' || !CONTEXT_ID.test(input.ContextId)))
        throw illegal(`1 validation error detected: Value at 'ContextId' failed to satisfy constraint: Member must be a string of at most 2048 characters`);
      const serviceCode = input.ServiceCode as string;
      const quotaCode = input.QuotaCode as string;
      if (serviceCode !== REPLICATING_SERVERS_QUOTA.serviceCode || quotaCode !== REPLICATING_SERVERS_QUOTA.quotaCode)
        throw new ApiError('NoSuchResourceException', `The request failed because the specified quota ${serviceCode}/${quotaCode} does not exist.`, 400);
      if (input.ContextId !== undefined)
        throw new ApiError('NoSuchResourceException', 'The request failed because applied value for the specified context Id do not exist.', 400);
      return {
        Quota: {
          ServiceCode: serviceCode,
          ServiceName: 'AWS Application Migration Service',
          QuotaArn: `arn:aws:servicequotas:${ctx.region}:${ACCOUNT_ID}:${serviceCode}/${quotaCode}`,
          QuotaCode: quotaCode,
          QuotaName: 'Max concurrently replicating source servers',
          Value: ctx.fleet.replicatingQuotaIn(ctx.region),
          Unit: 'None',
          Adjustable: true,
          GlobalQuota: false,
          QuotaAppliedAtLevel: 'ACCOUNT',
        },
      };
    },
  },
};

import {
  DeleteParameterCommand,
  DescribeInstanceInformationCommand,
  ListCommandInvocationsCommand,
  ListTagsForResourceCommand,
  PutParameterCommand,
  SendCommandCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { CommandNotAuthorizedError, CommandTargetsRefusedError, ConfigurationError, DocumentNotInRegionError, asTryLater } from '../errors';
import type { InvocationView, ManagedInstanceView, SendCommandRequest, SsmPort } from '../ports';
import { ENV } from '../steps';
import { chunk, forEachConcurrently, MAX_INSTANCES_PER_COMMAND } from '../batching';
import { cachedBy, clientConfig } from './client-config';

/** ListTagsForResource names one resource per call: this many in flight at once. */
export const MAX_CONCURRENT_TAG_READS = 5;

/** DescribeInstanceInformation's InstanceIds filter: keep batches small. */
export const MAX_IDS_PER_INSTANCE_INFORMATION = 50;

/**
 * SSM_ENDPOINTS_BY_REGION: `{"<region>": "https://<ssm endpoint dns>"}` for sources managed by SSM in
 * a region other than the one the function runs in. Anything else uses the SDK's own resolution
 * (AWS_ENDPOINT_URL_SSM included).
 */
export function ssmEndpointsByRegion(raw = process.env[ENV.ssmEndpointsByRegion]): Record<string, string> {
  if (!raw || raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigurationError(`${ENV.ssmEndpointsByRegion} is not JSON: expected {"<region>": "https://<dns>"}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new ConfigurationError(`${ENV.ssmEndpointsByRegion} must be a JSON object {"<region>": "https://<dns>"}`);
  for (const [region, url] of Object.entries(parsed)) {
    if (typeof url !== 'string' || !/^https?:\/\/[A-Za-z0-9.:-]+\/?$/.test(url))
      throw new ConfigurationError(`${ENV.ssmEndpointsByRegion}.${region} must be an https URL, got ${JSON.stringify(url)}`);
  }
  return parsed as Record<string, string>;
}

/** One SSM client per region for the life of the container; a named endpoint only where configured. */
export const ssmClientFor = cachedBy((region): SSMClient => {
  const endpoint = ssmEndpointsByRegion()[region];
  return new SSMClient(endpoint ? { ...clientConfig(region), endpoint } : clientConfig(region));
});


export class SdkSsmPort implements SsmPort {
  constructor(private readonly client: SSMClient) {}

  static forRegion(region: string): SdkSsmPort {
    return new SdkSsmPort(ssmClientFor(region));
  }

  private async call<T>(what: string, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      throw asTryLater(error, what);
    }
  }

  async describeInstanceInformation(instanceIds: readonly string[]): Promise<ManagedInstanceView[]> {
    const out: ManagedInstanceView[] = [];
    for (const batch of chunk(instanceIds, MAX_IDS_PER_INSTANCE_INFORMATION)) {
      let NextToken: string | undefined;
      do {
        const page = await this.call('DescribeInstanceInformation', () =>
          this.client.send(
            new DescribeInstanceInformationCommand({ Filters: [{ Key: 'InstanceIds', Values: batch }], MaxResults: 50, NextToken }),
          ),
        );
        for (const info of page.InstanceInformationList ?? [])
          if (info.InstanceId)
            out.push({
              instanceId: info.InstanceId,
              pingStatus: info.PingStatus ?? 'Unknown',
              ...(info.LastPingDateTime ? { lastPingAt: info.LastPingDateTime.toISOString() } : {}),
            });
        NextToken = page.NextToken;
      } while (NextToken);
    }
    return out;
  }

  async sendCommand(request: SendCommandRequest): Promise<string> {
    if (request.instanceIds.length === 0 || request.instanceIds.length > MAX_INSTANCES_PER_COMMAND)
      throw new RangeError(`SendCommand takes 1..${MAX_INSTANCES_PER_COMMAND} instance ids, got ${request.instanceIds.length}`);
    const parameters: Record<string, string[]> = {};
    for (const [k, v] of Object.entries(request.parameters)) parameters[k] = [...v];
    const res = await this.call('SendCommand', async () => {
      try {
        return await this.client.send(
          new SendCommandCommand({
            DocumentName: request.documentName,
            InstanceIds: [...request.instanceIds],
            Parameters: parameters,
            Comment: request.comment.slice(0, 100),
            TimeoutSeconds: request.timeoutSeconds,
          }),
        );
      } catch (error) {
        const { name, message } = error as { name?: string; message?: string };
        // SSM API reference, SendCommand errors: both refuse the whole call.
        if (name === 'AccessDeniedException') throw new CommandNotAuthorizedError(`SendCommand ${request.documentName}: AccessDeniedException: ${message ?? ''}`.trim());
        if (name === 'InvalidInstanceId') throw new CommandTargetsRefusedError(`SendCommand ${request.documentName}: InvalidInstanceId: ${message ?? ''}`.trim());
        if (name === 'InvalidDocument') {
          const region = await this.client.config.region();
          throw new DocumentNotInRegionError(`SendCommand: InvalidDocument: ${request.documentName} in ${region}: ${message ?? ''}`.trim(), request.documentName, region);
        }
        throw error;
      }
    });
    const id = res.Command?.CommandId;
    if (!id) throw new Error('SendCommand returned no CommandId');
    return id;
  }

  async listCommandInvocations(commandId: string): Promise<InvocationView[]> {
    const out: InvocationView[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.call('ListCommandInvocations', () =>
        this.client.send(new ListCommandInvocationsCommand({ CommandId: commandId, Details: true, NextToken })),
      );
      for (const inv of page.CommandInvocations ?? []) {
        if (!inv.InstanceId) continue;
        const output = (inv.CommandPlugins ?? [])
          .map((p) => p.Output ?? '')
          .filter((o) => o !== '')
          .join('\n');
        out.push({ instanceId: inv.InstanceId, status: inv.Status ?? 'Pending', output });
      }
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async putSecureParameter(name: string, value: string, keyId?: string): Promise<void> {
    await this.call('PutParameter', () =>
      this.client.send(new PutParameterCommand({ Name: name, Value: value, Type: 'SecureString', Overwrite: true, ...(keyId ? { KeyId: keyId } : {}) })),
    );
  }

  async managedInstanceTags(instanceIds: readonly string[]): Promise<Map<string, Readonly<Record<string, string>>>> {
    const out = new Map<string, Readonly<Record<string, string>>>();
    await forEachConcurrently(instanceIds, MAX_CONCURRENT_TAG_READS, async (id) => {
      try {
        const res = await this.client.send(new ListTagsForResourceCommand({ ResourceType: 'ManagedInstance', ResourceId: id }));
        out.set(id, Object.fromEntries((res.TagList ?? []).map((t) => [t.Key ?? '', t.Value ?? ''])));
      } catch (error) {
        if ((error as { name?: string }).name === 'InvalidResourceId') return;
        throw asTryLater(error, 'ListTagsForResource');
      }
    });
    return out;
  }

  async deleteParameter(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteParameterCommand({ Name: name }));
    } catch (error) {
      if ((error as { name?: string }).name === 'ParameterNotFound') return;
      throw asTryLater(error, 'DeleteParameter');
    }
  }
}

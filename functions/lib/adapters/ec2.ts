import { DescribeInstanceStatusCommand, EC2Client } from '@aws-sdk/client-ec2';
import { asTryLater } from '../errors';
import type { Ec2Port, InstanceStatusView } from '../ports';
import { chunk } from '../batching';
import { cachedBy, clientConfig } from './client-config';

export const MAX_IDS_PER_STATUS = 100;

export const ec2ClientFor = cachedBy((region) => new EC2Client(clientConfig(region)));

const isNotFound = (error: unknown) => /InvalidInstanceID\.(NotFound|Malformed)/.test((error as { name?: string }).name ?? '');

export class SdkEc2Port implements Ec2Port {
  constructor(private readonly client: EC2Client) {}

  static forRegion(region: string): SdkEc2Port {
    return new SdkEc2Port(ec2ClientFor(region));
  }

  private async describe(ids: string[]): Promise<InstanceStatusView[]> {
    const out: InstanceStatusView[] = [];
    let NextToken: string | undefined;
    do {
      const page = await this.client.send(
        new DescribeInstanceStatusCommand({ InstanceIds: ids, IncludeAllInstances: true, NextToken }),
      );
      for (const s of page.InstanceStatuses ?? [])
        if (s.InstanceId)
          out.push({
            instanceId: s.InstanceId,
            state: s.InstanceState?.Name ?? 'unknown',
            systemStatus: s.SystemStatus?.Status ?? 'insufficient-data',
            instanceStatus: s.InstanceStatus?.Status ?? 'insufficient-data',
          });
      NextToken = page.NextToken;
    } while (NextToken);
    return out;
  }

  async describeInstanceStatus(instanceIds: readonly string[]): Promise<InstanceStatusView[]> {
    const out: InstanceStatusView[] = [];
    for (const batch of chunk(instanceIds, MAX_IDS_PER_STATUS)) {
      try {
        out.push(...(await this.describe(batch)));
      } catch (error) {
        if (!isNotFound(error)) throw asTryLater(error, 'DescribeInstanceStatus');
        // One unknown id fails the whole call: ask one by one and leave the unknown ones out.
        for (const id of batch) {
          try {
            out.push(...(await this.describe([id])));
          } catch (single) {
            if (!isNotFound(single)) throw asTryLater(single, 'DescribeInstanceStatus');
          }
        }
      }
    }
    return out;
  }
}

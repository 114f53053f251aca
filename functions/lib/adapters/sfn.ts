import { DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { asTryLater } from '../errors';
import type { ExecutionsPort } from '../ports';
import { cachedBy, clientConfig } from './client-config';

/** Step Functions in the function's own region (the state machine's), through the `states` interface endpoint. */
export const sfnClientFor = cachedBy((region) => new SFNClient(clientConfig(region)));

export class SdkExecutionsPort implements ExecutionsPort {
  constructor(private readonly client: SFNClient) {}

  static forRegion(region: string): SdkExecutionsPort {
    return new SdkExecutionsPort(sfnClientFor(region));
  }

  async executionStatus(executionArn: string): Promise<string | undefined> {
    try {
      // METADATA_ONLY: the status is all we need, not the execution's input (a whole manifest)
      const res = await this.client.send(new DescribeExecutionCommand({ executionArn, includedData: 'METADATA_ONLY' }));
      return res.status ?? 'UNKNOWN';
    } catch (error) {
      if ((error as { name?: string }).name === 'ExecutionDoesNotExist') return undefined;
      throw asTryLater(error, 'DescribeExecution');
    }
  }
}

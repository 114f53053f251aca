import { Logger } from '@aws-lambda-powertools/logger';
import { SnsNotifier, snsClientFor } from '../lib/adapters/sns';
import { parseApprovalRequest, requestApproval } from '../lib/flow/request-approval';
import { flowDeps, type StepAdapters } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-request-approval' });

/** The services this step calls (functions/lib/steps.ts): only their SDK clients are bundled. */
const adapters: StepAdapters = { notifier: (region, topicArn) => new SnsNotifier(snsClientFor(region), topicArn) };

/** Input: `{ context, taskToken }` from the waitForTaskToken task. The token goes to SNS only, never to logs. */
export const handler = async (event: unknown): Promise<{ requested: true }> => {
  const request = parseApprovalRequest(event);
  logger.appendKeys({ waveId: request.context.waveId, runId: request.context.runId });
  return requestApproval(request, flowDeps(request.context.targetRegion, logger, adapters));
};

import { Logger } from '@aws-lambda-powertools/logger';
import { parseApprovalRequest, requestApproval } from '../lib/flow/request-approval';
import { flowDeps } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-request-approval' });

/** Input: `{ context, taskToken }` from the waitForTaskToken task. The token goes to SNS only, never to logs. */
export const handler = async (event: unknown): Promise<{ requested: true }> => {
  const request = parseApprovalRequest(event);
  logger.appendKeys({ waveId: request.context.waveId, runId: request.context.runId });
  return requestApproval(request, flowDeps(request.context.targetRegion, logger));
};

import { Logger } from '@aws-lambda-powertools/logger';
import { SdkExecutionsPort } from '../lib/adapters/sfn';
import { validateWave, type ValidateWaveInput } from '../lib/flow/validate-wave';
import { flowDeps, type StepAdapters } from '../lib/flow-runtime';
import type { WaveContext } from '../lib/wave-context';

const logger = new Logger({ serviceName: 'mgn-orchestrator-validate-wave' });

/** The services this step calls (functions/lib/steps.ts): S3 (always) and Step Functions, for the wave lock's holder. */
const adapters: StepAdapters = { executions: SdkExecutionsPort.forRegion };

/**
 * Input from the state machine: `{ "input.$": "$", "runId.$": "$$.Execution.Name",
 * "executionArn.$": "$$.Execution.Id", "startedAt.$": "$$.Execution.StartTime" }`.
 */
export const handler = async (event: ValidateWaveInput): Promise<WaveContext> => {
  const input = event?.input as { waveId?: unknown; targetRegion?: unknown } | undefined;
  if (typeof input?.waveId === 'string') logger.appendKeys({ waveId: input.waveId });
  // Region for MGN is not needed to validate; S3 uses the function's own region.
  const region = typeof input?.targetRegion === 'string' ? input.targetRegion : (process.env.AWS_REGION ?? 'us-east-1');
  return validateWave(event, flowDeps(region, logger, adapters));
};

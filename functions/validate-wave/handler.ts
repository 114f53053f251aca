import { Logger } from '@aws-lambda-powertools/logger';
import { validateWave, type ValidateWaveInput } from '../lib/flow/validate-wave';
import { flowDeps } from '../lib/flow-runtime';
import type { WaveContext } from '../lib/wave-context';

const logger = new Logger({ serviceName: 'mgn-orchestrator-validate-wave' });

/** Input from the state machine: `{ "input.$": "$", "runId.$": "$$.Execution.Name" }`. */
export const handler = async (event: ValidateWaveInput): Promise<WaveContext> => {
  const input = event?.input as { waveId?: unknown; targetRegion?: unknown } | undefined;
  if (typeof input?.waveId === 'string') logger.appendKeys({ waveId: input.waveId });
  // Region for MGN is not needed to validate; S3 uses the function's own region.
  const region = typeof input?.targetRegion === 'string' ? input.targetRegion : (process.env.AWS_REGION ?? 'us-east-1');
  return validateWave(event, flowDeps(region, logger));
};

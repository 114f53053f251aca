import { Logger } from '@aws-lambda-powertools/logger';
import { launchCutover } from '../lib/flow/launch';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-launch-cutover' });

export const handler = waveStep(logger, launchCutover);

import { Logger } from '@aws-lambda-powertools/logger';
import { launchTest } from '../lib/flow/launch';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-launch-test' });

export const handler = waveStep(logger, launchTest);

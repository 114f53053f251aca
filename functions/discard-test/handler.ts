import { Logger } from '@aws-lambda-powertools/logger';
import { discardTest } from '../lib/flow/discard-test';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-discard-test' });

export const handler = waveStep(logger, discardTest);

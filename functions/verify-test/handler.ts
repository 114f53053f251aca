import { Logger } from '@aws-lambda-powertools/logger';
import { verifyTest } from '../lib/flow/verify';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-verify-test' });

export const handler = waveStep(logger, verifyTest);

import { Logger } from '@aws-lambda-powertools/logger';
import { verifyCutover } from '../lib/flow/verify';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-verify-cutover' });

export const handler = waveStep(logger, verifyCutover);

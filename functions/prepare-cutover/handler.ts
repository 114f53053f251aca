import { Logger } from '@aws-lambda-powertools/logger';
import { prepareCutover } from '../lib/flow/prepare-cutover';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-prepare-cutover' });

export const handler = waveStep(logger, prepareCutover);

import { Logger } from '@aws-lambda-powertools/logger';
import { finalizeCutover } from '../lib/flow/finalize-cutover';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-finalize-cutover' });

export const handler = waveStep(logger, finalizeCutover);

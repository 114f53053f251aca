import { Logger } from '@aws-lambda-powertools/logger';
import { preflight } from '../lib/flow/preflight';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-preflight' });

export const handler = waveStep(logger, preflight);

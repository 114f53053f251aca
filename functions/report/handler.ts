import { Logger } from '@aws-lambda-powertools/logger';
import { writeReport } from '../lib/flow/report';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-report' });

export const handler = waveStep(logger, writeReport);

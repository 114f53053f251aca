import { Logger } from '@aws-lambda-powertools/logger';
import { installAgents } from '../lib/flow/install-agents';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-install-agents' });

export const handler = waveStep(logger, installAgents);

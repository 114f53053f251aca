import { Logger } from '@aws-lambda-powertools/logger';
import { waitReplication } from '../lib/flow/wait-replication';
import { waveStep } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-wait-replication' });

export const handler = waveStep(logger, waitReplication);

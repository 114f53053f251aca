import { Logger } from '@aws-lambda-powertools/logger';
import { SdkMgnPort } from '../lib/adapters/mgn';
import { revertCutover } from '../lib/flow/revert-cutover';
import { waveStep, type StepAdapters } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-revert-cutover' });

/** The services this step calls (functions/lib/steps.ts): only their SDK clients are bundled. */
const adapters: StepAdapters = { mgn: SdkMgnPort.forRegion };

export const handler = waveStep(logger, revertCutover, adapters);

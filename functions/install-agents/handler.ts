import { Logger } from '@aws-lambda-powertools/logger';
import { SdkMgnPort } from '../lib/adapters/mgn';
import { SdkQuotasPort } from '../lib/adapters/service-quotas';
import { SdkSsmPort } from '../lib/adapters/ssm';
import { SdkStsPort } from '../lib/adapters/sts';
import { installAgents } from '../lib/flow/install-agents';
import { waveStep, type StepAdapters } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-install-agents' });

/** The services this step calls (functions/lib/steps.ts): only their SDK clients are bundled. */
const adapters: StepAdapters = { mgn: SdkMgnPort.forRegion, quotas: SdkQuotasPort.forRegion, ssm: SdkSsmPort.forRegion, sts: SdkStsPort.forRegion };

export const handler = waveStep(logger, installAgents, adapters);

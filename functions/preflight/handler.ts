import { Logger } from '@aws-lambda-powertools/logger';
import { SdkEc2Port } from '../lib/adapters/ec2';
import { SdkMgnPort } from '../lib/adapters/mgn';
import { SdkQuotasPort } from '../lib/adapters/service-quotas';
import { SdkSsmPort } from '../lib/adapters/ssm';
import { preflight } from '../lib/flow/preflight';
import { waveStep, type StepAdapters } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-preflight' });

/** The services this step calls (functions/lib/steps.ts): only their SDK clients are bundled. */
const adapters: StepAdapters = { ec2: SdkEc2Port.forRegion, mgn: SdkMgnPort.forRegion, quotas: SdkQuotasPort.forRegion, ssm: SdkSsmPort.forRegion };

export const handler = waveStep(logger, preflight, adapters);

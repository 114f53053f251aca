import { Logger } from '@aws-lambda-powertools/logger';
import { SdkEc2Port } from '../lib/adapters/ec2';
import { SdkMgnPort } from '../lib/adapters/mgn';
import { launchTest } from '../lib/flow/launch';
import { waveStep, type StepAdapters } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-launch-test' });

/** The services this step calls (functions/lib/steps.ts): only their SDK clients are bundled. */
const adapters: StepAdapters = { ec2: SdkEc2Port.forRegion, mgn: SdkMgnPort.forRegion };

export const handler = waveStep(logger, launchTest, adapters);

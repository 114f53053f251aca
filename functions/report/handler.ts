import { Logger } from '@aws-lambda-powertools/logger';
import { SdkMgnPort } from '../lib/adapters/mgn';
import { SnsNotifier, snsClientFor } from '../lib/adapters/sns';
import { SdkSsmPort } from '../lib/adapters/ssm';
import { writeReport } from '../lib/flow/report';
import { waveStep, type StepAdapters } from '../lib/flow-runtime';

const logger = new Logger({ serviceName: 'mgn-orchestrator-report' });

/** The services this step calls (functions/lib/steps.ts): only their SDK clients are bundled. */
const adapters: StepAdapters = { mgn: SdkMgnPort.forRegion, notifier: (region, topicArn) => new SnsNotifier(snsClientFor(region), topicArn), ssm: SdkSsmPort.forRegion };

export const handler = waveStep(logger, writeReport, adapters);

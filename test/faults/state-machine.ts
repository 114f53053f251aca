/**
 * The wave state machine on the runner with the real handlers and the real emulator, started with
 * any execution input: what an EventBridge rule or the API would hand Step Functions. Used to show
 * that bad input stops at ValidateWave with nothing changed in AWS.
 */
import { join } from 'node:path';
import { resetClients } from '../../functions/lib/adapters/client-config';
import { resetFlowConfig } from '../../functions/lib/flow-runtime';
import { ENV } from '../../functions/lib/steps';
import { EMULATOR_CREDENTIALS, startEmulator, type Emulator } from '../../simulator/emulator';
import { loadDefinition } from '../../simulator/runner/definition';
import { PROJECT_ROOT } from '../../simulator/runner/handlers';
import { StateMachineRunner, type ExecutionResult } from '../../simulator/runner/runner';
import { VirtualScheduler } from '../../simulator/runner/scheduler';

const REGION = 'ap-south-1';
const ACCOUNT = '123456789012';
export const WAVE_BUCKET = 'mgn-orchestrator-waves-123456789012';

export interface BareStateMachine {
  readonly emulator: Emulator;
  /** Runs one execution to its end; `history` holds every history event as JSON text. */
  run(input: unknown, name: string): Promise<{ result: ExecutionResult; history: string[] }>;
  close(): Promise<void>;
}

export async function startBareStateMachine(): Promise<BareStateMachine> {
  const emulator = await startEmulator({ port: 0, buckets: [WAVE_BUCKET] });
  const saved = { ...process.env };
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_MGN: emulator.url,
    AWS_ENDPOINT_URL_SSM: emulator.url,
    AWS_ENDPOINT_URL_EC2: emulator.url,
    AWS_ENDPOINT_URL_STS: emulator.url,
    AWS_ENDPOINT_URL_S3: emulator.url,
    AWS_ENDPOINT_URL_SNS: emulator.url,
    AWS_ENDPOINT_URL_SERVICE_QUOTAS: emulator.url,
    AWS_ENDPOINT_URL_SFN: emulator.url,
    AWS_REGION: REGION,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
    [ENV.waveBucket]: WAVE_BUCKET,
    [ENV.topicArn]: `arn:aws:sns:${REGION}:${ACCOUNT}:mgn-orchestrator-notifications`,
    [ENV.logLevel]: 'ERROR',
  });
  resetClients();
  resetFlowConfig();
  const prepared = loadDefinition(join(PROJECT_ROOT, 'statemachine', 'wave.asl.json'), {
    region: REGION,
    accountId: ACCOUNT,
    waveBucketName: WAVE_BUCKET,
    notificationTopicArn: `arn:aws:sns:${REGION}:${ACCOUNT}:mgn-orchestrator-notifications`,
  });
  const scheduler = new VirtualScheduler(emulator.clock, { nextEventTime: () => emulator.nextEventTime() });
  const history = new Map<string, string[]>();
  const runner = new StateMachineRunner({
    prepared,
    scheduler,
    region: REGION,
    accountId: ACCOUNT,
    observer: { onHistoryEvent: (execution, event) => history.get(execution)?.push(JSON.stringify(event)) },
    executions: emulator.executions,
  });
  return {
    emulator,
    async run(input, name) {
      history.set(name, []);
      const result = await runner.start(input, { name }).done;
      return { result, history: history.get(name) ?? [] };
    },
    async close() {
      await emulator.close();
      for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
      Object.assign(process.env, saved);
      resetClients();
      resetFlowConfig();
    },
  };
}

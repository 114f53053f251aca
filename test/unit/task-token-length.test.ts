/**
 * Task tokens: Step Functions hands out tokens of up to 2,048 characters (TaskToken in its API
 * model), and every path an approval travels must carry one that long and refuse a longer one
 * clearly: the request-approval step that publishes it, the API's POST /approvals body, and
 * `mgnctl approve|reject`. (The API Gateway request model is held to the same bound in
 * test/infra/stack.cross-region.test.ts.)
 */
import 'aws-sdk-client-mock-jest';
import { SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { main } from '../../cli/main';
import { InvalidContextError } from '../../functions/lib/errors';
import {
  MAX_TASK_TOKEN_LENGTH,
  parseApprovalRequest,
  requestApproval,
} from '../../functions/lib/flow/request-approval';
import { approvalAnswerFromApiRequest } from '../../functions/lib/trigger-input';
import { InvalidInputError } from '../../functions/lib/validation';
import { waveOf } from '../asl/fake-world';
import { sdkTestbed, startedWave } from './steps/sdk-deps';

const model = JSON.parse(
  gunzipSync(
    readFileSync(
      join(__dirname, '..', 'fixtures', 'aws-models', 'stepfunctions-2016-11-23.service-2.json.gz'),
    ),
  ).toString('utf8'),
) as { shapes: Record<string, { type: string; min?: number; max?: number }> };
const LONGEST = model.shapes.TaskToken.max!;

/** A token of `length` characters from the base64 alphabet Step Functions tokens use. */
const tokenOf = (length: number) => {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=';
  return Array.from({ length }, (_, i) => alphabet[(i * 7) % alphabet.length]).join('');
};

const sfn = mockClient(SFNClient);
const sns = mockClient(SNSClient);
const sts = mockClient(STSClient);
beforeEach(() => {
  sfn.reset();
  sns.reset();
  sts.reset();
  sts.on(GetCallerIdentityCommand).resolves({ Arn: 'arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice', Account: '111122223333', UserId: 'AROAEXAMPLE:alice' });
});

it('the Step Functions model says 1..2,048 characters, and so does the flow', () => {
  expect(model.shapes.TaskToken).toEqual({ type: 'string', min: 1, max: 2048 });
  expect(MAX_TASK_TOKEN_LENGTH).toBe(LONGEST);
});

describe('the request-approval step', () => {
  it(`publishes a token of ${2048} characters whole`, async () => {
    const manifest = waveOf(1);
    const bed = sdkTestbed(manifest);
    const context = await startedWave(bed, manifest);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const token = tokenOf(LONGEST);

    await requestApproval(parseApprovalRequest({ context, taskToken: token }), bed.deps);

    expect(sns.commandCalls(PublishCommand)[0].args[0].input.Message).toContain(`Task token:\n${token}`);
  });

  it('refuses a longer or empty token, saying the length and the bound but never the token', async () => {
    const manifest = waveOf(1);
    const context = await startedWave(sdkTestbed(manifest), manifest);
    const token = tokenOf(LONGEST + 1);
    const refusal = (taskToken: string) => {
      try {
        parseApprovalRequest({ context, taskToken });
      } catch (e) {
        return e;
      }
      return undefined;
    };
    const long = refusal(token);
    expect(long).toBeInstanceOf(InvalidContextError);
    expect((long as Error).message).toBe(
      'approval request: taskToken is 2049 characters; a Step Functions task token is 1-2048',
    );
    expect((long as Error).message).not.toContain(token.slice(0, 40));
    expect((refusal('') as Error).message).toBe(
      'approval request: taskToken is 0 characters; a Step Functions task token is 1-2048',
    );
  });
});

describe('POST /approvals', () => {
  const CALLER = { userArn: 'arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice' };
  it('answers with a 2,048-character token and refuses 2,049 naming the field', () => {
    const token = tokenOf(LONGEST);
    expect(
      approvalAnswerFromApiRequest({ taskToken: token, decision: 'approve', by: 'alice' }, CALLER),
    ).toMatchObject({
      action: 'SendTaskSuccess',
      taskToken: token,
    });
    try {
      approvalAnswerFromApiRequest({ taskToken: tokenOf(LONGEST + 1), decision: 'approve', by: 'alice' }, CALLER);
      throw new Error('accepted a 2,049-character token');
    } catch (e) {
      expect(e).toBeInstanceOf(InvalidInputError);
      expect((e as InvalidInputError).problems).toEqual(['taskToken: must be at most 2048 characters']);
    }
  });
});

describe('mgnctl approve', () => {
  async function approve(token: string): Promise<{ code: number; err: string }> {
    const err: string[] = [];
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
    try {
      const code = await main(['approve', '--task-token', token, '--by', 'alice', '--region', 'ap-south-1']);
      return { code, err: err.join('\n') };
    } finally {
      log.mockRestore();
      error.mockRestore();
    }
  }

  it('sends a 2,048-character token whole', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const token = tokenOf(LONGEST);
    expect(await approve(token)).toEqual({ code: 0, err: '' });
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token });
  });

  it('refuses 2,049 characters with exit 2 before calling AWS', async () => {
    expect(await approve(tokenOf(LONGEST + 1))).toEqual({
      code: 2,
      err: 'mgnctl approve: --task-token: a task token is 1-2048 characters without spaces',
    });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });
});

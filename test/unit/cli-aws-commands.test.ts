import 'aws-sdk-client-mock-jest';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { mockClient } from 'aws-sdk-client-mock';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { sdkStreamMixin } from '@smithy/util-stream';
import { Readable } from 'node:stream';
import { newRunState, mark } from '../../functions/lib/run-state';
import { parseManifest } from '../../functions/lib/manifest';
import { readFileSync } from 'node:fs';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../cli/main';
import { executionName } from '../../cli/step-functions';

const sfn = mockClient(SFNClient);
const sts = mockClient(STSClient);
const ARN = 'arn:aws:states:ap-south-1:123456789012:stateMachine:WaveFlow';
const EXAMPLE = join(__dirname, '..', '..', 'examples', 'waves', 'wave-12-mixed.json');

/** Runs mgnctl in-process (so the SDK mock applies) and captures its output. */
async function mgnctl(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const log = jest.spyOn(console, 'log').mockImplementation((...a) => void out.push(a.join(' ')));
  const error = jest.spyOn(console, 'error').mockImplementation((...a) => void err.push(a.join(' ')));
  try {
    const code = await main(argv);
    return { code, out: out.join('\n'), err: err.join('\n') };
  } finally {
    log.mockRestore();
    error.mockRestore();
  }
}

beforeEach(() => sfn.reset());

describe('mgnctl start', () => {
  it('names the run <waveId>-<dd-Mon-yyyy> like the API does, or <waveId>-<run name>', () => {
    expect(executionName('wave-12', undefined, new Date('2030-03-04T23:59:00Z'))).toBe('wave-12-04-Mar-2030');
    expect(executionName('wave-12', 'retry-2', new Date())).toBe('wave-12-retry-2');
  });

  it('starts one execution with the validated manifest as input', async () => {
    sfn
      .on(StartExecutionCommand)
      .resolves({
        executionArn: `${ARN.replace('stateMachine', 'execution')}:wave-12-mixed-r1`,
        startDate: new Date(),
      });
    const r = await mgnctl(
      'start',
      EXAMPLE,
      '--state-machine-arn',
      ARN,
      '--run-name',
      'r1',
      '--region',
      'ap-south-1',
    );
    expect(r.code).toBe(0);
    expect(r.out).toContain('started wave-12-mixed-r1');
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 1);
    const input = sfn.commandCalls(StartExecutionCommand)[0].args[0].input;
    expect(input).toMatchObject({ stateMachineArn: ARN, name: 'wave-12-mixed-r1' });
    expect(JSON.parse(input.input!)).toMatchObject({ waveId: 'wave-12-mixed', servers: expect.any(Array) });
  });

  it('sends nothing for an invalid wave or bad arguments (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'start-'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ waveId: 'w 1', targetRegion: 'ap-south-1' }));
    const r = await mgnctl('start', bad, '--state-machine-arn', ARN);
    expect(r.code).toBe(2);
    expect(r.err).toContain('waveId: "w 1" is not a wave id');
    expect((await mgnctl('start', EXAMPLE)).err).toContain('--state-machine-arn: required');
    expect((await mgnctl('start', EXAMPLE, '--state-machine-arn', ARN, '--run-name', 'a;b')).code).toBe(2);
    expect(sfn).toHaveReceivedCommandTimes(StartExecutionCommand, 0);
  });

  it('says how to re-run when the name is taken (a second start the same day)', async () => {
    sfn
      .on(StartExecutionCommand)
      .rejects(new ExecutionAlreadyExists({ message: 'Execution Already Exists', $metadata: {} }));
    const r = await mgnctl('start', EXAMPLE, '--state-machine-arn', ARN, '--region', 'ap-south-1');
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/already exists; pass --run-name to run wave wave-12-mixed again/);
  });
});

describe('mgnctl approve / reject', () => {
  const token = 'AAAAKgAAAAIAAAAAAAAAAcanary-token-value';
  const ME = 'arn:aws:sts::111122223333:assumed-role/MigrationApprover/alice';
  beforeEach(() => {
    sts.reset();
    sts.on(GetCallerIdentityCommand).resolves({ Arn: ME, Account: '111122223333', UserId: 'AROAEXAMPLE:alice' });
  });

  it('approve records the caller\'s AWS identity (not a typed name) and never prints the token', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const r = await mgnctl('approve', '--task-token', token, '--region', 'ap-south-1');
    expect(r).toMatchObject({ code: 0, out: `approved by ${ME}` });
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 1);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token, output: JSON.stringify({ approved: true, by: ME }) });
    expect(`${r.out}${r.err}`).not.toContain(token);
  });

  it('--by is a note next to the identity: claiming another name changes nothing about who is recorded', async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    const r = await mgnctl('approve', '--task-token', token, '--by', 'the CISO', '--region', 'ap-south-1');
    expect(r.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(SendTaskSuccessCommand, { taskToken: token, output: JSON.stringify({ approved: true, by: ME, note: 'the CISO' }) });
  });

  it('reject sends SendTaskFailure ApprovalRejected with the reason and the identity; the token may come from a file', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const file = join(mkdtempSync(join(tmpdir(), 'token-')), 'token');
    writeFileSync(file, `${token}\n`);
    const r = await mgnctl('reject', '--task-token-file', file, '--by', 'bob', '--reason', 'app team not ready', '--region', 'ap-south-1');
    expect(r.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token,
      error: 'ApprovalRejected',
      cause: `app team not ready (by ${ME}, note: bob)`,
    });
  });

  it('sends nothing when it cannot tell who the caller is', async () => {
    sts.on(GetCallerIdentityCommand).rejects(Object.assign(new Error('The security token included in the request is expired'), { name: 'ExpiredToken' }));
    const r = await mgnctl('approve', '--task-token', token, '--region', 'ap-south-1');
    expect(r).toMatchObject({ code: 1, err: 'mgnctl approve: ExpiredToken: The security token included in the request is expired' });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
  });

  it('revert sends SendTaskFailure RevertRequested with the reason (the finalize gate rolls back; the cutover gate refuses it)', async () => {
    sfn.on(SendTaskFailureCommand).resolves({});
    const r = await mgnctl('revert', '--task-token', token, '--by', 'carol', '--reason', 'orders fail on the new db', '--region', 'ap-south-1');
    expect(r.code).toBe(0);
    expect(sfn).toHaveReceivedCommandWith(SendTaskFailureCommand, {
      taskToken: token,
      error: 'RevertRequested',
      cause: `orders fail on the new db (by ${ME}, note: carol)`,
    });
    expect(r.out).toContain('at the cutover gate it is refused');
    expect(`${r.out}${r.err}`).not.toContain(token);
    sfn.reset();
    const missing = await mgnctl('revert', '--task-token', token, '--by', 'carol');
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.err).toContain('mgnctl revert: --reason: required');
    expect(sfn.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('refuses incomplete answers without calling AWS, and reports an expired token as exit 1', async () => {
    expect((await mgnctl('reject', '--task-token', token, '--by', 'bob')).err).toContain('--reason: required');
    expect((await mgnctl('approve', '--by', 'bob')).err).toContain('--task-token or --task-token-file: required');
    expect((await mgnctl('approve', '--task-token', token, '--by', '<script>')).err).toContain('--by: "<script>" must be 1-128 letters');
    expect((await mgnctl('approve', '--task-token', token, '--reason', 'x')).err).toContain('--reason: not taken by approve');
    expect(sts).toHaveReceivedCommandTimes(GetCallerIdentityCommand, 0);
    expect(sfn).toHaveReceivedCommandTimes(SendTaskSuccessCommand, 0);
    sfn.on(SendTaskSuccessCommand).rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const r = await mgnctl('approve', '--task-token', token, '--by', 'alice', '--region', 'ap-south-1');
    expect(r).toMatchObject({ code: 1, err: 'mgnctl approve: TaskTimedOut: Task Timed Out' });
  });
});

describe('mgnctl status', () => {
  const execArn = (name: string) => `arn:aws:states:ap-south-1:123456789012:execution:WaveFlow:${name}`;

  it("shows a run's status with the wave's outcome and counts", async () => {
    sfn.on(DescribeExecutionCommand).resolves({
      name: 'wave-12-mixed-r1',
      status: 'SUCCEEDED',
      startDate: new Date('2030-03-04T08:00:00Z'),
      stopDate: new Date('2030-03-04T12:00:00Z'),
      output: JSON.stringify({
        waveId: 'wave-12-mixed',
        outcome: 'completed-with-failures',
        counts: { active: 11, failed: 1 },
      }),
    });
    const r = await mgnctl('status', execArn('wave-12-mixed-r1'), '--region', 'ap-south-1');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      'wave-12-mixed-r1: SUCCEEDED, outcome completed-with-failures (11 active, 1 failed), started 2030-03-04T08:00:00.000Z, stopped 2030-03-04T12:00:00.000Z',
    );
  });

  it("lists only the wave's own runs, newest first", async () => {
    sfn.on(ListExecutionsCommand).resolves({
      executions: ['wave-1-a', 'wave-12-b', 'wave-1-c'].map((name) => ({
        name,
        executionArn: execArn(name),
        stateMachineArn: ARN,
        status: 'RUNNING',
        startDate: new Date(),
      })),
    });
    sfn
      .on(DescribeExecutionCommand, { executionArn: execArn('wave-1-a') })
      .resolves({ name: 'wave-1-a', status: 'FAILED', startDate: new Date('2030-01-01T00:00:00Z') });
    sfn
      .on(DescribeExecutionCommand, { executionArn: execArn('wave-1-c') })
      .resolves({ name: 'wave-1-c', status: 'RUNNING', startDate: new Date('2030-01-02T00:00:00Z') });
    const r = await mgnctl(
      'status',
      '--state-machine-arn',
      ARN,
      '--wave-id',
      'wave-1',
      '--json',
      '--region',
      'ap-south-1',
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out).map((v: { name: string }) => v.name)).toEqual(['wave-1-c', 'wave-1-a']);
    expect(sfn).toHaveReceivedCommandTimes(DescribeExecutionCommand, 2);
  });

  it('with --bucket, adds the view of the newest run in the bucket to the run listing (JSON: progress)', async () => {
    const s3 = mockClient(S3Client);
    try {
      sfn.on(ListExecutionsCommand).resolves({
        executions: ['wave-1-a', 'wave-1-c'].map((name) => ({ name, executionArn: execArn(name), stateMachineArn: ARN, status: 'RUNNING', startDate: new Date() })),
      });
      sfn.on(DescribeExecutionCommand, { executionArn: execArn('wave-1-a') }).resolves({ name: 'wave-1-a', status: 'FAILED', startDate: new Date('2030-01-01T00:00:00Z') });
      sfn.on(DescribeExecutionCommand, { executionArn: execArn('wave-1-c') }).resolves({ name: 'wave-1-c', status: 'RUNNING', startDate: new Date('2030-01-02T00:00:00Z') });
      s3.on(ListObjectsV2Command).resolves({
        IsTruncated: false,
        Contents: [
          { Key: 'waves/wave-1/manifest.json', LastModified: new Date('2030-01-02T00:00:00Z') },
          { Key: 'waves/wave-1/runs/wave-1-a/servers.json', LastModified: new Date('2030-01-01T05:00:00Z') },
          { Key: 'waves/wave-1/runs/wave-1-c/servers.json', LastModified: new Date('2030-01-02T03:00:00Z') },
        ],
      });
      const manifest = parseManifest({ ...JSON.parse(readFileSync(EXAMPLE, 'utf8')), waveId: 'wave-1' });
      const state = newRunState(manifest, 'wave-1-c');
      for (const server of state.servers) mark(server, 'preflight', 'done', new Date('2030-01-02T00:10:00Z'));
      s3.on(GetObjectCommand, { Key: 'waves/wave-1/runs/wave-1-c/servers.json' }).resolves({ Body: sdkStreamMixin(Readable.from([JSON.stringify(state)])) });
      const r = await mgnctl('status', '--state-machine-arn', ARN, '--wave-id', 'wave-1', '--bucket', 'mgn-waves-123456789012', '--json', '--region', 'ap-south-1');
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      const [newest, older] = JSON.parse(r.out);
      expect(older).toEqual({ name: 'wave-1-a', status: 'FAILED', startDate: '2030-01-01T00:00:00.000Z' });
      expect(newest).toMatchObject({ name: 'wave-1-c', status: 'RUNNING', progress: { runId: 'wave-1-c', lastCompletedPhase: 'preflight', phases: { preflight: { done: 12 } }, serversByState: { 'preflight done': 12 } } });
      expect(s3).toHaveReceivedCommandWith(ListObjectsV2Command, { Bucket: 'mgn-waves-123456789012', Prefix: 'waves/wave-1/' });
    } finally {
      s3.restore();
    }
  });
});

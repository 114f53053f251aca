/**
 * One run per wave at a time (functions/lib/wave-lock.ts): the lock is taken with a conditional
 * create, refused while its holder runs, taken over once the holder is gone, released only by its
 * holder; the state machine turns a refusal into a WaveAlreadyRunning failure that touched nothing;
 * the S3 and Step Functions adapters send the conditional requests S3 documents.
 */
import 'aws-sdk-client-mock-jest';
import { DeleteObjectCommand, GetObjectCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient } from '@aws-sdk/client-sfn';
import { sdkStreamMixin } from '@smithy/util-stream';
import { mockClient } from 'aws-sdk-client-mock';
import { Readable } from 'node:stream';
import { S3WaveStore } from '../../functions/lib/adapters/s3-wave-store';
import { SdkExecutionsPort } from '../../functions/lib/adapters/sfn';
import { TryLaterError } from '../../functions/lib/errors';
import { validateWave } from '../../functions/lib/flow/validate-wave';
import { writeReport } from '../../functions/lib/flow/report';
import type { FlowDeps } from '../../functions/lib/ports';
import { stepByName } from '../../functions/lib/steps';
import { acquireWaveLock, lockKey, MAX_EXECUTION_MS, releaseWaveLock, WaveAlreadyRunningError, type WaveLock } from '../../functions/lib/wave-lock';
import { stepStatements } from '../../infra/step-permissions';
import { executionArnOf, FakeWorld, waveOf } from '../asl/fake-world';
import { runWave } from '../asl/run-wave';

const WAVE = 'wave-7';
const KEY = lockKey(WAVE);

function world(): { world: FakeWorld; deps: FlowDeps; warnings: string[] } {
  const w = new FakeWorld(waveOf(2));
  const warnings: string[] = [];
  const deps: FlowDeps = { ...w.deps(), log: { info: () => undefined, warn: (m) => warnings.push(m), error: (m) => warnings.push(m) } };
  return { world: w, deps, warnings };
}

const holder = (runId: string, startedAt = new Date('2026-01-05T08:00:00Z')) => ({ waveId: WAVE, runId, executionArn: executionArnOf(runId), startedAt });
const lockIn = (w: FakeWorld): WaveLock | undefined => (w.objects.has(KEY) ? (JSON.parse(w.objects.get(KEY)!) as WaveLock) : undefined);

describe('acquireWaveLock', () => {
  it('creates the lock naming its holder, with an expiry one year (the Standard workflow limit) after the start', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    expect(lockIn(w)).toEqual({
      waveId: WAVE,
      runId: 'run-1',
      executionArn: executionArnOf('run-1'),
      startedAt: '2026-01-05T08:00:00.000Z',
      acquiredAt: w.now().toISOString(),
      expiresAt: new Date(Date.parse('2026-01-05T08:00:00Z') + MAX_EXECUTION_MS).toISOString(),
    });
    expect(MAX_EXECUTION_MS).toBe(365 * 24 * 3600 * 1000);
  });

  it('refuses a second execution while the holder is RUNNING, naming the holder, and changes nothing', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    w.executionStatuses.set(executionArnOf('run-1'), 'RUNNING');
    const before = new Map(w.objects);
    const error = await acquireWaveLock(holder('run-2'), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaveAlreadyRunningError);
    expect((error as Error).name).toBe('WaveAlreadyRunningError');
    expect((error as Error).message).toMatch(/wave wave-7 is already being run by execution run-1 .*still RUNNING.*this execution \(run-2\) stops without touching anything/);
    expect((error as Error).message).toContain(`aws stepfunctions stop-execution --execution-arn ${executionArnOf('run-1')}`);
    expect(w.objects).toEqual(before);
  });

  it('is taken again by the same execution (a retried invocation) without asking Step Functions', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    const ask = jest.spyOn(deps.executions, 'executionStatus');
    await expect(acquireWaveLock(holder('run-1'), deps)).resolves.toEqual({});
    expect(ask).not.toHaveBeenCalled();
    expect(lockIn(w)?.runId).toBe('run-1');
  });

  it.each([['ABORTED'], ['FAILED'], ['TIMED_OUT'], ['SUCCEEDED'], ['PENDING_REDRIVE']])('takes over from a holder whose execution is %s', async (status) => {
    const { world: w, deps, warnings } = world();
    await acquireWaveLock(holder('run-1'), deps);
    w.executionStatuses.set(executionArnOf('run-1'), status);
    const taken = await acquireWaveLock(holder('run-2'), deps);
    expect(taken.takenOver?.runId).toBe('run-1');
    expect(lockIn(w)?.runId).toBe('run-2');
    expect(warnings).toEqual(['took over the wave lock its holder left behind']);
  });

  it('takes over from a holder Step Functions does not know (ExecutionDoesNotExist)', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    expect((await acquireWaveLock(holder('run-2'), deps)).takenOver?.executionArn).toBe(executionArnOf('run-1'));
    expect(lockIn(w)?.runId).toBe('run-2');
  });

  it('takes over an expired lock even if Step Functions still says RUNNING, and never asks about it', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1', new Date(w.nowMs - MAX_EXECUTION_MS - 1000)), deps);
    w.executionStatuses.set(executionArnOf('run-1'), 'RUNNING');
    const ask = jest.spyOn(deps.executions, 'executionStatus');
    await acquireWaveLock(holder('run-2'), deps);
    expect(ask).not.toHaveBeenCalled();
    expect(lockIn(w)?.runId).toBe('run-2');
  });

  it('takes over an object at the lock key that is not a lock this orchestrator wrote', async () => {
    const { world: w, deps } = world();
    w.objects.set(KEY, JSON.stringify({ note: 'hand-made' }));
    await acquireWaveLock(holder('run-2'), deps);
    expect(lockIn(w)?.runId).toBe('run-2');
  });

  it('never overwrites a lock that changed hands between its read and its write (If-Match on the ETag read)', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    w.executionStatuses.set(executionArnOf('run-1'), 'ABORTED');
    // run-3 takes the abandoned lock while run-2 is asking Step Functions about run-1
    const status = deps.executions.executionStatus.bind(deps.executions);
    let raced = false;
    jest.spyOn(deps.executions, 'executionStatus').mockImplementation(async (arn) => {
      if (!raced) {
        raced = true;
        await acquireWaveLock(holder('run-3'), { ...deps, executions: { executionStatus: status } });
        w.executionStatuses.set(executionArnOf('run-3'), 'RUNNING');
      }
      return status(arn);
    });
    const error = await acquireWaveLock(holder('run-2'), deps).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WaveAlreadyRunningError);
    expect((error as Error).message).toContain('by execution run-3');
    expect(lockIn(w)?.runId).toBe('run-3');
  });

  it('gives up with TryLaterError (retried by the state machine) when the lock keeps changing hands', async () => {
    const { deps } = world();
    const store = { ...deps.store, createJson: async () => undefined, getVersionedJson: async () => undefined };
    await expect(acquireWaveLock(holder('run-2'), { ...deps, store })).rejects.toThrow(TryLaterError);
  });
});

describe('releaseWaveLock', () => {
  it('deletes the lock its run holds, and only that', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    expect(await releaseWaveLock(WAVE, 'run-2', deps)).toBe(false);
    expect(lockIn(w)?.runId).toBe('run-1');
    expect(await releaseWaveLock(WAVE, 'run-1', deps)).toBe(true);
    expect(w.objects.has(KEY)).toBe(false);
    expect(await releaseWaveLock(WAVE, 'run-1', deps)).toBe(false);
  });

  it('leaves a lock that changed between its read and its delete (conditional delete)', async () => {
    const { world: w, deps } = world();
    await acquireWaveLock(holder('run-1'), deps);
    const store = {
      ...deps.store,
      getVersionedJson: async <T>(key: string) => {
        const read = await deps.store.getVersionedJson<T>(key);
        w.objects.set(KEY, JSON.stringify({ ...lockIn(w), runId: 'run-9', executionArn: executionArnOf('run-9') }));
        return read;
      },
    };
    expect(await releaseWaveLock(WAVE, 'run-1', { ...deps, store })).toBe(false);
    expect(lockIn(w)?.runId).toBe('run-9');
  });

  it('never throws: a lock it could not release is taken over once the execution has ended', async () => {
    const { deps, warnings } = world();
    const store = { ...deps.store, getVersionedJson: async () => Promise.reject(new TryLaterError('GetObject: SlowDown', 'SlowDown')) };
    await expect(releaseWaveLock(WAVE, 'run-1', { ...deps, store })).resolves.toBe(false);
    expect(warnings).toEqual(['could not release the wave lock; the next run takes it over once this execution has ended']);
  });
});

describe('the steps around the lock', () => {
  it('validate-wave takes the lock before storing anything, and releases it when the run cannot start', async () => {
    const { world: w, deps } = world();
    const writes: string[] = [];
    const store = {
      ...deps.store,
      createJson: async (key: string, value: unknown) => (writes.push(`create ${key}`), deps.store.createJson(key, value)),
      putJson: async (key: string) => {
        writes.push(`put ${key}`);
        throw new TryLaterError('PutObject: SlowDown', 'SlowDown');
      },
    };
    await expect(validateWave({ input: w.manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, { ...deps, store })).rejects.toThrow(TryLaterError);
    expect(writes).toEqual([`create ${KEY}`, 'put waves/wave-7/manifest.json']);
    expect(w.objects.has(KEY)).toBe(false);
  });

  it('validate-wave refuses an execution ARN that is not its own execution, before touching anything', async () => {
    const { world: w, deps } = world();
    await expect(validateWave({ input: w.manifest, runId: 'run-1', executionArn: executionArnOf('run-2') }, deps)).rejects.toThrow(
      /executionArn: .* is not the ARN of execution run-1/,
    );
    expect(w.objects.size).toBe(0);
  });

  it('the report step releases the lock even when writing the report fails', async () => {
    const { world: w, deps } = world();
    const ctx = await validateWave({ input: w.manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, deps);
    const store = {
      ...deps.store,
      putJson: async (key: string, value: unknown) => (key.endsWith('report.json') ? Promise.reject(new TryLaterError('PutObject: SlowDown', 'SlowDown')) : deps.store.putJson(key, value)),
    };
    await expect(writeReport(ctx, { ...deps, store })).rejects.toThrow(TryLaterError);
    expect(w.objects.has(KEY)).toBe(false);
  });

  it('IAM: deletes only lock objects, and reads execution status, nothing more', () => {
    const ctx = { partition: 'aws', region: 'eu-west-1', account: '123456789012', sourceRegions: [], waveBucketArn: 'arn:aws:s3:::waves', topicArn: 't', installerRoleArn: 'r', launchedInstanceRoleArn: 'l', documentArns: [] };
    for (const step of ['validate-wave', 'report']) {
      const statements = stepStatements(stepByName(step), ctx);
      expect(statements.filter((s) => s.actions.includes('s3:DeleteObject'))).toEqual([
        expect.objectContaining({ actions: ['s3:DeleteObject'], resources: ['arn:aws:s3:::waves/waves/*/lock.json'] }),
      ]);
    }
    expect(stepStatements(stepByName('validate-wave'), ctx).find((s) => s.actions.includes('states:DescribeExecution'))?.resources).toEqual([
      'arn:aws:states:eu-west-1:123456789012:execution:*',
    ]);
    expect(stepByName('report').actions).not.toContain('states:DescribeExecution');
  });
});

describe('the state machine with a lock held by a running execution', () => {
  it('ends the second execution as WaveAlreadyRunning at once: no other state ran, nothing was written', async () => {
    const w = new FakeWorld(waveOf(2));
    const first = await validateWave({ input: w.manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, w.deps());
    expect(first.runId).toBe('run-1');
    w.executionStatuses.set(executionArnOf('run-1'), 'RUNNING');
    const before = new Map(w.objects);
    const run = await runWave(w, { runId: 'run-2' });
    expect(run.path).toEqual(['ValidateWave', 'WaveAlreadyRunningCause', 'WaveAlreadyRunning']);
    expect(run.error?.name).toBe('WaveAlreadyRunning');
    expect(run.error?.message).toMatch(/^wave wave-7 is already being run by execution run-1 /);
    expect(w.objects).toEqual(before);
    expect(w.calls).toEqual([]);
    expect(w.published).toEqual([]);
  });

  it('runs normally once the first execution has ended without releasing (takeover), and releases at its end', async () => {
    const w = new FakeWorld(waveOf(2));
    await validateWave({ input: w.manifest, runId: 'run-1', executionArn: executionArnOf('run-1') }, w.deps());
    w.executionStatuses.set(executionArnOf('run-1'), 'ABORTED');
    const run = await runWave(w, { runId: 'run-2' });
    expect(run.error).toBeUndefined();
    expect(run.output?.outcome).toBe('completed');
    expect(w.objects.has(KEY)).toBe(false);
  });
});

describe('S3WaveStore conditional requests', () => {
  const s3 = mockClient(S3Client);
  beforeEach(() => s3.reset());
  const store = () => new S3WaveStore(new S3Client({ region: 'eu-west-1' }), 'waves');
  const s3Error = (name: string, status: number) => new S3ServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: status }, message: name });

  it('creates with If-None-Match: *, and answers undefined for 412 PreconditionFailed', async () => {
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"a"' }).rejectsOnce(s3Error('PreconditionFailed', 412));
    expect(await store().createJson(KEY, { x: 1 })).toBe('"a"');
    expect(await store().createJson(KEY, { x: 1 })).toBeUndefined();
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Bucket: 'waves', Key: KEY, IfNoneMatch: '*', Body: '{"x":1}', ContentType: 'application/json' });
  });

  it('retries 409 ConditionalRequestConflict later, as S3 asks', async () => {
    s3.on(PutObjectCommand).rejects(s3Error('ConditionalRequestConflict', 409));
    const error = await store().createJson(KEY, {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TryLaterError);
    expect((error as TryLaterError).code).toBe('ConditionalRequestConflict');
  });

  it('replaces and deletes with If-Match on the ETag read; 412 and 404 mean the version is gone', async () => {
    s3.on(GetObjectCommand).resolves({ ETag: '"e1"', Body: sdkStreamMixin(Readable.from([Buffer.from('{"runId":"r"}')])) });
    expect(await store().getVersionedJson(KEY)).toEqual({ value: { runId: 'r' }, etag: '"e1"' });
    s3.on(PutObjectCommand).resolvesOnce({ ETag: '"e2"' }).rejectsOnce(s3Error('PreconditionFailed', 412)).rejectsOnce(s3Error('NoSuchKey', 404));
    expect(await store().replaceJson(KEY, {}, '"e1"')).toBe('"e2"');
    expect(await store().replaceJson(KEY, {}, '"e1"')).toBeUndefined();
    expect(await store().replaceJson(KEY, {}, '"e1"')).toBeUndefined();
    expect(s3).toHaveReceivedCommandWith(PutObjectCommand, { Key: KEY, IfMatch: '"e1"' });
    s3.on(DeleteObjectCommand).resolvesOnce({}).rejectsOnce(s3Error('PreconditionFailed', 412));
    expect(await store().deleteJsonVersion(KEY, '"e2"')).toBe(true);
    expect(await store().deleteJsonVersion(KEY, '"e2"')).toBe(false);
    expect(s3).toHaveReceivedCommandWith(DeleteObjectCommand, { Bucket: 'waves', Key: KEY, IfMatch: '"e2"' });
  });
});

describe('SdkExecutionsPort', () => {
  const sfn = mockClient(SFNClient);
  beforeEach(() => sfn.reset());

  it('reads the status with metadata only; an execution Step Functions does not know is undefined', async () => {
    sfn.on(DescribeExecutionCommand).resolvesOnce({ status: 'RUNNING' } as never).rejectsOnce(new ExecutionDoesNotExist({ message: 'gone', $metadata: {} }));
    const port = new SdkExecutionsPort(new SFNClient({ region: 'eu-west-1' }));
    expect(await port.executionStatus(executionArnOf('run-1'))).toBe('RUNNING');
    expect(await port.executionStatus(executionArnOf('run-1'))).toBeUndefined();
    expect(sfn).toHaveReceivedCommandWith(DescribeExecutionCommand, { executionArn: executionArnOf('run-1'), includedData: 'METADATA_ONLY' });
  });
});

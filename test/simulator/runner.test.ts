import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VirtualClock } from '../../simulator/clock';
import { lambdaArn, prepareDefinitionText, type SubstitutionConfig } from '../../simulator/runner/definition';
import { HandlerResolver, type HandlerMap } from '../../simulator/runner/handlers';
import { runWave, StateMachineRunner, type RunnerOptions } from '../../simulator/runner/runner';
import { VirtualScheduler } from '../../simulator/runner/scheduler';
import { flakyPoll, phaseHandlers, pollHandlers, type Calls } from '../fixtures/runner/toy-handlers';

const fixtures = join(__dirname, '..', 'fixtures', 'runner');
const cfg: SubstitutionConfig = {
  region: 'eu-west-1',
  accountId: '123456789012',
  waveBucketName: 'toy-wave-bucket',
  notificationTopicArn: 'arn:aws:sns:eu-west-1:123456789012:toy-topic',
};

function setup(definition: string | object, handlers: HandlerMap, extra: Partial<RunnerOptions> = {}) {
  const text = typeof definition === 'string' ? readFileSync(join(fixtures, definition), 'utf8') : JSON.stringify(definition);
  const clock = new VirtualClock();
  const scheduler = new VirtualScheduler(clock);
  const runner = new StateMachineRunner({
    prepared: prepareDefinitionText(text, cfg),
    scheduler,
    resolver: new HandlerResolver({ handlers }),
    ...extra,
  });
  return { clock, scheduler, runner, startMs: clock.now() };
}

/**
 * Runs `act` and returns the delays (ms) of the real timers that fired meanwhile: a runner that slept
 * through a Wait state in real time would show it here (task timeouts are set too, but cleared unfired).
 */
async function withFiredTimers<T>(act: () => Promise<T>): Promise<{ result: T; fired: number[] }> {
  const fired: number[] = [];
  const real = global.setTimeout;
  const spy = jest.spyOn(global, 'setTimeout').mockImplementation(((fn: (...a: unknown[]) => void, ms?: number, ...args: unknown[]) =>
    real(
      (...a: unknown[]) => {
        fired.push(ms ?? 0);
        fn(...a);
      },
      ms,
      ...args,
    )) as unknown as typeof setTimeout);
  try {
    return { result: await act(), fired };
  } finally {
    spy.mockRestore();
  }
}

describe('StateMachineRunner: virtual time', () => {
  it('runs a Task/Choice/Wait loop on the virtual clock without sleeping', async () => {
    const calls: Calls = { events: [] };
    const { clock, runner, startMs } = setup('poll-loop.asl.json', pollHandlers(5, 600, calls));
    const { result, fired } = await withFiredTimers(() => runner.start({}, { name: 'loop-1' }).done);
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ count: 5, done: true, waitSeconds: 600 });
    // four waits of 600 s between five polls
    expect(clock.secondsSince(startMs)).toBe(2400);
    expect(result.stopMs - result.startMs).toBe(2_400_000);
    // no real timer of 100 ms or more ran out: the waits passed on the virtual clock only
    expect(fired.filter((ms) => ms >= 100)).toEqual([]);
    expect(calls.events).toHaveLength(5);
  });

  it('accepts Seconds, Timestamp and TimestampPath waits', async () => {
    const clock0 = new VirtualClock();
    const at = new Date(clock0.now() + 7200_000).toISOString();
    const later = new Date(clock0.now() + 9000_000).toISOString();
    const def = {
      StartAt: 'A',
      States: {
        A: { Type: 'Wait', Seconds: 60, Next: 'B' },
        B: { Type: 'Wait', Timestamp: at, Next: 'C' },
        C: { Type: 'Wait', TimestampPath: '$.until', Next: 'D' },
        D: { Type: 'Wait', Timestamp: '2020-01-01T00:00:00Z', End: true },
      },
    };
    const { clock, runner, startMs } = setup(def, {});
    const result = await runner.start({ until: later }).done;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({ until: later });
    expect(clock.secondsSince(startMs)).toBe(9000);
    expect(result.counters.historyByType.WaitStateEntered).toBe(4);
    expect(result.counters.historyByType.TaskStateEntered).toBeUndefined();
  });

  it('interleaves two executions on one clock: each wakes at its own virtual time', async () => {
    const clock = new VirtualClock();
    const scheduler = new VirtualScheduler(clock);
    const text = readFileSync(join(fixtures, 'poll-loop.asl.json'), 'utf8');
    const make = (wait: number, seen: number[]) =>
      new StateMachineRunner({
        prepared: prepareDefinitionText(text, cfg),
        scheduler,
        resolver: new HandlerResolver({
          handlers: {
            'wait-replication': (e) => {
              seen.push(clock.secondsSince(startMs));
              const count = ((e as { count?: number }).count ?? 0) + 1;
              return { count, done: count >= 4, waitSeconds: wait };
            },
          },
        }),
      });
    const startMs = clock.now();
    const fast: number[] = [];
    const slow: number[] = [];
    const [a, b] = await Promise.all([make(100, fast).start({}).done, make(250, slow).start({}).done]);
    expect([a.status, b.status]).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(fast).toEqual([0, 100, 200, 300]);
    expect(slow).toEqual([0, 250, 500, 750]);
    expect(clock.secondsSince(startMs)).toBe(750);
    expect(a.stopMs - startMs).toBe(300_000);
  });
});

describe('StateMachineRunner: accounting', () => {
  it('counts transitions and history events of a small definition exactly as modelled', async () => {
    const { runner } = setup('poll-loop.asl.json', pollHandlers(5, 600));
    const { counters } = await runner.start({}).done;
    // 5 Poll + 5 Choice + 4 Wait + 1 Succeed states entered
    expect(counters.stateTransitions).toBe(15);
    expect(counters.historyByType).toEqual({
      ExecutionStarted: 1,
      TaskStateEntered: 5,
      TaskScheduled: 5,
      TaskStarted: 5,
      TaskSucceeded: 5,
      TaskStateExited: 5,
      ChoiceStateEntered: 5,
      ChoiceStateExited: 5,
      WaitStateEntered: 4,
      WaitStateExited: 4,
      SucceedStateEntered: 1,
      SucceedStateExited: 1,
      ExecutionSucceeded: 1,
    });
    expect(counters.historyEvents).toBe(47);
    expect(counters.retries).toBe(0);
  });

  it('counts retries as transitions and adds a scheduled/started/failed triple per failed attempt, waiting in virtual time', async () => {
    const calls: Calls = { events: [] };
    const { clock, runner, startMs } = setup('poll-loop.asl.json', flakyPoll(2, calls));
    const { result, fired } = await withFiredTimers(() => runner.start({}).done);
    expect(result.status).toBe('SUCCEEDED');
    expect(calls.events).toHaveLength(3);
    expect(result.counters.retries).toBe(2);
    // Poll entered once + 2 retries, Choice, Succeed
    expect(result.counters.stateTransitions).toBe(5);
    expect(result.counters.historyByType.TaskScheduled).toBe(3);
    expect(result.counters.historyByType.TaskFailed).toBe(2);
    expect(result.counters.historyByType.TaskSucceeded).toBe(1);
    expect(result.counters.historyByType.TaskStateEntered).toBe(1);
    // IntervalSeconds 30, BackoffRate 2: 30 s then 60 s, on the virtual clock
    expect(clock.secondsSince(startMs)).toBe(90);
    expect(fired.filter((ms) => ms >= 100)).toEqual([]);
  });

  it('fails the execution when retries run out, with the Lambda error name and the runtime cause', async () => {
    const { runner } = setup('poll-loop.asl.json', flakyPoll(10));
    const result = await runner.start({}).done;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('ThrottledError');
    expect(JSON.parse(result.cause!)).toMatchObject({ errorType: 'ThrottledError', errorMessage: 'MGN throttled the call' });
    expect(result.counters.retries).toBe(3);
    expect(result.counters.historyByType.TaskFailed).toBe(4);
    expect(result.counters.historyByType.TaskStateExited).toBeUndefined();
    expect(result.counters.historyByType.ExecutionFailed).toBe(1);
  });

  it('fails with States.DataLimitExceeded when a state output is over 256 KiB, and records the largest payload', async () => {
    const big = 'x'.repeat(300_000);
    const { runner } = setup('poll-loop.asl.json', { 'wait-replication': () => ({ done: true, blob: big }) });
    const result = await runner.start({}).done;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.DataLimitExceeded');
    expect(result.cause).toMatch(/Poll.*over the 262144-byte limit/);
    expect(result.counters.maxPayloadBytes).toBeGreaterThan(300_000);
  });

  it('passes a payload just under the limit and reports its size', async () => {
    const blob = 'y'.repeat(200_000);
    const { runner } = setup('poll-loop.asl.json', { 'wait-replication': () => ({ done: true, blob }) });
    const result = await runner.start({}).done;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.counters.maxPayloadBytes).toBeGreaterThanOrEqual(200_000);
    expect(result.counters.maxPayloadBytes).toBeLessThan(262_144);
  });

  it('fails the execution once its history passes 25,000 events', async () => {
    const def = {
      StartAt: 'Spin',
      States: {
        Spin: { Type: 'Pass', Next: 'Again?' },
        'Again?': { Type: 'Choice', Choices: [{ Variable: '$.stop', BooleanEquals: true, Next: 'End' }], Default: 'Spin' },
        End: { Type: 'Succeed' },
      },
    };
    const { runner } = setup(def, {});
    const result = await runner.start({ stop: false }).done;
    expect(result.status).toBe('FAILED');
    expect(result.error).toBe('States.Runtime');
    expect(result.cause).toMatch(/history exceeded 25000 events/);
    expect(result.counters.historyEvents).toBeGreaterThan(25_000);
  });
});

describe('StateMachineRunner: approval task', () => {
  const approvalCalls = (calls: Calls): HandlerMap => ({
    'request-approval': (event) => {
      calls.events.push({ step: 'request-approval', event });
      return { published: true };
    },
  });

  it('calls request-approval with the context and a task token, then continues with the approval', async () => {
    const calls: Calls = { events: [] };
    const { runner } = setup('approval.asl.json', approvalCalls(calls), { approval: 'approve' });
    const result = await runner.start({ waveId: 'w1' }).done;
    expect(result.status).toBe('SUCCEEDED');
    expect(result.output).toEqual({
      waveId: 'w1',
      bucket: 'toy-wave-bucket',
      topic: 'arn:aws:sns:eu-west-1:123456789012:toy-topic',
      approval: { approved: true, by: 'simulator' },
      outcome: 'approved',
    });
    expect(calls.events).toHaveLength(1);
    const event = calls.events[0].event as { context: unknown; taskToken: string };
    expect(event.context).toEqual({ waveId: 'w1', bucket: 'toy-wave-bucket', topic: 'arn:aws:sns:eu-west-1:123456789012:toy-topic' });
    expect(event.taskToken).toMatch(/^sim-task-token-/);
    expect(result.counters.historyByType.TaskSubmitted).toBe(1);
  });

  it('routes a rejection through the Catch on ApprovalRejected', async () => {
    const calls: Calls = { events: [] };
    const { runner } = setup('approval.asl.json', approvalCalls(calls), { approval: 'reject' });
    const result = await runner.start({ waveId: 'w1' }).done;
    expect(result.status).toBe('SUCCEEDED');
    const out = result.output as { outcome: string; rejection: { Error: string; Cause: string }; approval?: unknown };
    expect(out.outcome).toBe('rejected');
    expect(out.rejection.Error).toBe('ApprovalRejected');
    expect(out.rejection.Cause).toMatch(/rejected at the cutover gate by the simulator scenario/);
    expect(out.approval).toBeUndefined();
    expect(calls.events).toHaveLength(1);
    // caught failure: entered, scheduled, started, submitted, failed, exited
    expect(result.counters.historyByType.TaskFailed).toBe(1);
    expect(result.counters.historyByType.TaskStateExited).toBe(1);
  });
});

describe('runWave: interruptions', () => {
  it('aborts after the named phase and restarts a new execution for the same input until it completes', async () => {
    const calls: Calls = { events: [] };
    const { runner, clock, startMs } = setup('phases.asl.json', phaseHandlers(calls));
    const run = await runWave(runner, { waveId: 'w1' }, { namePrefix: 'w1', interruptions: ['preflight'] });
    expect(run.executions.map((e) => [e.name, e.status, e.interruptedAfterPhase])).toEqual([
      ['w1-1', 'ABORTED', 'preflight'],
      ['w1-2', 'SUCCEEDED', undefined],
    ]);
    expect(calls.events.map((c) => c.step)).toEqual(['validate-wave', 'preflight', 'validate-wave', 'preflight', 'report']);
    // each execution starts from the same wave input
    expect(calls.events[2].event).toEqual({ waveId: 'w1' });
    expect(run.final.output).toMatchObject({ lastCompletedPhase: 'report', reportRuns: 1 });
    // the aborted execution never reached its Wait; the second waited one hour
    expect(clock.secondsSince(startMs)).toBe(3600);
    expect(run.executions[0].counters.historyByType.ExecutionAborted).toBe(1);
  });

  it('interrupts each listed phase once, in order of occurrence', async () => {
    const calls: Calls = { events: [] };
    const { runner } = setup('phases.asl.json', phaseHandlers(calls));
    const run = await runWave(runner, { waveId: 'w1' }, { namePrefix: 'w1', interruptions: ['validate', 'report'] });
    expect(run.executions.map((e) => e.interruptedAfterPhase)).toEqual(['validate', 'report', undefined]);
    expect(run.final.status).toBe('SUCCEEDED');
  });

  it('a phase no step reports (here install, between preflight and report) interrupts right after the next later one', async () => {
    const calls: Calls = { events: [] };
    const { runner } = setup('phases.asl.json', phaseHandlers(calls));
    const run = await runWave(runner, { waveId: 'w1' }, { namePrefix: 'w1', interruptions: ['install'] });
    expect(run.executions.map((e) => e.interruptedAfterPhase)).toEqual(['install', undefined]);
    expect(calls.events.map((c) => c.step)).toEqual(['validate-wave', 'preflight', 'report', 'validate-wave', 'preflight', 'report']);
    expect(run.final.status).toBe('SUCCEEDED');
  });

  it('aborts an execution parked in a Wait without moving the clock', async () => {
    const { runner, scheduler, clock, startMs } = setup('phases.asl.json', phaseHandlers());
    // busy work elsewhere holds the clock still while the execution parks in its one-hour Wait
    let release!: () => void;
    const held = scheduler.busy(() => new Promise<void>((r) => (release = r)));
    const handle = runner.start({ waveId: 'w1' }, { name: 'x' });
    while (scheduler.parkedCount === 0) await new Promise((r) => setImmediate(r));
    handle.abort();
    release();
    await held;
    const result = await handle.done;
    expect(result.status).toBe('ABORTED');
    expect(scheduler.parkedCount).toBe(0);
    expect(clock.now()).toBe(startMs);
  });

  it('maps step ARNs from the catalogue to step names', () => {
    const prepared = prepareDefinitionText(readFileSync(join(fixtures, 'phases.asl.json'), 'utf8'), cfg);
    expect(prepared.stepByArn.get(lambdaArn(cfg, 'preflight'))?.placeholder).toBe('PreflightFunctionArn');
    expect(prepared.taskResources.get('Preflight')).toBe('arn:aws:lambda:eu-west-1:123456789012:function:preflight');
    expect(() => prepareDefinitionText('{"StartAt":"A","States":{"A":{"Type":"Task","Resource":"${Nope}","End":true}}}', cfg)).toThrow(
      /unknown placeholders: \$\{Nope\}/,
    );
  });
});

import { STEPS } from '../../functions/lib/steps';
import { rawDefinition, statesOf, substitutedDefinition, type StateDef } from './definition';

// asl-validator ships no type declarations.
const aslValidator = require('asl-validator') as (definition: unknown) => { isValid: boolean; errorsText: (separator?: string) => string };

const TRANSIENT_LAMBDA = ['Lambda.ServiceException', 'Lambda.AWSLambdaException', 'Lambda.SdkClientException', 'Lambda.TooManyRequestsException'];
const THROTTLING = ['TryLaterError', 'ThrottlingException'];

/** Problems with a Task's error handling: every Task retries transient errors with jittered backoff and catches the rest. */
export function taskHandlingProblems(states: Record<string, StateDef>): string[] {
  const problems: string[] = [];
  for (const [name, state] of Object.entries(states)) {
    if (state.Type !== 'Task') continue;
    const retry = (state.Retry ?? []) as { ErrorEquals: string[]; BackoffRate?: number; JitterStrategy?: string }[];
    const retried = retry.flatMap((r) => r.ErrorEquals);
    for (const e of [...TRANSIENT_LAMBDA, ...THROTTLING]) if (!retried.includes(e)) problems.push(`${name}: Retry lacks ${e}`);
    for (const r of retry) {
      if (!(r.BackoffRate && r.BackoffRate > 1)) problems.push(`${name}: a retrier without backoff`);
      if (r.JitterStrategy !== 'FULL') problems.push(`${name}: a retrier without FULL jitter`);
    }
    const catches = (state.Catch ?? []) as { ErrorEquals: string[]; ResultPath?: string | null }[];
    if (!catches.some((c) => c.ErrorEquals.includes('States.ALL'))) problems.push(`${name}: no Catch for States.ALL`);
    for (const c of catches)
      if (c.ResultPath === undefined || c.ResultPath === null || c.ResultPath === '$') problems.push(`${name}: a Catch that drops the context`);
  }
  return problems;
}

describe('statemachine/wave.asl.json', () => {
  const definition = substitutedDefinition();
  const states = statesOf(definition);

  it('is accepted by asl-validator once placeholders are substituted', () => {
    const { isValid, errorsText } = aslValidator(definition);
    expect(errorsText('\n')).toBe('');
    expect(isValid).toBe(true);
  });

  it('gives every Task a Retry (transient Lambda errors, throttling; backoff, full jitter) and a context-keeping Catch', () => {
    expect(taskHandlingProblems(states)).toEqual([]);
  });

  it('the Retry/Catch check fails for a Task without them', () => {
    const broken = structuredClone(states);
    delete broken.LaunchTest.Retry;
    delete broken.Report.Catch;
    expect(taskHandlingProblems(broken)).toEqual(
      expect.arrayContaining(['LaunchTest: Retry lacks Lambda.ServiceException', 'Report: no Catch for States.ALL']),
    );
  });

  it('uses every step of the catalogue, each by its placeholder, and nothing else', () => {
    const raw = JSON.parse(rawDefinition()) as Record<string, unknown>;
    const used = Object.values(statesOf(raw))
      .filter((s) => s.Type === 'Task')
      .map((s) => (s.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken' ? (s.Parameters as { FunctionName: string }).FunctionName : (s.Resource as string)));
    // request-approval serves both gates (cutover and finalize)
    expect([...new Set(used)].sort()).toEqual(STEPS.map((s) => `\${${s.placeholder}}`).sort());
    expect(used.filter((u) => u === '${RequestApprovalFunctionArn}')).toHaveLength(2);
  });

  it('is JSONPath only: no JSONata, no Assign, no Map at all', () => {
    const text = rawDefinition();
    expect(text).not.toMatch(/"QueryLanguage"|"Assign"|"Arguments"|"Output"|\{%/);
    expect(Object.values(states).filter((s) => s.Type === 'Map' || s.Type === 'Parallel')).toEqual([]);
  });

  it('polls the whole wave: every Wait waits $.waitSeconds and loops back to the Task it follows', () => {
    // the soak is the one Wait that is no poll: it waits $.soakSeconds, then goes to the finalize gate
    const waits = Object.entries(states).filter(([name, s]) => s.Type === 'Wait' && name !== 'Soak');
    expect(waits.length).toBeGreaterThanOrEqual(9);
    for (const [name, wait] of waits) {
      expect(wait.SecondsPath).toBe('$.waitSeconds');
      expect(states[wait.Next as string].Type).toBe('Task');
      const choice = states[`${wait.Next as string}Done?`];
      expect(choice.Default).toBe(name);
    }
  });

  it('waits for approval with a task token as CONTRACTS.md says; a rejection or timeout discards the test', () => {
    const approval = states.RequestApproval;
    expect(approval.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(approval.Parameters).toEqual({
      FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:RequestApprovalFunctionArn',
      Payload: { 'context.$': '$', 'taskToken.$': '$$.Task.Token', gate: 'cutover' },
    });
    const catches = approval.Catch as { ErrorEquals: string[]; Next: string }[];
    expect(catches[0]).toMatchObject({ ErrorEquals: ['ApprovalRejected', 'States.Timeout'], Next: 'DiscardTest' });
    // revert at the cutover gate: refused (nothing is cut over), the request is sent again
    expect(catches[1]).toEqual({ ErrorEquals: ['RevertRequested'], ResultPath: '$.refusedAnswer', Next: 'RequestApproval' });
    expect(states['DiscardTestDone?'].Choices).toEqual([{ Variable: '$.done', BooleanEquals: true, Next: 'Report' }]);
  });

  it('holds the finalize gate after cutover verification: soak, second approval naming its gate, revert and reject paths', () => {
    expect((states['FinalizePhase?'].Choices as { Next: string }[])[0].Next).toBe('Soak?');
    expect(states.Soak).toMatchObject({ Type: 'Wait', SecondsPath: '$.soakSeconds', Next: 'FinalizeGate?' });
    const gate = states.RequestFinalizeApproval;
    expect(gate.Resource).toBe('arn:aws:states:::lambda:invoke.waitForTaskToken');
    expect(gate.Parameters).toEqual({
      FunctionName: 'arn:aws:lambda:eu-west-1:123456789012:function:RequestApprovalFunctionArn',
      Payload: { 'context.$': '$', 'taskToken.$': '$$.Task.Token', gate: 'finalize' },
    });
    expect(gate.ResultPath).toBe('$.finalizeApproval');
    expect(gate.Catch).toEqual([
      { ErrorEquals: ['RevertRequested'], ResultPath: '$.revertRequest', Next: 'RevertCutover' },
      { ErrorEquals: ['ApprovalRejected', 'States.Timeout'], ResultPath: '$.finalizeRejection', Next: 'Report' },
      { ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Report' },
    ]);
    expect(states['FinalizeApproved?'].Default).toBe('FinalizeNotApproved');
    expect(states['RevertCutoverDone?'].Choices).toEqual([{ Variable: '$.done', BooleanEquals: true, Next: 'Report' }]);
  });
});

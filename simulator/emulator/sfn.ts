/**
 * Step Functions (awsJson1_0, `X-Amz-Target: AWSStepFunctions.<Operation>`, signing name `states`):
 * DescribeExecution, so a wave run can tell whether the execution holding its wave's lock is still
 * RUNNING. The executions are the simulator runner's: it reports each start and stop here, the way
 * the Step Functions service knows its own executions.
 */
import { ApiError } from './errors';
import type { JsonOperation } from './mgn';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';

export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  /** epoch ms */
  readonly startDate: number;
  stopDate?: number;
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
}

/** What the runner tells the emulator about its executions. */
export interface ExecutionRegistry {
  started(execution: { executionArn: string; stateMachineArn: string; name: string; startDate: number; input: unknown }): void;
  stopped(executionArn: string, end: { status: Exclude<ExecutionStatus, 'RUNNING'>; stopDate: number; output?: unknown; error?: string; cause?: string }): void;
}

export interface StepFunctionsState {
  readonly executions: Map<string, ExecutionRecord>;
}

/** arn:<partition>:states:<region>:<account>:execution:<stateMachineName>:<executionName> */
const EXECUTION_ARN = /^arn:aws[a-z-]*:states:([a-z0-9-]+):([0-9]{12}):execution:([A-Za-z0-9_-]{1,80}):([A-Za-z0-9_-]{1,80})$/;

export function executionRegistry(state: StepFunctionsState): ExecutionRegistry {
  return {
    started: (e) => {
      state.executions.set(e.executionArn, { ...e, status: 'RUNNING', input: JSON.stringify(e.input ?? null) });
    },
    stopped: (arn, end) => {
      const record = state.executions.get(arn);
      if (!record || record.status !== 'RUNNING') return;
      record.status = end.status;
      record.stopDate = end.stopDate;
      if (end.status === 'SUCCEEDED') record.output = JSON.stringify(end.output ?? null);
      if (end.error !== undefined) record.error = end.error.slice(0, 256);
      if (end.cause !== undefined) record.cause = end.cause.slice(0, 32768);
    },
  };
}

const epochSeconds = (ms: number) => ms / 1000;

export function stepFunctionsOperations(state: StepFunctionsState): Record<string, JsonOperation> {
  return {
    DescribeExecution: {
      run(input, ctx) {
        const arn = input.executionArn;
        if (arn === undefined || arn === null)
          throw new ApiError('ValidationException', "1 validation error detected: Value null at 'executionArn' failed to satisfy constraint: Member must not be null");
        if (typeof arn !== 'string' || arn.length < 1 || arn.length > 256)
          throw new ApiError('ValidationException', "1 validation error detected: Value at 'executionArn' failed to satisfy constraint: Member must have length between 1 and 256");
        if (input.includedData !== undefined && input.includedData !== 'ALL_DATA' && input.includedData !== 'METADATA_ONLY')
          throw new ApiError('ValidationException', `1 validation error detected: Value '${String(input.includedData)}' at 'includedData' failed to satisfy constraint: Member must satisfy enum value set: [ALL_DATA, METADATA_ONLY]`);
        const m = EXECUTION_ARN.exec(arn);
        if (!m) throw new ApiError('InvalidArn', `Invalid Arn: 'Resource type not valid in this context: ${arn.split(':')[5] ?? ''}'`);
        if (m[1] !== ctx.region) throw new ApiError('InvalidArn', `Invalid Arn: 'Region does not match the endpoint region: ${m[1]}'`);
        const e = state.executions.get(arn);
        if (!e) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
        // METADATA_ONLY leaves out the execution's data (input and output)
        const data = input.includedData !== 'METADATA_ONLY';
        return {
          executionArn: e.executionArn,
          stateMachineArn: e.stateMachineArn,
          name: e.name,
          status: e.status,
          startDate: epochSeconds(e.startDate),
          ...(e.stopDate !== undefined ? { stopDate: epochSeconds(e.stopDate) } : {}),
          ...(data ? { input: e.input, inputDetails: { included: true } } : {}),
          ...(data && e.output !== undefined ? { output: e.output, outputDetails: { included: true } } : {}),
          ...(e.error !== undefined ? { error: e.error } : {}),
          ...(e.cause !== undefined ? { cause: e.cause } : {}),
          redriveCount: 0,
          // failed, timed-out and aborted executions can be redriven (Step Functions developer guide, "Redriving executions")
          redriveStatus: e.status === 'FAILED' || e.status === 'TIMED_OUT' || e.status === 'ABORTED' ? 'REDRIVABLE' : 'NOT_REDRIVABLE',
        };
      },
    },
  };
}

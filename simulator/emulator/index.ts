/**
 * The AWS emulator of the simulator: MGN, SSM, EC2, STS, S3, SNS and Step Functions (DescribeExecution) on 127.0.0.1, on a virtual clock.
 * See server.ts (wire protocols, throttling, chaos, trace) and fleet.ts (what the fleet does).
 */
export { servedOperations, startEmulator, type Emulator, type EmulatorOptions, type WireAnswer } from './server';
export { EMULATOR_CREDENTIALS, signRequest } from './auth';
export type { ExecutionRegistry } from './sfn';
export { DEFAULT_DOCUMENTS, LIMITS, TIMINGS, type DocumentNames } from './fleet';
export { EC2_ERROR_CODES } from './ec2';
export { fleetProbes, type NetworkProbe } from './probes';
export type { TraceCaller, TraceEntry } from './trace';

/**
 * Named errors the state machine can Retry or Catch by name (a Lambda error's `errorType` is the
 * error's `name`). Each sets `name` explicitly so bundling/minification never changes it.
 */

/** An AWS call refused for now (throttling, quota, a job or state conflict): retry later, never a server failure. */
export class TryLaterError extends Error {
  override readonly name = 'TryLaterError';
  constructor(
    message: string,
    /** the AWS error code behind it: ThrottlingException, ServiceQuotaExceededException, ConflictException ... */
    readonly code: string,
    /** a hint from the service (MGN's retryAfterSeconds), when it sent one */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The run's stored state (manifest or server records) is missing: the run cannot continue. */
export class RunStateMissingError extends Error {
  override readonly name = 'RunStateMissingError';
}

/** A required environment variable is unset or malformed. */
export class ConfigurationError extends Error {
  override readonly name = 'ConfigurationError';
}

/** The input a step received is not a wave context (a wiring mistake in the ASL). */
export class InvalidContextError extends Error {
  override readonly name = 'InvalidContextError';
}

/**
 * SSM refused a SendCommand with InvalidInstanceId: some target is not Online (or not managed in that
 * region), and SSM refuses the whole call, so nothing ran on any target.
 */
export class CommandTargetsRefusedError extends Error {
  override readonly name = 'CommandTargetsRefusedError';
}

/**
 * IAM refused a SendCommand (AccessDeniedException): some target lacks what the role's
 * ssm:SendCommand requires (the deploy config's allowedTag). IAM authorises every resource the
 * request names, so nothing ran anywhere.
 */
export class CommandNotAuthorizedError extends Error {
  override readonly name = 'CommandNotAuthorizedError';
}

/** SSM refused a SendCommand with InvalidDocument: the region holds no such document. */
export class DocumentNotInRegionError extends Error {
  override readonly name = 'DocumentNotInRegionError';
  constructor(
    message: string,
    readonly documentName: string,
    readonly region: string,
  ) {
    super(message);
  }
}

/**
 * MGN was never initialized in the wave's target region (every MGN call answers
 * UninitializedAccountException): preflight ends the wave before any change, with the remedy.
 */
export class MgnNotInitializedError extends Error {
  override readonly name = 'MgnNotInitializedError';
}

/** The remedy for UninitializedAccountException in a region, as the MGN user guide gives it. */
export function mgnNotInitializedMessage(region: string): string {
  return (
    `Application Migration Service is not initialized in ${region} (UninitializedAccountException): ` +
    `initialize it once per account and region, either in the MGN console of ${region} ("Get started", then "Set up service") ` +
    `or with \`aws mgn initialize-service --region ${region}\`, then start the wave again. Nothing was changed in any service.`
  );
}

/** AWS error codes that mean "not now", whichever service sent them. */
export const TRY_LATER_CODES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown', // S3's throttle (HTTP 503)
  'ServiceQuotaExceededException',
  'ConflictException',
  // 5xx answers: the service failed this call, not the wave (MGN, SSM, EC2/S3/SNS, STS)
  'InternalServerException',
  'InternalServerError',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  // the SDK's own timeout
  'TimeoutError',
]);

/** Network errors (a reset or dropped connection through the endpoint) that outlasted the SDK's own retries. */
const TRY_LATER_NETWORK_CODES: ReadonlySet<string> = new Set(['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED', 'EAI_AGAIN']);

/** Turns an SDK error that means "not now" into a TryLaterError; returns anything else unchanged. */
export function asTryLater(error: unknown, what: string): unknown {
  const e = error as { name?: string; code?: string; message?: string; retryAfterSeconds?: number } | undefined;
  if (e && typeof e.name === 'string' && TRY_LATER_CODES.has(e.name)) {
    return new TryLaterError(`${what}: ${e.name}: ${e.message ?? ''}`.trim(), e.name, e.retryAfterSeconds);
  }
  if (e && typeof e.code === 'string' && TRY_LATER_NETWORK_CODES.has(e.code)) {
    return new TryLaterError(`${what}: ${e.code}: ${e.message ?? ''}`.trim(), e.code);
  }
  return error;
}

/** A short reason string for any thrown value, fit for a report. */
export function reasonOf(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

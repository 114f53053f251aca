/**
 * An AWS API error the emulator answers with. `code` is the wire error code (`x-amzn-errortype`,
 * `__type`, `<Code>`), `status` the HTTP status; `fields` are extra members of the error shape
 * (MGN's `fieldList`, `resourceId`, ...). The protocol layer renders it in each service's format.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
    readonly fields: Record<string, unknown> = {},
    /** extra HTTP headers (Retry-After) */
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/** The service protocols the emulator speaks, keyed by the SigV4 signing name. */
export type ServiceName = 'mgn' | 'ssm' | 'ec2' | 'sts' | 's3' | 'sns' | 'states' | 'servicequotas';
export const SERVICES: readonly ServiceName[] = ['mgn', 'ssm', 'ec2', 'sts', 's3', 'sns', 'states', 'servicequotas'];

/** A throttling error in each service's own words. */
export function throttlingError(service: ServiceName, retryAfterSeconds: number): ApiError {
  switch (service) {
    case 'mgn':
      return new ApiError(
        'ThrottlingException',
        'Rate exceeded',
        429,
        { retryAfterSeconds: String(retryAfterSeconds), serviceCode: 'mgn', quotaCode: 'L-THROTTLE' },
        { 'Retry-After': String(retryAfterSeconds) },
      );
    case 'ssm':
    case 'states':
      return new ApiError('ThrottlingException', 'Rate exceeded', 400);
    case 'servicequotas':
      return new ApiError('TooManyRequestsException', 'Rate exceeded', 400);
    case 'ec2':
      return new ApiError('RequestLimitExceeded', 'Request limit exceeded.', 503);
    case 'sts':
    case 'sns':
      return new ApiError('Throttling', 'Rate exceeded', 400);
    case 's3':
      return new ApiError('SlowDown', 'Please reduce your request rate.', 503);
  }
}

/** An internal (5xx) error in each service's own words. */
export function internalError(service: ServiceName): ApiError {
  switch (service) {
    case 'mgn':
      return new ApiError('InternalServerException', 'An internal error occurred', 500, {}, { 'Retry-After': '1' });
    case 'ssm':
      return new ApiError('InternalServerError', 'An internal error occurred', 500);
    case 'servicequotas':
      return new ApiError('ServiceException', 'Something went wrong.', 500);
    case 'ec2':
      return new ApiError('InternalError', 'An internal error has occurred', 500);
    case 'sts':
    case 'states':
      return new ApiError('InternalFailure', 'An internal error occurred', 500);
    case 'sns':
      return new ApiError('InternalError', 'An internal error occurred', 500);
    case 's3':
      return new ApiError('InternalError', 'We encountered an internal error. Please try again.', 500);
  }
}

/**
 * The settings every SDK client shares. Endpoints are not set here: the SDK reads the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables itself (VPC endpoint DNS names, or the simulator's emulator).
 */
export const MAX_SDK_ATTEMPTS = 6;

/**
 * SDK_RETRY_DELAY_MS: when set (the simulator sets it), clients retry throttling and transient errors
 * after this fixed delay in milliseconds instead of using the SDK's adaptive mode. Adaptive mode's rate
 * limiter measures time with Date and its backoff sleeps for real; under the simulator Date is the virtual
 * clock, which stands still while a call is in flight, so the limiter never refills and every throttled
 * call waits real seconds (a 30 % throttle made a 12-server wave spend a minute of wall time stuck in
 * one step). Calls that stay throttled fail with TryLaterError and the state machine retries them, on the
 * virtual clock. Unset (as in the Lambda functions): adaptive retries, as AWS recommends.
 */
export const SDK_RETRY_DELAY_ENV = 'SDK_RETRY_DELAY_MS';

/** The parts of the SDK's RetryStrategyV2 a fixed-delay strategy needs (structurally the SDK's type). */
interface RetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}
interface RetryErrorInfo {
  errorType: 'TRANSIENT' | 'THROTTLING' | 'SERVER_ERROR' | 'CLIENT_ERROR';
}

/** Retries throttling and transient errors up to maxAttempts attempts, waiting delayMs before each retry. */
export class FixedDelayRetryStrategy {
  readonly mode = 'standard';
  constructor(
    private readonly attempts: number,
    private readonly delayMs: number,
  ) {}

  private token(count: number): RetryToken {
    return { getRetryCount: () => count, getRetryDelay: () => (count === 0 ? 0 : this.delayMs) };
  }

  acquireInitialRetryToken(): Promise<RetryToken> {
    return Promise.resolve(this.token(0));
  }

  refreshRetryTokenForRetry(token: RetryToken, errorInfo: RetryErrorInfo): Promise<RetryToken> {
    const retryable = errorInfo.errorType === 'THROTTLING' || errorInfo.errorType === 'TRANSIENT';
    if (!retryable || token.getRetryCount() + 1 >= this.attempts) return Promise.reject(new Error('No retry token available'));
    return Promise.resolve(this.token(token.getRetryCount() + 1));
  }

  recordSuccess(): void {
    // no retry quota to give back: the delay is fixed
  }
}

/** The fixed retry delay from SDK_RETRY_DELAY_MS, or undefined when unset or not a number of ms >= 0. */
export function fixedRetryDelayMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const raw = env[SDK_RETRY_DELAY_ENV]?.trim();
  if (!raw || !/^\d+$/.test(raw)) return undefined;
  return Number(raw);
}

export const clientConfig = (region: string) => {
  const delayMs = fixedRetryDelayMs();
  if (delayMs !== undefined)
    return { region, maxAttempts: MAX_SDK_ATTEMPTS, retryStrategy: new FixedDelayRetryStrategy(MAX_SDK_ATTEMPTS, delayMs) };
  return { region, retryMode: 'adaptive' as const, maxAttempts: MAX_SDK_ATTEMPTS };
};

/** The region the function runs in (the stack's region), for S3 and SNS. */
export const homeRegion = (): string => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

/** Every cache cachedBy made, so resetClients can empty them all. */
const caches: Array<Map<string, unknown>> = [];

/** A lazy per-key singleton: one client per region for the life of the Lambda container. */
export function cachedBy<T>(build: (key: string) => T): (key: string) => T {
  const built = new Map<string, T>();
  caches.push(built);
  return (key) => {
    let value = built.get(key);
    if (value === undefined) {
      value = build(key);
      built.set(key, value);
    }
    return value;
  };
}

/**
 * For the simulator and tests: destroy every cached client so the next call builds one from the
 * current environment. A client keeps the endpoint (AWS_ENDPOINT_URL_*) it was built with, so a
 * second simulation in the same process would otherwise talk to the previous, closed emulator.
 * A Lambda container never needs this: its environment does not change.
 */
export function resetClients(): void {
  for (const cache of caches) {
    for (const client of cache.values()) (client as { destroy?: () => void } | undefined)?.destroy?.();
    cache.clear();
  }
}

/**
 * The settings every SDK client shares. Endpoints are not set here: the SDK reads the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables itself (VPC endpoint DNS names, or the simulator's emulator).
 */
export const MAX_SDK_ATTEMPTS = 6;

/** The SDK's retry strategy interface (RetryStrategyV2 of @smithy/types), structurally. */
export interface SdkRetryToken {
  getRetryCount(): number;
  getRetryDelay(): number;
}
export interface SdkRetryStrategy {
  acquireInitialRetryToken(scope: string): Promise<SdkRetryToken>;
  refreshRetryTokenForRetry(token: SdkRetryToken, errorInfo: { errorType: string }): Promise<SdkRetryToken>;
  recordSuccess(token: SdkRetryToken): void;
}

let retryStrategyOverride: SdkRetryStrategy | undefined;

/**
 * For the simulator only: the SDK's own backoff sleeps in real time, which on a virtual clock is
 * wasted wall time (a 30 % throttling run would take minutes). The simulator swaps in a strategy
 * that retries the same number of times without sleeping; Lambda never calls this.
 */
export function useSdkRetryStrategy(strategy: SdkRetryStrategy): () => void {
  const previous = retryStrategyOverride;
  retryStrategyOverride = strategy;
  return () => {
    retryStrategyOverride = previous;
  };
}

export const clientConfig = (region: string) =>
  retryStrategyOverride
    ? { region, retryStrategy: retryStrategyOverride }
    : {
        region,
        retryMode: 'adaptive' as const,
        maxAttempts: MAX_SDK_ATTEMPTS,
      };

/** The region the function runs in (the stack's region), for S3 and SNS. */
export const homeRegion = (): string => process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1';

/**
 * The endpoint overrides in force (AWS_ENDPOINT_URL_*, SSM_ENDPOINTS_BY_REGION). Constant for the life of a Lambda container; in the
 * simulator each session has its own emulator port, so a client built for an earlier session must
 * not be reused (it would talk to a closed port).
 */
const endpointOverrides = (): string =>
  Object.keys(process.env)
    .filter((k) => k.startsWith('AWS_ENDPOINT_URL') || k === 'SSM_ENDPOINTS_BY_REGION')
    .sort()
    .map((k) => `${k}=${process.env[k]}`)
    .join(';');

/** A lazy per-key singleton: one client per region (and endpoint overrides) for the life of the Lambda container. */
export function cachedBy<T>(build: (key: string) => T): (key: string) => T {
  const built = new Map<string, T>();
  return (key) => {
    const cacheKey = `${key}\u0000${endpointOverrides()}\u0000${retryStrategyOverride ? 'simulated-retry' : 'sdk-retry'}`;
    let value = built.get(cacheKey);
    if (value === undefined) {
      value = build(key);
      built.set(cacheKey, value);
    }
    return value;
  };
}

/**
 * The settings every SDK client shares. Endpoints are not set here: the SDK reads the standard
 * AWS_ENDPOINT_URL_<SERVICE> variables itself (VPC endpoint DNS names, or the simulator's emulator).
 */
export const MAX_SDK_ATTEMPTS = 6;

export const clientConfig = (region: string) => ({
  region,
  retryMode: 'adaptive' as const,
  maxAttempts: MAX_SDK_ATTEMPTS,
});

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

/**
 * The SDK retry strategy the simulator's handlers use: as many attempts as the deployed clients
 * (functions/lib/adapters/client-config.ts MAX_SDK_ATTEMPTS), retrying throttling, transient and
 * server errors but never client errors, without sleeping. The backoff the SDK would sleep in real
 * time means nothing on the virtual clock; throttling that outlasts the attempts still surfaces as a
 * TryLaterError and is retried by the state machine in virtual time.
 */
import { MAX_SDK_ATTEMPTS, type SdkRetryStrategy, type SdkRetryToken } from '../../functions/lib/adapters/client-config';

const token = (count: number): SdkRetryToken => ({ getRetryCount: () => count, getRetryDelay: () => 0 });

export function simulatedRetryStrategy(maxAttempts: number = MAX_SDK_ATTEMPTS): SdkRetryStrategy {
  return {
    acquireInitialRetryToken: () => Promise.resolve(token(0)),
    refreshRetryTokenForRetry: (previous, errorInfo) => {
      const count = previous.getRetryCount();
      if (errorInfo.errorType === 'CLIENT_ERROR' || count + 1 >= maxAttempts) return Promise.reject(new Error('no more retries'));
      return Promise.resolve(token(count + 1));
    },
    recordSuccess: () => undefined,
  };
}

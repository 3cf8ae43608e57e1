import { retry } from '@user-service/common/lifecycle';
import { StoreMisconfiguredError } from '@user-service/common/store';
import { isAuthenticationFailure } from '@user-service/common/store/mongo';

/**
 * Calls `attempt` until it succeeds or `deadline` (epoch ms) passes; containers start in any
 * order, so "not reachable yet" is normal for a while. Refused credentials are not, nor an
 * index the schema cannot change in place (StoreMisconfiguredError): waiting would not change
 * them, so they end the retries at once.
 */
export function retryUntil<T>(
  deadline: number,
  attempt: () => Promise<T>,
  onRetry: (error: unknown) => void,
  pauseMs = 1000,
): Promise<T> {
  return retry(attempt, {
    deadline,
    backoff: () => pauseMs,
    shouldRetry: (error) =>
      !isAuthenticationFailure(error) && !(error instanceof StoreMisconfiguredError),
    onRetry,
  });
}

export interface RetryOptions {
  /**
   * Epoch ms: a failure is thrown instead of retried when the pause before the next attempt would
   * end after it. Without one, retries go on for as long as `shouldRetry` allows.
   */
  readonly deadline?: number;
  /** How long to pause before retry number `retry` (1 for the first). */
  readonly backoff: (retry: number) => number;
  /** Told of each failure that will be retried, before the pause. */
  readonly onRetry?: (error: unknown, retry: number) => void;
  /** A failure for which this answers false is thrown at once: trying again would not change it. */
  readonly shouldRetry?: (error: unknown) => boolean;
}

/** Calls `attempt` until it succeeds, pausing between failures; see RetryOptions for when it gives up. */
export async function retry<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  for (let retries = 1; ; retries++) {
    try {
      return await attempt();
    } catch (error) {
      const pauseMs = options.backoff(retries);
      const pastDeadline =
        options.deadline !== undefined && Date.now() + pauseMs > options.deadline;
      if (pastDeadline || options.shouldRetry?.(error) === false) throw error;
      options.onRetry?.(error, retries);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

/**
 * Calls `attempt` until it succeeds or `deadline` (epoch ms) passes; containers start in any
 * order, so "not reachable yet" is normal for a while.
 */
export async function retryUntil<T>(
  deadline: number,
  attempt: () => Promise<T>,
  onRetry: (error: unknown) => void,
  pauseMs = 1000,
): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() + pauseMs > deadline) throw error;
      onRetry(error);
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

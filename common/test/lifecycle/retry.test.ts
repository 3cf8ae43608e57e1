import { retry } from '@user-service/common/lifecycle';

/** An attempt that fails `failures` times with the errors it returns, then answers 'done'. */
function failingTimes(failures: number) {
  const thrown: Error[] = [];
  return {
    thrown,
    attempt: async () => {
      if (thrown.length >= failures) return 'done';
      const error = new Error(`failure ${thrown.length + 1}`);
      thrown.push(error);
      throw error;
    },
  };
}

describe('retry', () => {
  afterEach(() => jest.useRealTimers());

  it('tries again after each failure, pausing as backoff says, until the attempt succeeds', async () => {
    jest.useFakeTimers();
    const { attempt, thrown } = failingTimes(2);
    const pauses: number[] = [];
    const retried: [unknown, number][] = [];
    const answer = retry(attempt, {
      backoff: (retries) => {
        pauses.push(retries * 100);
        return retries * 100;
      },
      onRetry: (error, retries) => retried.push([error, retries]),
    });
    await jest.runAllTimersAsync();
    await expect(answer).resolves.toBe('done');
    expect(pauses).toEqual([100, 200]);
    expect(retried).toEqual([
      [thrown[0], 1],
      [thrown[1], 2],
    ]);
  });

  it('throws a failure that shouldRetry refuses at once, without retrying', async () => {
    const { attempt, thrown } = failingTimes(5);
    const retried: unknown[] = [];
    await expect(
      retry(attempt, {
        backoff: () => 1,
        shouldRetry: () => false,
        onRetry: (error) => retried.push(error),
      }),
    ).rejects.toThrow('failure 1');
    expect({ attempts: thrown.length, retried }).toEqual({ attempts: 1, retried: [] });
  });

  it('throws the last failure when the next pause would end after the deadline', async () => {
    jest.useFakeTimers();
    const { attempt, thrown } = failingTimes(10);
    const outcome = retry(attempt, { deadline: Date.now() + 2500, backoff: () => 1000 }).catch(
      (error: unknown) => error,
    );
    await jest.runAllTimersAsync();
    // Attempts at 0, 1000 and 2000 ms; a fourth would start at 3000, past the deadline.
    expect(await outcome).toBe(thrown[2]);
    expect(thrown).toHaveLength(3);
  });
});

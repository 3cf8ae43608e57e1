import { waitUntil } from '@user-service/common/lifecycle';

describe('waitUntil', () => {
  afterEach(() => jest.useRealTimers());

  it('resolves once the condition holds, looking again after each pause', async () => {
    let looks = 0;
    await waitUntil(() => ++looks === 3, {
      describe: 'the third look',
      timeoutMs: 10_000,
      intervalMs: 1,
    });
    expect(looks).toBe(3);
  });

  it('accepts a condition that answers asynchronously', async () => {
    let looks = 0;
    await waitUntil(async () => ++looks === 2, {
      describe: 'the second look',
      timeoutMs: 10_000,
      intervalMs: 1,
    });
    expect(looks).toBe(2);
  });

  it('gives up after the timeout with an error naming what it waited for', async () => {
    jest.useFakeTimers();
    const outcome = waitUntil(() => false, {
      describe: 'http://127.0.0.1:9100 to become ready',
      timeoutMs: 1000,
    }).catch((error: unknown) => error);
    await jest.runAllTimersAsync();
    expect(await outcome).toEqual(
      new Error('gave up after 1000 ms waiting for http://127.0.0.1:9100 to become ready'),
    );
  });

  it('describes what it waited for as things stand when it gives up, given a function', async () => {
    jest.useFakeTimers();
    let looks = 0;
    const outcome = waitUntil(() => ++looks < 0, {
      describe: () => `10 events (have ${looks})`,
      timeoutMs: 100,
      intervalMs: 10,
    }).catch((error: unknown) => error);
    await jest.runAllTimersAsync();
    expect(await outcome).toEqual(
      new Error(`gave up after 100 ms waiting for 10 events (have ${looks})`),
    );
    expect(looks).toBeGreaterThan(1);
  });

  it('ends the wait with the error the condition throws: the caller knows waiting longer is pointless', async () => {
    const exited = new Error('the process serving it exited with 1');
    await expect(
      waitUntil(
        () => {
          throw exited;
        },
        { describe: 'anything', timeoutMs: 10_000 },
      ),
    ).rejects.toBe(exited);
  });
});

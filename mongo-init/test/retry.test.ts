import { MongoServerError } from 'mongodb';
import { StoreMisconfiguredError } from '@user-service/common/store';
import { retryUntil } from '../src/retry';

describe('retryUntil', () => {
  const later = () => Date.now() + 60_000;

  it('tries again after an outage until the attempt succeeds', async () => {
    let calls = 0;
    const retried: unknown[] = [];
    const answer = await retryUntil(
      later(),
      async () => {
        calls += 1;
        if (calls < 3) throw new Error('connection refused');
        return 'done';
      },
      (error) => retried.push(error),
      1,
    );
    expect({ answer, calls, retried: retried.length }).toEqual({
      answer: 'done',
      calls: 3,
      retried: 2,
    });
  });

  it('gives up at once when MongoDB refuses the credentials: waiting would not change them', async () => {
    let calls = 0;
    const refused = new MongoServerError({
      ok: 0,
      errmsg: 'Authentication failed.',
      code: 18,
      codeName: 'AuthenticationFailed',
    });
    await expect(
      retryUntil(
        later(),
        async () => {
          calls += 1;
          throw refused;
        },
        () => undefined,
        1,
      ),
    ).rejects.toBe(refused);
    expect(calls).toBe(1);
  });

  it('gives up at once on a database it cannot fix, such as an index to drop by hand', async () => {
    let calls = 0;
    const conflict = new StoreMisconfiguredError(
      'database "users" has indexes mongo-init cannot change in place',
    );
    await expect(
      retryUntil(
        later(),
        async () => {
          calls += 1;
          throw conflict;
        },
        () => undefined,
        1,
      ),
    ).rejects.toBe(conflict);
    expect(calls).toBe(1);
  });
});

import type { StoreUnderTest } from './store-under-test';

/**
 * What every idempotency store adapter promises (`IdempotencyStore`,
 * common/src/store/idempotency-store.ts).
 */
export function defineIdempotencyStoreContract({ store }: StoreUnderTest): void {
  describe('idempotency keys', () => {
    // An hour ahead of the real clock, so that on MongoDB the TTL monitor (which deletes a record
    // once the real clock passes its expiresAt, about once a minute) never touches one mid-test.
    const origin = Date.now() + 60 * 60 * 1000;
    const at = (seconds: number) => new Date(origin + seconds * 1000);
    const attempt = (token: string, now: number, fingerprint = 'POST /api/user {}') => ({
      fingerprint,
      token,
      now: at(now),
      leaseUntil: at(now + 10),
      expiresAt: at(now + 50),
    });
    const outcome = { status: 201, headers: { ETag: '"1"' }, body: '{"id":"a"}' };

    it('lets the first attempt start, answers in-flight while its lease runs, and the outcome once finished', async () => {
      const keys = store.idempotency;
      expect(await keys.begin('k1', attempt('t1', 0))).toEqual({ kind: 'started', fresh: true });
      expect(await keys.begin('k1', attempt('t2', 5))).toEqual({ kind: 'inFlight' });
      await keys.finish('k1', 't1', outcome, at(40));
      expect(await keys.begin('k1', attempt('t3', 6, 'another request'))).toEqual({
        kind: 'completed',
        fingerprint: 'POST /api/user {}',
        outcome,
      });
      expect(await keys.begin('k2', attempt('t4', 6))).toEqual({ kind: 'started', fresh: true });
    });

    it('hands the key to a new attempt once the holder’s lease runs out; the old holder can then neither finish nor abandon it', async () => {
      const keys = store.idempotency;
      await keys.begin('k1', attempt('dead', 0));
      // Not fresh: the attempt whose lease ran out may have written before it died.
      expect(await keys.begin('k1', attempt('next', 11))).toEqual({
        kind: 'started',
        fresh: false,
      });
      await keys.finish('k1', 'dead', { ...outcome, status: 200 }, at(40));
      await keys.abandon('k1', 'dead');
      expect(await keys.begin('k1', attempt('third', 12))).toEqual({ kind: 'inFlight' });
      await keys.finish('k1', 'next', outcome, at(40));
      expect(await keys.begin('k1', attempt('fourth', 13))).toMatchObject({ outcome });
    });

    it('lets an abandoned key go at once, not fresh (its attempt may have written), and forgets a finished one after it expires', async () => {
      const keys = store.idempotency;
      await keys.begin('k1', attempt('t1', 0));
      await keys.abandon('k1', 't1');
      expect(await keys.begin('k1', attempt('t2', 1))).toEqual({ kind: 'started', fresh: false });
      await keys.finish('k1', 't2', outcome, at(30));
      expect(await keys.begin('k1', attempt('t3', 29))).toMatchObject({ kind: 'completed' });
      expect(await keys.begin('k1', attempt('t4', 30))).toEqual({ kind: 'started', fresh: true });
    });

    it('lets exactly one of 10 concurrent first attempts start', async () => {
      const begins = await Promise.all(
        Array.from({ length: 10 }, (_, n) => store.idempotency.begin('k1', attempt(`t${n}`, 0))),
      );
      expect(begins.filter((begin) => begin.kind === 'started')).toHaveLength(1);
      expect(begins.filter((begin) => begin.kind === 'inFlight')).toHaveLength(9);
    });
  });
}

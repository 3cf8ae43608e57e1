import { aroundStoreCalls, type Store } from '@user-service/common/store';
import { problemTypeMatching } from '@user-service/test-support';
import { InMemoryStore } from '@user-service/common/store/memory';
import { apiClient } from '../http-client';
import { startTestSystem } from '../test-system';

const STORE_TIMEOUT_MS = 300;

/**
 * A store whose request-path calls stop answering while `hanging` is set, as when the primary
 * is reachable but the majority no longer acknowledges: nothing fails, nothing returns.
 */
function hangingStore(inner: InMemoryStore): { store: Store; hang(on: boolean): void } {
  let hanging = false;
  const unless = <T>(call: () => Promise<T>): Promise<T> =>
    hanging ? new Promise<T>(() => undefined) : call();
  return {
    hang: (on) => (hanging = on),
    // The aggregators' own snapshot saves and loads go on; every request-path call hangs.
    store: aroundStoreCalls(inner, (operation, call) =>
      operation === 'save_snapshot' || operation === 'load_snapshot' ? call() : unless(call),
    ),
  };
}

describe('a store that stops answering', () => {
  it('gets writes a 503 with Retry-After within STORE_TIMEOUT_MS, while reads are still served by the aggregators', async () => {
    const { store, hang } = hangingStore(new InMemoryStore());
    const system = await startTestSystem({ store, storeTimeoutMs: STORE_TIMEOUT_MS });
    const api = apiClient(system.gateway.url);
    try {
      expect(
        (await api.create({ id: 'kept', name: 'Kept', email: 'kept@example.com', group: 1 }))
          .status,
      ).toBe(201);
      hang(true);

      for (const write of [
        () => api.create({ id: 'new', name: 'New', email: 'new@example.com', group: 1 }),
        () => api.update({ id: 'kept', group: 2 }),
        () => api.remove('kept'),
      ]) {
        const started = Date.now();
        const answer = await write();
        expect({ status: answer.status, retryAfter: answer.headers.get('retry-after') }).toEqual({
          status: 503,
          retryAfter: '1',
        });
        expect(answer.body).toEqual(
          expect.objectContaining({
            type: problemTypeMatching('/problems/store-unavailable'),
            detail: expect.stringMatching(/may still have been stored/),
          }),
        );
        // A system test with real time: generous slack on top of the limit, but far from a hang.
        expect(Date.now() - started).toBeLessThan(STORE_TIMEOUT_MS + 1500);
      }
      const read = await api.get('kept');
      expect({ status: read.status, body: read.body }).toEqual({
        status: 200,
        body: { id: 'kept', name: 'Kept', email: 'kept@example.com', group: 1 },
      });
      const readiness = await fetch(`${system.gateway.url}/readyz`);
      expect({ status: readiness.status, body: await readiness.json() }).toEqual({
        status: 503,
        body: { ready: false, reason: 'store-unreachable' },
      });

      hang(false);
      expect((await api.update({ id: 'kept', group: 3 })).status).toBe(200);
      expect((await fetch(`${system.gateway.url}/readyz`)).status).toBe(200);
    } finally {
      hang(false);
      await system.close();
    }
  });
});

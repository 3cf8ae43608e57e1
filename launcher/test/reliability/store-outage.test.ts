import { foldEvents, initialUserState, InMemoryStore, type User } from '@user-service/common';
import { apiClient } from '../http-client';
import { startTestSystem } from '../test-system';

describe('store outage', () => {
  it('answers writes 503 with Retry-After and stores nothing, keeps serving reads, and recovers without restarts', async () => {
    const store = new InMemoryStore();
    const system = await startTestSystem({
      store,
      snapshotEvery: 5,
    });
    const api = apiClient(system.gateway.url);
    const ids = Array.from({ length: 12 }, (_, n) => `out${n}`);
    const expected = new Map<string, { user: User; version: number }>();
    const allApplied = () =>
      [0, 1, 2].every((index) =>
        system
          .aggregator(index)
          .aggregator.liveUsers()
          .every((entry) => entry.version === expected.get(entry.userId)?.version),
      );
    try {
      for (const [n, id] of ids.entries()) {
        const user = { id, name: `Out ${n}`, email: `out${n}@example.com`, group: n };
        expect((await api.create(user)).status).toBe(201);
        expected.set(id, { user, version: 1 });
      }
      const storedBefore = await Promise.all(ids.map((id) => store.events.readUserEvents(id)));

      store.outage.setDown(true);
      for (const answer of [
        await api.create({ id: 'during', name: 'During', email: 'during@example.com', group: 1 }),
        await api.update({ id: 'out0', group: 99 }),
        await api.remove('out1'),
      ]) {
        expect(answer.status).toBe(503);
        expect(answer.headers.get('retry-after')).toBe('1');
        expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      }
      for (const id of ids) {
        const answer = await api.get(id);
        expect({ id, status: answer.status, body: answer.body }).toEqual({ id, status: 200, body: expected.get(id)!.user });
      }
      await new Promise((resolve) => setTimeout(resolve, 200)); // let subscriptions fail and retry meanwhile

      store.outage.setDown(false);
      expect(await Promise.all(ids.map((id) => store.events.readUserEvents(id)))).toEqual(storedBefore);
      expect(await store.events.readUserEvents('during')).toEqual([]);

      for (const [n, id] of ids.entries()) {
        const answer = await api.update({ id, group: 1000 + n });
        expect(answer.status).toBe(200);
        expected.set(id, { user: { ...expected.get(id)!.user, group: 1000 + n }, version: 2 });
      }
      const deadline = Date.now() + 10_000;
      while (!allApplied() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      for (const index of [0, 1, 2]) {
        for (const entry of system.aggregator(index).aggregator.liveUsers()) {
          const folded = foldEvents(initialUserState, await store.events.readUserEvents(entry.userId));
          expect({ version: entry.version, user: entry.user }).toEqual(folded);
          expect(folded).toEqual(expected.get(entry.userId));
        }
      }
    } finally {
      store.outage.setDown(false);
      await system.close();
    }
  });
});

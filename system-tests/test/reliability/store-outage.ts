import { foldEvents, initialUserState, type User } from '@user-service/common/domain';
import { type Store } from '@user-service/common/store';
import { waitUntil } from '@user-service/common/lifecycle';
import { testPersonalData } from '@user-service/test-support';
import { apiClient } from '../http-client';
import { startTestSystem } from '../test-system';

/** How long the system may take to apply writes, or to recover once the store is back. */
const WAIT = { timeoutMs: 15_000, intervalMs: 20 };

export interface OutageFixture {
  readonly store: Store;
  /** Makes the store unreachable for the system (true) or reachable again (false). */
  setDown(down: boolean): Promise<void>;
  dispose(): Promise<void>;
}

/**
 * The store goes away for a while: writes answer 503 with Retry-After and store nothing, reads
 * are still served by the aggregators holding the users, the gateway's /readyz says the store is
 * unreachable, and once it is back every process carries on by itself, with nothing lost or doubled.
 */
export async function runStoreOutage(fixture: OutageFixture): Promise<void> {
  const { store } = fixture;
  const system = await startTestSystem({ store, snapshotEvery: 5 });
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
    await waitUntil(allApplied, { describe: 'the aggregators to apply the creates', ...WAIT });
    const storedBefore = await Promise.all(ids.map((id) => store.events.readUserEvents(id)));

    await fixture.setDown(true);
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
      expect({ id, status: answer.status, body: answer.body }).toEqual({
        id,
        status: 200,
        body: expected.get(id)!.user,
      });
    }
    const readiness = await fetch(`${system.gateway.url}/readyz`);
    expect({ status: readiness.status, body: await readiness.json() }).toEqual({
      status: 503,
      body: { ready: false, reason: 'store-unreachable' },
    });
    await new Promise((resolve) => setTimeout(resolve, 200)); // let subscriptions fail and retry meanwhile

    await fixture.setDown(false);
    await waitUntil(async () => (await fetch(`${system.gateway.url}/readyz`)).ok, {
      describe: 'the gateway to be ready again with the store back',
      ...WAIT,
    });
    expect(await Promise.all(ids.map((id) => store.events.readUserEvents(id)))).toEqual(
      storedBefore,
    );
    expect(await store.events.readUserEvents('during')).toEqual([]);

    for (const [n, id] of ids.entries()) {
      const answer = await api.update({ id, group: 1000 + n });
      expect(answer.status).toBe(200);
      expected.set(id, { user: { ...expected.get(id)!.user, group: 1000 + n }, version: 2 });
    }
    await waitUntil(allApplied, { describe: 'the aggregators to apply the updates', ...WAIT });
    for (const index of [0, 1, 2]) {
      for (const entry of system.aggregator(index).aggregator.liveUsers()) {
        const events = await store.events.readUserEvents(entry.userId);
        const folded = foldEvents(initialUserState, events);
        expect({ version: entry.version, user: entry.user }).toEqual(folded);
        // Held sealed as stored; opened, as the system answers it.
        const opened = foldEvents(
          initialUserState,
          await testPersonalData(store).openEvents(entry.userId, events),
        );
        expect(opened).toEqual(expected.get(entry.userId));
      }
    }
  } finally {
    await fixture.setDown(false);
    await system.close();
    await fixture.dispose();
  }
}

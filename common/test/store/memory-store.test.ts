import { StoreUnavailableError } from '@user-service/common';
import { InMemoryStore } from '@user-service/common/store/memory';
import { created, eventsFor, fieldsFor } from '@user-service/test-support';

describe('in-memory store', () => {
  it('gives positions as decimal log positions, and refuses any other text', async () => {
    const store = new InMemoryStore();
    const first = await store.events.append('ada', 0, eventsFor('ada', 0, created(fieldsFor(1))));
    expect(first.position).toBe('1');
    expect(store.events.commitPositionOf({ position: 7 })).toBe('7');
    expect(store.events.comparePositions('10', '9')).toBeGreaterThan(0);
    expect(store.events.comparePositions('0', '0')).toBe(0);
    for (const text of ['', '-1', '1.0', '01', '1e2', ' 1', '0x1', '99999999999999999999'])
      expect(() => store.events.comparePositions(text, '1')).toThrow(/not a commit position/);
  });

  it('fails the new reads with StoreUnavailableError while it is down', async () => {
    const store = new InMemoryStore();
    store.outage.setDown(true);
    const calls = [
      store.events.readUserHistory('ada', { afterVersion: 0, limit: 1 }),
      store.events.countEventsByDay(new Date(0), new Date()),
      store.snapshots.listUsers([0], { limit: 1 }),
      store.snapshots.countUsersByGroup([0]),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});

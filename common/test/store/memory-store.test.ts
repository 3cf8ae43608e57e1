import { StoreUnavailableError } from '@user-service/common/store';
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

  it('fails the new reads and the data key calls with StoreUnavailableError while it is down', async () => {
    const store = new InMemoryStore();
    const key = { keyId: 'k1', masterKeyId: 'm1', wrapped: 'w1' };
    await store.dataKeys.getOrCreate('ada', key);
    store.outage.setDown(true);
    const calls = [
      store.events.readUserHistory('ada', { afterVersion: 0, limit: 1 }),
      store.events.countEventsByDay(new Date(0), new Date()),
      store.snapshots.listUsers([0], { limit: 1 }),
      store.snapshots.countUsersByGroup([0]),
      store.dataKeys.getOrCreate('ada', key),
      store.dataKeys.get(['ada']),
      store.dataKeys.destroy('ada'),
      store.dataKeys.wrappedOtherwise('m2', undefined, 1),
      store.dataKeys.rewrap('ada', key, { ...key, masterKeyId: 'm2' }),
    ];
    for (const call of calls) await expect(call).rejects.toBeInstanceOf(StoreUnavailableError);
    // Nothing was changed meanwhile.
    store.outage.setDown(false);
    expect(await store.dataKeys.get(['ada'])).toEqual(new Map([['ada', key]]));
  });

  it('keeps its own copy of a stored key: a caller changing its value later changes nothing', async () => {
    const store = new InMemoryStore();
    const candidate = { keyId: 'k1', masterKeyId: 'm1', wrapped: 'w1' };
    await store.dataKeys.getOrCreate('ada', candidate);
    (candidate as { wrapped: string }).wrapped = 'changed';
    expect((await store.dataKeys.get(['ada'])).get('ada')?.wrapped).toBe('w1');
  });
});

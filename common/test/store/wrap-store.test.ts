import { EmailTakenError, type Store, wrapStore } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { created, eventsFor, fieldsFor, updated, userFor } from '@user-service/test-support';

describe('wrapStore', () => {
  it('passes every call it is not told to replace through to the store', async () => {
    const inner = new InMemoryStore();
    const store = wrapStore(inner, {});
    const events = eventsFor('ada', 0, created(fieldsFor(1)));
    const { outcome, position } = await store.events.append('ada', 0, events);
    expect(outcome).toBe('appended');
    expect(await store.events.readUserEvents('ada')).toEqual(
      await inner.events.readUserEvents('ada'),
    );
    expect(await store.events.readUserHistory('ada', { afterVersion: 0, limit: 5 })).toEqual(
      events,
    );
    const day = events[0]!.occurredAt.toISOString().slice(0, 10);
    expect(
      await store.events.countEventsByDay(
        new Date(0),
        new Date(events[0]!.occurredAt.getTime() + 1),
      ),
    ).toEqual([{ day, type: 'UserCreated', count: 1 }]);
    expect(store.events.commitPositionOf({ position: 1 })).toBe(position);
    expect(store.events.comparePositions('1', position)).toBe(0);
    const entry = { userId: 'ada', partition: 0, version: 1, user: null };
    await store.snapshots.save({ partitions: [0], entries: [entry], checkpoint: null });
    expect(await inner.snapshots.loadUser('ada')).toEqual(entry);
    expect(await store.snapshots.loadUser('ada')).toEqual(entry);
    expect((await store.snapshots.load([0])).checkpoint).toBeNull();
    const bob = { userId: 'bob', partition: 1, version: 1, user: userFor('bob', 4) };
    await store.snapshots.save({ partitions: [1], entries: [bob], checkpoint: null });
    expect(await store.snapshots.listUsers([0, 1], { limit: 5 })).toEqual([bob.user]);
    expect(await store.snapshots.countUsersByGroup([1])).toEqual(new Map([[4, 1]]));
    // The claim goes through with the events.
    const claim = { emailClaim: { kind: 'hold', key: 'hash-of-ada-email' } } as const;
    await store.events.append('ada', 1, eventsFor('ada', 1, updated({ group: 2 })), claim);
    await expect(
      inner.events.append('cid', 0, eventsFor('cid', 0, created(fieldsFor(3))), claim),
    ).rejects.toBeInstanceOf(EmailTakenError);
    const key = { keyId: 'k1', masterKeyId: 'm1', wrapped: 'w1' };
    const rewrapped = { ...key, masterKeyId: 'm2', wrapped: 'w2' };
    expect(await store.dataKeys.getOrCreate('ada', key)).toEqual(key);
    expect(await inner.dataKeys.get(['ada'])).toEqual(new Map([['ada', key]]));
    expect(await store.dataKeys.get(['ada', 'bob'])).toEqual(new Map([['ada', key]]));
    expect(await store.dataKeys.wrappedOtherwise('m2', undefined, 5)).toEqual([
      { owner: 'ada', key },
    ]);
    expect(await store.dataKeys.rewrap('ada', key, rewrapped)).toBe(true);
    expect(await inner.dataKeys.get(['ada'])).toEqual(new Map([['ada', rewrapped]]));
    await store.dataKeys.destroy('ada');
    expect(await inner.dataKeys.get(['ada'])).toEqual(new Map());
    await expect(store.ping()).resolves.toBeUndefined();
    const subscription = store.events.subscribe(
      { partitions: [0], checkpoint: null, knownVersions: new Map() },
      { onEvent: () => undefined },
    );
    await subscription.stop();
    await store.close();
  });

  it('calls the replacement for what it replaces, and only that', async () => {
    const inner = new InMemoryStore();
    const calls: string[] = [];
    const store: Store = wrapStore(inner, {
      events: {
        append: (...args) => {
          calls.push('append');
          return inner.events.append(...args);
        },
      },
      dataKeys: {
        destroy: async () => {
          calls.push('destroy');
        },
      },
      ping: async () => {
        calls.push('ping');
      },
    });
    await store.events.append('ada', 0, eventsFor('ada', 0, created(fieldsFor(1))));
    await store.events.readUserEvents('ada');
    await store.ping();
    await store.snapshots.loadUser('ada');
    const key = { keyId: 'k1', masterKeyId: 'm1', wrapped: 'w1' };
    await store.dataKeys.getOrCreate('ada', key);
    await store.dataKeys.destroy('ada');
    expect(calls).toEqual(['append', 'ping', 'destroy']);
    // Only the replacement ran: the key is still there.
    expect(await inner.dataKeys.get(['ada'])).toEqual(new Map([['ada', key]]));
    expect(await inner.events.readUserEvents('ada')).toHaveLength(1);
  });
});

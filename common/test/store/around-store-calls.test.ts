import { aroundStoreCalls, type StoreOperation } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { created, eventsFor, fieldsFor } from '@user-service/test-support';

describe('aroundStoreCalls', () => {
  it('passes every request to the store through `around`, under its operation name', async () => {
    const operations: StoreOperation[] = [];
    const store = aroundStoreCalls(new InMemoryStore(), (operation, call) => {
      operations.push(operation);
      return call();
    });
    const [event] = eventsFor('ada', 0, created(fieldsFor(1)));
    const { position } = await store.events.append('ada', 0, [event!]);
    await store.events.readEvent(event!.eventId);
    await store.events.readUserEvents('ada');
    await store.events.readUserHistory('ada', { afterVersion: 0, limit: 1 });
    await store.events.countEventsByDay(new Date(0), new Date());
    await store.snapshots.save({ partitions: [0], entries: [], checkpoint: null });
    await store.snapshots.load([0]);
    await store.snapshots.loadUser('ada');
    await store.snapshots.listUsers([0], { limit: 1 });
    await store.snapshots.countUsersByGroup([0]);
    const now = new Date();
    const attempt = { fingerprint: 'f', token: 't', now, leaseUntil: now, expiresAt: now };
    await store.idempotency.begin('key', attempt);
    await store.idempotency.finish('key', 't', { status: 204, headers: {}, body: '' }, now);
    await store.idempotency.abandon('key', 't');
    const key = { keyId: 'k', masterKeyId: 'm', wrapped: 'w' };
    // Their answers come back through `around` as the store gave them.
    expect(await store.dataKeys.getOrCreate('ada', key)).toEqual(key);
    expect(await store.dataKeys.get(['ada'])).toEqual(new Map([['ada', key]]));
    expect(await store.dataKeys.wrappedOtherwise('m2', undefined, 1)).toEqual([
      { owner: 'ada', key },
    ]);
    expect(await store.dataKeys.rewrap('ada', key, { ...key, masterKeyId: 'm2' })).toBe(true);
    await store.dataKeys.destroy('ada');
    await store.ping();

    expect(operations).toEqual([
      'append',
      'read_event',
      'read_user_events',
      'read_user_history',
      'count_events_by_day',
      'save_snapshot',
      'load_snapshot',
      'load_user_snapshot',
      'list_users',
      'count_users_by_group',
      'begin_idempotent',
      'finish_idempotent',
      'abandon_idempotent',
      'get_or_create_data_key',
      'get_data_keys',
      'list_data_keys',
      'rewrap_data_key',
      'destroy_data_key',
      'ping',
    ]);
    // The position functions are not requests: they answer at once, around nothing.
    expect(store.events.comparePositions(position, position)).toBe(0);
    expect(store.events.commitPositionOf({ position: 0 })).toBe('0');
    expect(operations).toHaveLength(19);
  });
});

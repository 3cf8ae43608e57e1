import type { EventStore, SnapshotBatch, Store } from '@user-service/common';

/**
 * Wraps a store to remember every snapshot batch saved through it, and optionally to hold back
 * each event delivered to subscribers by `lagMs`, as a busy aggregator would fall behind.
 */
export function recordSnapshots(store: Store, lagMs = 0): { store: Store; batches: SnapshotBatch[] } {
  const batches: SnapshotBatch[] = [];
  const snapshots = store.snapshots;
  return {
    batches,
    store: {
      events: lagMs > 0 ? lagging(store.events, lagMs) : store.events,
      snapshots: {
        save: async (batch) => {
          await snapshots.save(batch);
          batches.push(batch);
        },
        load: (partitions) => snapshots.load(partitions),
        loadUser: (userId) => snapshots.loadUser(userId),
      },
      ping: () => store.ping(),
      close: () => store.close(),
    },
  };
}

function lagging(events: EventStore, lagMs: number): EventStore {
  return {
    append: (...args) => events.append(...args),
    readUserEvents: (...args) => events.readUserEvents(...args),
    subscribe: (request, handler) =>
      events.subscribe(request, {
        ...handler,
        onEvent: async (event, checkpoint) => {
          await new Promise((resolve) => setTimeout(resolve, lagMs));
          await handler.onEvent(event, checkpoint);
        },
      }),
  };
}

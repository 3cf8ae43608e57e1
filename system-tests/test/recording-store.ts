import {
  type EventStore,
  type SnapshotBatch,
  type Store,
  wrapStore,
} from '@user-service/common/store';

/**
 * Wraps a store to remember every snapshot batch saved through it, and optionally to hold back
 * each event delivered to subscribers by `lagMs`, as a busy aggregator would fall behind.
 */
export function recordSnapshots(
  store: Store,
  lagMs = 0,
): { store: Store; batches: SnapshotBatch[] } {
  const batches: SnapshotBatch[] = [];
  return {
    batches,
    store: wrapStore(store, {
      events: lagMs > 0 ? { subscribe: lagging(store.events, lagMs) } : {},
      snapshots: {
        save: async (batch) => {
          await store.snapshots.save(batch);
          batches.push(batch);
        },
      },
    }),
  };
}

function lagging(events: EventStore, lagMs: number): EventStore['subscribe'] {
  return (request, handler) =>
    events.subscribe(request, {
      ...handler,
      onEvent: async (event, checkpoint) => {
        await new Promise((resolve) => setTimeout(resolve, lagMs));
        await handler.onEvent(event, checkpoint);
      },
    });
}

import {
  type EventStore,
  type SnapshotBatch,
  type SnapshotStore,
  type Store,
  wrapStore,
} from '@user-service/common';

/**
 * A store whose next snapshot save for some partitions can be made to die half-way: half the
 * users are written, the checkpoint is not, and the save fails, as when the process is killed
 * in the middle of writing a snapshot.
 */
export class FaultInjectingStore implements Store {
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
  readonly idempotency: Store['idempotency'];
  readonly ping: Store['ping'];
  readonly close: Store['close'];
  private breakNextSaveOf: ReadonlySet<number> | null = null;

  constructor(store: Store) {
    const wrapped = wrapStore(store, { snapshots: { save: (batch) => this.save(store, batch) } });
    this.events = wrapped.events;
    this.snapshots = wrapped.snapshots;
    this.idempotency = wrapped.idempotency;
    this.ping = wrapped.ping;
    this.close = wrapped.close;
  }

  breakNextSnapshotOf(partitions: readonly number[]): void {
    this.breakNextSaveOf = new Set(partitions);
  }

  private async save(store: Store, batch: SnapshotBatch): Promise<void> {
    const broken = this.breakNextSaveOf;
    if (broken && batch.partitions.some((partition) => broken.has(partition))) {
      this.breakNextSaveOf = null;
      const half = batch.entries.slice(0, Math.floor(batch.entries.length / 2));
      await store.snapshots.save({ partitions: batch.partitions, entries: half, checkpoint: null });
      throw new Error('killed while writing the snapshot (injected)');
    }
    await store.snapshots.save(batch);
  }
}

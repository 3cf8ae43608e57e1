import type { SnapshotBatch, Store } from '@user-service/common';

/**
 * A store whose next snapshot save for some partitions can be made to die half-way: half the
 * users are written, the checkpoint is not, and the save fails, as when the process is killed
 * in the middle of writing a snapshot.
 */
export class FaultInjectingStore implements Store {
  private breakNextSaveOf: ReadonlySet<number> | null = null;

  constructor(private readonly store: Store) {}

  get events() {
    return this.store.events;
  }

  readonly snapshots = {
    save: async (batch: SnapshotBatch) => {
      const broken = this.breakNextSaveOf;
      if (broken && batch.partitions.some((partition) => broken.has(partition))) {
        this.breakNextSaveOf = null;
        const half = batch.entries.slice(0, Math.floor(batch.entries.length / 2));
        await this.store.snapshots.save({ partitions: batch.partitions, entries: half, checkpoint: null });
        throw new Error('killed while writing the snapshot (injected)');
      }
      await this.store.snapshots.save(batch);
    },
    load: (partitions: readonly number[]) => this.store.snapshots.load(partitions),
    loadUser: (userId: string) => this.store.snapshots.loadUser(userId),
  };

  breakNextSnapshotOf(partitions: readonly number[]): void {
    this.breakNextSaveOf = new Set(partitions);
  }

  ping(): Promise<void> {
    return this.store.ping();
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

import type {
  Checkpoint,
  PartitionsSnapshot,
  SnapshotBatch,
  SnapshotEntry,
  SnapshotStore,
} from '../ports';
import { frozenCopy } from './frozen-copy';
import { positionOf } from './memory-checkpoint';
import { OutageSwitch } from './outage-switch';

export class InMemorySnapshotStore implements SnapshotStore {
  /** Deleted users stay as tombstones (`user` null), so that an older entry cannot revive them. */
  private readonly entries = new Map<string, SnapshotEntry>();
  private readonly checkpoints = new Map<number, Checkpoint>();

  constructor(private readonly outage = new OutageSwitch()) {}

  async save(batch: SnapshotBatch): Promise<void> {
    this.outage.check('save a snapshot');
    for (const entry of batch.entries) {
      const saved = this.entries.get(entry.userId);
      if (!saved || saved.version < entry.version)
        this.entries.set(entry.userId, frozenCopy(entry));
    }
    const { checkpoint } = batch;
    if (!checkpoint) return;
    for (const partition of batch.partitions) {
      const saved = this.checkpoints.get(partition);
      if (!saved || positionOf(saved) < positionOf(checkpoint))
        this.checkpoints.set(partition, checkpoint);
    }
  }

  async load(partitions: readonly number[]): Promise<PartitionsSnapshot> {
    this.outage.check('load a snapshot');
    const wanted = new Set(partitions);
    const entries = [...this.entries.values()].filter(
      (entry) => entry.user !== null && wanted.has(entry.partition),
    );
    return { entries, checkpoint: this.oldestCheckpoint(partitions) };
  }

  async loadUser(userId: string): Promise<SnapshotEntry | null> {
    this.outage.check('load a user snapshot');
    return this.entries.get(userId) ?? null;
  }

  private oldestCheckpoint(partitions: readonly number[]): Checkpoint | null {
    let oldest: Checkpoint | null = null;
    for (const partition of partitions) {
      const checkpoint = this.checkpoints.get(partition);
      if (!checkpoint) return null;
      if (!oldest || positionOf(checkpoint) < positionOf(oldest)) oldest = checkpoint;
    }
    return oldest;
  }
}

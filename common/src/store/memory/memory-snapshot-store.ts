import type { User } from '../../domain';
import { assertLimit } from '../query-rules';
import { SortedIds } from '../sorted-ids';
import type { Checkpoint } from '../event-store';
import {
  type PartitionsSnapshot,
  type SnapshotStamp,
  stampOf,
  type SnapshotBatch,
  type SnapshotEntry,
  type SnapshotStore,
  type UserListQuery,
} from '../snapshot-store';
import { frozenCopy } from './frozen-copy';
import { positionOf } from './memory-checkpoint';
import { type InMemoryPartitionLeases } from './memory-partition-leases';
import { type OutageSwitch } from './outage-switch';

const IDS_PER_STEP = 1000;

export class InMemorySnapshotStore implements SnapshotStore {
  /** Deleted users stay as tombstones (`user` null), so that an older entry cannot revive them. */
  private readonly entries = new Map<string, SnapshotEntry>();
  /**
   * Every key of `entries`, in id order, so that a page is found without sorting everyone; new
   * ids are merged in a batch, so saving users of random ids does not move the others one by one.
   */
  private readonly ids = new SortedIds();
  private readonly checkpoints = new Map<number, Checkpoint>();
  /** The projection version and generation each entry and checkpoint was saved by. */
  private readonly entryStamps = new Map<string, SnapshotStamp>();
  private readonly checkpointStamps = new Map<number, SnapshotStamp>();

  constructor(
    private readonly outage: OutageSwitch,
    // The store's own: a fenced save is checked against the leases it grants.
    private readonly leases: InMemoryPartitionLeases,
  ) {}

  async save(batch: SnapshotBatch): Promise<void> {
    this.outage.check('save a snapshot');
    if (batch.epoch !== undefined) this.leases.checkEpoch(batch.partitions, batch.epoch);
    const stamp = stampOf(batch);
    if (batch.whole) this.removeAllBut(batch.partitions, batch.entries);
    for (const entry of batch.entries) {
      const saved = this.entries.get(entry.userId);
      if (!saved) this.ids.add(entry.userId);
      const same = sameStamp(this.entryStamps.get(entry.userId), stamp);
      if (!saved || !same || saved.version < entry.version) {
        this.entries.set(entry.userId, frozenCopy(entry));
        this.entryStamps.set(entry.userId, stamp);
      }
    }
    const { checkpoint } = batch;
    if (!checkpoint) {
      // A whole save stamps its partitions even without a place to resume from.
      if (batch.whole)
        for (const partition of batch.partitions) this.checkpointStamps.set(partition, stamp);
      return;
    }
    for (const partition of batch.partitions) {
      const saved = this.checkpoints.get(partition);
      const same = sameStamp(this.checkpointStamps.get(partition), stamp);
      if (!saved || !same || positionOf(saved) < positionOf(checkpoint)) {
        this.checkpoints.set(partition, checkpoint);
        this.checkpointStamps.set(partition, stamp);
      }
    }
  }

  /** Forgets every entry of the partitions but those given. */
  private removeAllBut(partitions: readonly number[], kept: readonly SnapshotEntry[]): void {
    const wanted = new Set(partitions);
    const keep = new Set(kept.map((entry) => entry.userId));
    for (const [userId, entry] of this.entries) {
      if (!wanted.has(entry.partition) || keep.has(userId)) continue;
      this.entries.delete(userId);
      this.entryStamps.delete(userId);
      this.ids.delete(userId);
    }
  }

  async load(partitions: readonly number[]): Promise<PartitionsSnapshot> {
    this.outage.check('load a snapshot');
    const wanted = new Set(partitions);
    const entries = [...this.entries.values()].filter(
      (entry) => entry.user !== null && wanted.has(entry.partition),
    );
    return {
      entries,
      checkpoint: this.oldestCheckpoint(partitions),
      projectionVersion: sameVersion(
        partitions.map((partition) => this.checkpointStamps.get(partition)?.projectionVersion),
      ),
      generation: lowest(
        partitions.map((partition) => this.checkpointStamps.get(partition)?.generation ?? 0),
      ),
    };
  }

  /** The generation the partition's checkpoint was saved in; 0 before its first rebuild. */
  generationOf(partition: number): number {
    return this.checkpointStamps.get(partition)?.generation ?? 0;
  }

  async loadUser(userId: string): Promise<SnapshotEntry | null> {
    this.outage.check('load a user snapshot');
    return this.entryOf(userId);
  }

  /** `loadUser` as a step of another store call, which checked the outage itself. */
  entryOf(userId: string): SnapshotEntry | null {
    return this.entries.get(userId) ?? null;
  }

  async listUsers(partitions: readonly number[], query: UserListQuery): Promise<User[]> {
    const { group, after, limit } = query;
    assertLimit(limit);
    this.outage.check('list users');
    const wanted = new Set(partitions);
    const users: User[] = [];
    // Ids a step at a time: most of them may be other partitions' or groups', or tombstones.
    for (let from = after; users.length < limit;) {
      const ids = this.ids.page(from, IDS_PER_STEP);
      for (const id of ids) {
        const entry = this.entries.get(id);
        const user = entry?.user;
        if (user && wanted.has(entry.partition) && (group === undefined || user.group === group))
          users.push(user);
        if (users.length === limit) break;
      }
      if (ids.length < IDS_PER_STEP) break;
      from = ids.at(-1);
    }
    return users;
  }

  async countUsersByGroup(
    partitions: readonly number[],
    group?: number,
  ): Promise<Map<number, number>> {
    this.outage.check('count users by group');
    const wanted = new Set(partitions);
    const counts = new Map<number, number>();
    for (const { partition, user } of this.entries.values()) {
      if (user && wanted.has(partition) && (group === undefined || user.group === group))
        counts.set(user.group, (counts.get(user.group) ?? 0) + 1);
    }
    return new Map([...counts].sort(([a], [b]) => a - b));
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

/** The one version all of `versions` are, or null when one is missing or they differ. */
function sameVersion(versions: ReadonlyArray<number | undefined>): number | null {
  const [first] = versions;
  if (first === undefined) return null;
  return versions.every((version) => version === first) ? first : null;
}

function sameStamp(saved: SnapshotStamp | undefined, stamp: SnapshotStamp): boolean {
  return (
    saved?.projectionVersion === stamp.projectionVersion && saved.generation === stamp.generation
  );
}

function lowest(generations: readonly number[]): number {
  return generations.length === 0 ? 0 : Math.min(...generations);
}

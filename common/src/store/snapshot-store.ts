import type { User } from '../domain';
import type { Checkpoint } from './event-store';

// The snapshot store port: the users as aggregators last saved them, with their checkpoints.

/** A user's latest state as saved by an aggregator; `user` null means the user is deleted. */
export interface SnapshotEntry {
  readonly userId: string;
  readonly partition: number;
  readonly version: number;
  readonly user: User | null;
}

export interface SnapshotBatch {
  /** The partitions the checkpoint belongs to. */
  readonly partitions: readonly number[];
  readonly entries: readonly SnapshotEntry[];
  /** Saved after the entries, so it never points past a change that is not saved. */
  readonly checkpoint: Checkpoint | null;
  /**
   * The epoch of the saver's leases on `partitions` (see PartitionLeases). Given, nothing is
   * saved, and LeaseLostError is thrown, unless every one of them is still leased at this epoch,
   * checked in the same atomic step as the save: an owner that lost a partition cannot write it.
   */
  readonly epoch?: number;
  /**
   * The version of the projection that computed the entries (FIRST_PROJECTION_VERSION if not
   * given). Saved with each entry and checkpoint; an entry or checkpoint of another version is
   * replaced whatever its own version or position, as it is not to be trusted.
   */
  readonly projectionVersion?: number;
  /**
   * The generation of the partitions' projection the entries belong to (0 if not given): a
   * rebuild folds them again into a new one (projection-rebuilds.ts). Saved like the projection
   * version, and as it: an entry or checkpoint of another generation is replaced.
   */
  readonly generation?: number;
  /**
   * The entries are the partitions' every user (a rebuild switching over): what is saved of the
   * partitions and not among them goes, and the partitions then serve `generation`, all in one
   * atomic step.
   */
  readonly whole?: boolean;
}

/** The projection version of snapshots saved before they carried one. */
export const FIRST_PROJECTION_VERSION = 1;

/** Which projection, and which generation of it, saved an entry or checkpoint. */
export interface SnapshotStamp {
  readonly projectionVersion: number;
  readonly generation: number;
}

/** What a batch is stamped with, its defaults filled in: what the adapters save with it. */
export function stampOf(batch: SnapshotBatch): SnapshotStamp {
  return {
    projectionVersion: batch.projectionVersion ?? FIRST_PROJECTION_VERSION,
    generation: batch.generation ?? 0,
  };
}

export interface PartitionsSnapshot {
  /** Live users only (a deleted user is kept only as a tombstone that `loadUser` returns). */
  readonly entries: readonly SnapshotEntry[];
  /** Null unless every partition asked for has one; the oldest of them otherwise. */
  readonly checkpoint: Checkpoint | null;
  /**
   * The projection version the partitions' checkpoints were saved by, when they all agree; null
   * when none was saved or they disagree. A loader of another version must not trust `entries`.
   */
  readonly projectionVersion: number | null;
  /** The lowest generation among the partitions' checkpoints; 0 where none was saved with one. */
  readonly generation: number;
}

/** A page of live users from the snapshot: those after `after` in id order, optionally of one group. */
export interface UserListQuery {
  readonly group?: number;
  /** Only ids greater than this one (compared by UTF-16 code units, as JavaScript compares). */
  readonly after?: string;
  /** At most this many: a positive integer, or the read throws a plain Error. */
  readonly limit: number;
}

export interface SnapshotStore {
  /**
   * Writes only forward: an entry or checkpoint never replaces a newer one, and a deleted user
   * leaves a tombstone with its version, so that a late, older entry cannot bring it back.
   */
  save(batch: SnapshotBatch): Promise<void>;
  load(partitions: readonly number[]): Promise<PartitionsSnapshot>;
  /** The user's saved entry, a deleted one (`user` null) included; null if none was saved. */
  loadUser(userId: string): Promise<SnapshotEntry | null>;
  /** Live users of the partitions as saved, in id order; the store filters, sorts and limits. */
  listUsers(partitions: readonly number[], query: UserListQuery): Promise<User[]>;
  /** How many live users of the partitions each group has, as saved; groups with none left out. */
  countUsersByGroup(partitions: readonly number[], group?: number): Promise<Map<number, number>>;
}

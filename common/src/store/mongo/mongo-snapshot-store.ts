import {
  type AnyBulkWriteOperation,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type MongoClient,
  Timestamp,
} from 'mongodb';
import type { User } from '../../domain';
import { StoreUnavailableError } from '../errors';
import { LeaseLostError } from '../partition-leases';
import { assertLimit } from '../query-rules';
import type { Checkpoint } from '../event-store';
import {
  FIRST_PROJECTION_VERSION,
  type PartitionsSnapshot,
  type SnapshotStamp,
  stampOf,
  type SnapshotBatch,
  type SnapshotEntry,
  type SnapshotStore,
  type UserListQuery,
} from '../snapshot-store';
import { asMongoCheckpoint, compareTimes } from './mongo-checkpoint';
import { COLLECTIONS, type CheckpointDocument, type UserDocument } from './schema';
import { runTransaction } from './transaction';
import { toEntry, toUserDocument } from './user-documents';

const NO_TIME = new Timestamp({ t: 0, i: 0 });

export class MongoSnapshotStore implements SnapshotStore {
  private readonly users: Collection<UserDocument>;
  private readonly checkpoints: Collection<CheckpointDocument>;

  /** @param timeoutMs server time a request-path read may take (maxTimeMS) */
  constructor(
    private readonly client: Pick<MongoClient, 'startSession'>,
    db: Db,
    private readonly timeoutMs: number,
  ) {
    this.users = db.collection<UserDocument>(COLLECTIONS.users);
    this.checkpoints = db.collection<CheckpointDocument>(COLLECTIONS.checkpoints);
  }

  async save(batch: SnapshotBatch): Promise<void> {
    if (batch.epoch !== undefined || batch.whole) return this.saveAtomically(batch);
    const stamp = stampOf(batch);
    try {
      // Users first: a crash between the two writes leaves an older checkpoint, which only
      // means replaying a little more.
      if (batch.entries.length > 0) {
        await this.users.bulkWrite(batch.entries.map(userWrite(stamp)), { ordered: false });
      }
      const { checkpoint } = batch;
      if (checkpoint && batch.partitions.length > 0) {
        await this.checkpoints.bulkWrite(checkpointWrites(batch.partitions, checkpoint, stamp), {
          ordered: false,
        });
      }
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to save a snapshot', { cause: error });
    }
  }

  /**
   * Users and checkpoints in one transaction. A whole save (a rebuild switching over) also
   * deletes every other document of its partitions, which are of an older generation. Fenced
   * (with an epoch), its last statement updates each partition's document only where its lease
   * is still at `epoch`. Fewer matched means the lease moved on: the transaction is aborted, so
   * nothing of the save lands. A new holder's acquire that commits while this runs changes the
   * same documents, so one of the two meets a write conflict: either the acquire comes first and
   * this one aborts, or this one commits first, when it was still the holder.
   */
  private async saveAtomically(batch: SnapshotBatch): Promise<void> {
    const partitions = [...new Set(batch.partitions)];
    const { epoch, checkpoint } = batch;
    const stamp = stampOf(batch);
    const session = this.client.startSession();
    try {
      await runTransaction(
        session,
        async () => {
          if (batch.entries.length > 0)
            await this.users.bulkWrite(batch.entries.map(userWrite(stamp)), {
              ordered: false,
              session,
            });
          if (batch.whole) {
            await this.users.deleteMany(
              { partition: { $in: partitions }, $nor: [{ ...stamp }] },
              { session },
            );
          }
          if (epoch === undefined) {
            const writes = checkpointWrites(partitions, checkpoint, stamp, batch.whole);
            if (writes.length > 0) await this.checkpoints.bulkWrite(writes, { session });
            return;
          }
          const { matchedCount } = await this.checkpoints.updateMany(
            { _id: { $in: partitions }, epoch, holder: { $exists: true } },
            checkpointUpdate(checkpoint, stamp, batch.whole),
            { session },
          );
          if (matchedCount < partitions.length) throw new LeaseLostError(partitions, epoch);
        },
        {
          attempts: 3,
          budgetMs: this.timeoutMs,
          classify: (error) =>
            error instanceof LeaseLostError
              ? error
              : new StoreUnavailableError('MongoDB failed to save a snapshot', { cause: error }),
        },
      );
    } finally {
      await session.endSession();
    }
  }

  async load(partitions: readonly number[]): Promise<PartitionsSnapshot> {
    // Checkpoints first, then users: users are saved before their checkpoint, so whatever a
    // concurrent save does in between, the users read are at least as new as the checkpoint.
    // Only if the second read sees all the first one did: two majority reads are ordered on one
    // primary, but after a failover the new primary's majority snapshot can briefly trail the
    // old one's, so users could load older than the checkpoint, and the tail resume after it,
    // leaving them stale. One causally consistent session orders them: the users read carries
    // afterClusterTime, the checkpoints read's operationTime (driver sessions.ts `applySession`),
    // and waits until the member serving it has that much majority-committed.
    const session = this.client.startSession({ causalConsistency: true });
    try {
      const checkpoints = await this.checkpoints
        .find(
          { _id: { $in: [...partitions] }, clusterTime: { $exists: true } },
          { session, maxTimeMS: this.timeoutMs },
        )
        .toArray();
      // No maxTimeMS on the users: every getMore inherits the find's leftover time
      // (getmore_cmd.cpp), so it would bound the whole restore, which on a large store takes
      // longer than any request, and a retry starts it over (review M1). The client's
      // socketTimeoutMS bounds each batch instead, so a stuck read still ends (client-options.ts).
      const users = await this.users
        .find({ partition: { $in: [...partitions] }, deleted: { $ne: true } }, { session })
        .toArray();
      const complete = checkpoints.length === new Set(partitions).size;
      return {
        entries: users.map(toEntry),
        checkpoint: complete ? oldest(checkpoints) : null,
        projectionVersion: complete ? sameProjection(checkpoints) : null,
        generation: complete ? lowestGeneration(checkpoints) : 0,
      };
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to load a snapshot', { cause: error });
    } finally {
      await session.endSession();
    }
  }

  async loadUser(userId: string): Promise<SnapshotEntry | null> {
    try {
      const document = await this.users.findOne({ _id: userId }, { maxTimeMS: this.timeoutMs });
      return document && toEntry(document);
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to load a user snapshot', { cause: error });
    }
  }

  async listUsers(partitions: readonly number[], query: UserListQuery): Promise<User[]> {
    const { group, after, limit } = query;
    assertLimit(limit);
    // Served in id order by partition_id, or group_partition_id with a group.
    const filter = liveUsersOf(partitions, group);
    if (after !== undefined) filter._id = { $gt: after };
    try {
      const documents = await this.users
        .find(filter, { maxTimeMS: this.timeoutMs })
        .sort({ _id: 1 })
        .limit(limit)
        .toArray();
      return documents.flatMap((document) => toEntry(document).user ?? []);
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to list users', { cause: error });
    }
  }

  async countUsersByGroup(
    partitions: readonly number[],
    group?: number,
  ): Promise<Map<number, number>> {
    try {
      const groups = await this.users
        .aggregate<{ _id: number; count: number }>(
          [
            { $match: liveUsersOf(partitions, group) },
            { $group: { _id: '$group', count: { $sum: 1 } } },
            { $sort: { _id: 1 } },
          ],
          { maxTimeMS: this.timeoutMs },
        )
        .toArray();
      return new Map(groups.map(({ _id, count }) => [_id, count]));
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to count users by group', { cause: error });
    }
  }
}

/** The live users (no tombstones) of the partitions, and of `group` when given. */
function liveUsersOf(
  partitions: readonly number[],
  group: number | undefined,
): Filter<UserDocument> {
  const filter: Filter<UserDocument> = {
    partition: { $in: [...partitions] },
    deleted: { $ne: true },
  };
  if (group !== undefined) filter.group = group;
  return filter;
}

function userWrite(stamp: SnapshotStamp) {
  return (entry: SnapshotEntry): AnyBulkWriteOperation<UserDocument> =>
    replaceIfNewer<UserDocument>({ ...toUserDocument(entry), ...stamp }, stamp, 'version', 0);
}

/**
 * Upserts `replacement` unless the stored document is as new or newer by `orderField` and of
 * the same stamp (projection version and generation), in one atomic server-side step.
 * `$literal` keeps user data such as a name starting with "$" from being read as an expression.
 */
function replaceIfNewer<T extends Document & { _id: unknown }>(
  replacement: T,
  stamp: SnapshotStamp,
  orderField: keyof T & string,
  floor: unknown,
): AnyBulkWriteOperation<T> {
  const isNewer = {
    $or: [
      ...otherStamp(stamp),
      {
        $lt: [
          { $ifNull: [`$${orderField}`, { $literal: floor }] },
          { $literal: replacement[orderField] },
        ],
      },
    ],
  };
  return {
    updateOne: {
      // Generic code cannot prove that an _id equality is a Filter<T>; it is one for every T here.
      filter: { _id: replacement._id } as Filter<T>,
      update: [
        {
          $replaceWith: { $cond: { if: isNewer, then: { $literal: replacement }, else: '$$ROOT' } },
        },
      ],
      upsert: true,
    },
  };
}

/**
 * Moves a partition's checkpoint forward (never back) and marks the save, leaving its lease as
 * it is. `$literal` keeps a resume token's fields from being read as expressions.
 */
function checkpointUpdate(
  checkpoint: Checkpoint | null,
  stamp: SnapshotStamp,
  whole = false,
): Document[] {
  // A whole save stamps its partitions even without a place to resume from.
  if (!checkpoint) return [{ $set: { savedAt: '$$NOW', ...(whole ? stamp : {}) } }];
  const { clusterTime, resumeToken } = asMongoCheckpoint(checkpoint);
  const isNewer = {
    $or: [
      ...otherStamp(stamp),
      { $lt: [{ $ifNull: ['$clusterTime', NO_TIME] }, { $literal: clusterTime }] },
    ],
  };
  const newer = (value: unknown, field: string) => ({
    $cond: { if: isNewer, then: { $literal: value }, else: field },
  });
  return [
    {
      $set: {
        clusterTime: newer(clusterTime, '$clusterTime'),
        resumeToken: newer(resumeToken, '$resumeToken'),
        projectionVersion: newer(stamp.projectionVersion, '$projectionVersion'),
        generation: newer(stamp.generation, '$generation'),
        savedAt: '$$NOW',
      },
    },
  ];
}

function oldest(checkpoints: readonly CheckpointDocument[]): Checkpoint | null {
  let found: { clusterTime: Timestamp; resumeToken: CheckpointDocument['resumeToken'] } | undefined;
  for (const { clusterTime, resumeToken } of checkpoints) {
    if (clusterTime && (!found || compareTimes(clusterTime, found.clusterTime) < 0))
      found = { clusterTime, resumeToken };
  }
  return found ? { clusterTime: found.clusterTime, resumeToken: found.resumeToken ?? null } : null;
}

/**
 * Conditions that hold when the stored document was saved under another stamp. Documents saved
 * before they carried one read as the first projection version, generation 0.
 */
function otherStamp(stamp: SnapshotStamp): Document[] {
  return [
    {
      $ne: [
        { $ifNull: ['$projectionVersion', FIRST_PROJECTION_VERSION] },
        { $literal: stamp.projectionVersion },
      ],
    },
    { $ne: [{ $ifNull: ['$generation', 0] }, { $literal: stamp.generation }] },
  ];
}

/** The partitions' checkpoint documents moved to `checkpoint`, upserted. */
function checkpointWrites(
  partitions: readonly number[],
  checkpoint: Checkpoint | null,
  stamp: SnapshotStamp,
  whole = false,
): AnyBulkWriteOperation<CheckpointDocument>[] {
  if (!checkpoint && !whole) return [];
  return partitions.map((partition) => ({
    updateOne: {
      filter: { _id: partition },
      update: checkpointUpdate(checkpoint, stamp, whole),
      upsert: true,
    },
  }));
}

function lowestGeneration(checkpoints: readonly CheckpointDocument[]): number {
  return Math.min(...checkpoints.map((checkpoint) => checkpoint.generation ?? 0));
}

/** The projection version all the checkpoints were saved by, or null when they differ. */
function sameProjection(checkpoints: readonly CheckpointDocument[]): number | null {
  const versions = new Set(
    checkpoints.map((checkpoint) => checkpoint.projectionVersion ?? FIRST_PROJECTION_VERSION),
  );
  const [only] = versions;
  return versions.size === 1 && only !== undefined ? only : null;
}

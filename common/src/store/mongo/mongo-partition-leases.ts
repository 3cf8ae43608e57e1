import type { Collection, Db } from 'mongodb';
import { StoreUnavailableError } from '../errors';
import type { LeaseHolder, LiveHolder, PartitionLease, PartitionLeases } from '../partition-leases';
import { type AggregatorDocument, type CheckpointDocument, COLLECTIONS } from './schema';

/** Before every lease: a partition whose document has no `expiresAt` was never leased. */
const NEVER = new Date(0);
/** A lease is live while the primary's clock is before its `expiresAt`. */
const LIVE = { $expr: { $gt: ['$expiresAt', '$$NOW'] } };

/**
 * Each partition's lease lives in its checkpoint document (`holder`, `epoch`, `expiresAt`), so
 * that a fenced snapshot save checks the epoch in the very document it writes the checkpoint to
 * (mongo-snapshot-store.ts). Every step is one single-document update whose pipeline decides
 * against `$$NOW`, the primary's clock, so no two holders' clocks are compared. Heartbeats live
 * in `Aggregators`, one document per holder name.
 */
export class MongoPartitionLeases implements PartitionLeases {
  private readonly partitions: Collection<CheckpointDocument>;
  private readonly holders: Collection<AggregatorDocument>;

  constructor(
    db: Db,
    private readonly timeoutMs: number,
  ) {
    this.partitions = db.collection<CheckpointDocument>(COLLECTIONS.checkpoints);
    this.holders = db.collection<AggregatorDocument>(COLLECTIONS.aggregators);
  }

  async heartbeat(holder: LeaseHolder, ttlMs: number): Promise<LiveHolder[]> {
    return this.attempt('send a heartbeat', async () => {
      await this.holders.updateOne(
        { _id: holder.name },
        [{ $set: { url: { $literal: holder.url }, expiresAt: { $add: ['$$NOW', ttlMs] } } }],
        { upsert: true, maxTimeMS: this.timeoutMs },
      );
      // How long each stays live, by the primary's clock: a projection expression (4.4+).
      const live = await this.holders
        .find(LIVE, {
          projection: { url: 1, expiresInMs: { $subtract: ['$expiresAt', '$$NOW'] } },
          maxTimeMS: this.timeoutMs,
        })
        .toArray();
      return live.map((found) => {
        const { _id, url } = found;
        const expiresInMs: unknown = (found as { expiresInMs?: unknown }).expiresInMs;
        return { name: _id, url, expiresInMs: typeof expiresInMs === 'number' ? expiresInMs : 0 };
      });
    });
  }

  async leave(name: string): Promise<void> {
    await this.attempt('leave', () =>
      this.holders.deleteOne({ _id: name }, { maxTimeMS: this.timeoutMs }),
    );
  }

  async current(): Promise<PartitionLease[]> {
    return this.attempt('read the leases', async () => {
      const leased = await this.partitions
        .find(
          { holder: { $exists: true }, ...LIVE },
          { projection: { holder: 1, epoch: 1 }, sort: { _id: 1 }, maxTimeMS: this.timeoutMs },
        )
        .toArray();
      return leased.flatMap(({ _id, holder, epoch }) =>
        holder && epoch !== undefined ? [{ partition: _id, holder, epoch }] : [],
      );
    });
  }

  async acquire(partition: number, holder: LeaseHolder, ttlMs: number): Promise<number | null> {
    // Free when never leased, released, expired, or held under this holder's own name (this
    // holder restarted): then the epoch goes up by one and the lease is this holder's.
    const free = {
      $or: [
        { $lte: [{ $ifNull: ['$expiresAt', NEVER] }, '$$NOW'] },
        { $eq: ['$holder.name', { $literal: holder.name }] },
      ],
    };
    const taken = (value: unknown, otherwise: string) => ({
      $cond: { if: free, then: value, else: otherwise },
    });
    const after = await this.attempt('acquire a lease', () =>
      this.partitions.findOneAndUpdate(
        { _id: partition },
        [
          {
            $set: {
              epoch: taken({ $add: [{ $ifNull: ['$epoch', 0] }, 1] }, '$epoch'),
              holder: taken({ $literal: holder }, '$holder'),
              expiresAt: taken({ $add: ['$$NOW', ttlMs] }, '$expiresAt'),
            },
          },
        ],
        {
          upsert: true,
          returnDocument: 'after',
          projection: { holder: 1, epoch: 1 },
          maxTimeMS: this.timeoutMs,
        },
      ),
    );
    return after?.holder?.name === holder.name && after.epoch !== undefined ? after.epoch : null;
  }

  async renew(name: string, epochs: ReadonlyMap<number, number>, ttlMs: number): Promise<number[]> {
    if (epochs.size === 0) return [];
    const held = {
      'holder.name': name,
      $or: [...epochs].map(([partition, epoch]) => ({ _id: partition, epoch })),
    };
    return this.attempt('renew leases', async () => {
      const { matchedCount } = await this.partitions.updateMany(
        held,
        [{ $set: { expiresAt: { $add: ['$$NOW', ttlMs] } } }],
        { maxTimeMS: this.timeoutMs },
      );
      // Usually every one: then no second read is needed to tell which.
      if (matchedCount === epochs.size) return [...epochs.keys()];
      const still = await this.partitions
        .find(held, { projection: { _id: 1 }, maxTimeMS: this.timeoutMs })
        .toArray();
      return still.map(({ _id }) => _id);
    });
  }

  async release(partition: number, name: string, epoch: number): Promise<void> {
    await this.attempt('release a lease', () =>
      this.partitions.updateOne(
        { _id: partition, 'holder.name': name, epoch },
        { $unset: { holder: '' }, $set: { expiresAt: NEVER } },
        { maxTimeMS: this.timeoutMs },
      ),
    );
  }

  private async attempt<T>(step: string, call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      throw new StoreUnavailableError(`MongoDB failed to ${step}`, { cause: error });
    }
  }
}

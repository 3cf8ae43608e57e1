import type { Collection, Db } from 'mongodb';
import { StoreUnavailableError } from '../errors';
import {
  decideRequest,
  type PartitionGeneration,
  type ProjectionRebuilds,
  type RebuildReport,
  type RebuildRequest,
} from '../projection-rebuilds';
import { hasCode, MONGO_ERROR } from './error-codes';
import { COLLECTIONS, type CheckpointDocument, type RebuildDocument } from './schema';

/**
 * The rebuild asked for last is one document in `Settings`; each partition's generation and its
 * owner's report live in its `Checkpoints` document, beside its lease and resume point.
 */
export class MongoProjectionRebuilds implements ProjectionRebuilds {
  private readonly settings: Collection<RebuildDocument>;
  private readonly checkpoints: Collection<CheckpointDocument>;

  constructor(
    db: Db,
    private readonly timeoutMs: number,
    private readonly partitionCount: () => Promise<number>,
  ) {
    this.settings = db.collection<RebuildDocument>(COLLECTIONS.settings);
    this.checkpoints = db.collection<CheckpointDocument>(COLLECTIONS.checkpoints);
  }

  async request(id: string, now: Date) {
    const [latest, partitions] = await Promise.all([this.latest(), this.partitions()]);
    const decided = decideRequest(latest, partitions, id, now);
    if (!decided.started) return decided;
    const document = { rebuildId: id, generation: decided.rebuild.generation, requestedAt: now };
    try {
      // Moved on only from the one read: of two requests at once, one writes and one answers it.
      if (latest) {
        const { matchedCount } = await this.settings.updateOne(
          { _id: 'rebuild', generation: latest.generation },
          { $set: document },
          { maxTimeMS: this.timeoutMs },
        );
        if (matchedCount === 1) return decided;
      } else {
        await this.settings.insertOne(
          { _id: 'rebuild', ...document },
          { maxTimeMS: this.timeoutMs },
        );
        return decided;
      }
    } catch (error) {
      if (!hasCode(error, MONGO_ERROR.DuplicateKey)) throw unavailable('request a rebuild', error);
    }
    const winner = await this.latest();
    if (!winner) throw new StoreUnavailableError('MongoDB lost the rebuild just asked for');
    return { rebuild: winner, started: false };
  }

  async latest(): Promise<RebuildRequest | null> {
    try {
      const found = await this.settings.findOne({ _id: 'rebuild' }, { maxTimeMS: this.timeoutMs });
      return found
        ? { id: found.rebuildId, generation: found.generation, requestedAt: found.requestedAt }
        : null;
    } catch (error) {
      throw unavailable('read the latest rebuild', error);
    }
  }

  async partitions(): Promise<PartitionGeneration[]> {
    try {
      const [count, documents] = await Promise.all([
        this.partitionCount(),
        this.checkpoints
          .find({}, { projection: { generation: 1, rebuild: 1 }, maxTimeMS: this.timeoutMs })
          .toArray(),
      ]);
      const byPartition = new Map(documents.map((document) => [document._id, document]));
      return Array.from({ length: count }, (_, partition) => {
        const document = byPartition.get(partition);
        return {
          partition,
          generation: document?.generation ?? 0,
          rebuild: document?.rebuild ?? null,
        };
      });
    } catch (error) {
      throw unavailable('read the partitions’ generations', error);
    }
  }

  async report(partition: number, report: RebuildReport): Promise<void> {
    try {
      const { generation, events, failure } = report;
      await this.checkpoints.updateOne(
        { _id: partition },
        { $set: { rebuild: { generation, events, failure } } },
        { upsert: true, maxTimeMS: this.timeoutMs },
      );
    } catch (error) {
      throw unavailable('report a rebuild', error);
    }
  }
}

function unavailable(operation: string, error: unknown): Error {
  if (error instanceof StoreUnavailableError) return error;
  return new StoreUnavailableError(`MongoDB failed to ${operation}`, { cause: error });
}

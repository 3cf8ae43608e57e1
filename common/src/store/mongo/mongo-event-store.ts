import {
  type ChangeStreamInsertDocument,
  type ClientSession,
  type Collection,
  type Db,
  type MongoClient,
  type ResumeToken,
  Timestamp,
} from 'mongodb';
import type { UserEvent, UserEventBody } from '../../domain';
import { assertAppendable } from '../append-rules';
import { startCatchUpSubscription } from '../catch-up-subscription';
import type { CatchUp, ChangeSource, ChangeTail, TailedChange } from '../change-source';
import { HistoryLostError, StoreUnavailableError, VersionConflictError } from '../errors';
import type { AppendOutcome, Checkpoint, EventStore, Subscription, SubscriptionHandler, SubscriptionRequest } from '../ports';
import { COLLECTIONS, type EventDocument, hasCode } from './schema';

const DUPLICATE_KEY = 11000;
const CHANGE_STREAM_FATAL = 280;
const CHANGE_STREAM_HISTORY_LOST = 286;
/** How long one empty wait on the change stream lasts before it answers "nothing new". */
const TAIL_WAIT_MS = 500;

// A type alias, not an interface: only aliases fit the Checkpoint record type.
export type MongoCheckpoint = {
  /** Cluster time of the change, or of the live start point fixed before catching up. */
  readonly clusterTime: Timestamp;
  /** The change's resume token; null for a live start point, which is resumed by its time. */
  readonly resumeToken: ResumeToken | null;
};

export class MongoEventStore implements EventStore, ChangeSource {
  private readonly events: Collection<EventDocument>;

  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
  ) {
    this.events = db.collection<EventDocument>(COLLECTIONS.events);
  }

  async append(userId: string, expectedVersion: number, events: readonly UserEvent[]): Promise<AppendOutcome> {
    const { firstEventId } = assertAppendable(userId, expectedVersion, events);
    const documents = events.map(toEventDocument);
    try {
      await this.insert(documents);
      return 'appended';
    } catch (error) {
      if (!hasCode(error, DUPLICATE_KEY)) throw unavailable('append', error);
      return this.explainDuplicate(userId, expectedVersion, firstEventId);
    }
  }

  async readUserEvents(userId: string, afterVersion = 0): Promise<UserEvent[]> {
    try {
      const documents = await this.events
        .find({ userId, version: { $gt: afterVersion } })
        .sort({ version: 1 })
        .toArray();
      return documents.map(toEvent);
    } catch (error) {
      throw unavailable('read events', error);
    }
  }

  subscribe(request: SubscriptionRequest, handler: SubscriptionHandler): Subscription {
    return startCatchUpSubscription(this, request, handler);
  }

  async catchUp(partitions: readonly number[]): Promise<CatchUp> {
    // A causally consistent session makes the majority read below wait until it includes
    // everything up to the live point, so no event falls between the read and the tail.
    const session = this.client.startSession({ causalConsistency: true });
    try {
      await this.db.command({ ping: 1 }, { session });
      const clusterTime = session.operationTime;
      if (!clusterTime) throw new Error('MongoDB gave no operation time: it must run as a replica set');
      const livePosition: MongoCheckpoint = { clusterTime, resumeToken: null };
      return { livePosition, events: this.readPartitions(partitions, session) };
    } catch (error) {
      await session.endSession();
      throw unavailable('fix the live start point', error);
    }
  }

  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail {
    const { clusterTime, resumeToken } = asMongoCheckpoint(from);
    const stream = this.events.watch<EventDocument, ChangeStreamInsertDocument<EventDocument>>(
      [{ $match: { operationType: 'insert', 'fullDocument.partition': { $in: [...partitions] } } }],
      {
        ...(resumeToken ? { resumeAfter: resumeToken } : { startAtOperationTime: clusterTime }),
        maxAwaitTimeMS: TAIL_WAIT_MS,
      },
    );
    return {
      async next(): Promise<TailedChange | null> {
        try {
          const change = await stream.tryNext();
          if (!change) return null;
          if (!change.clusterTime) throw new Error('a change without cluster time');
          const checkpoint: MongoCheckpoint = { clusterTime: change.clusterTime, resumeToken: change._id };
          return { event: toEvent(change.fullDocument), checkpoint };
        } catch (error) {
          if (hasCode(error, CHANGE_STREAM_HISTORY_LOST) || hasCode(error, CHANGE_STREAM_FATAL)) {
            throw new HistoryLostError('the checkpoint is no longer in the oplog', { cause: error });
          }
          throw unavailable('tail events', error);
        }
      },
      close: () => stream.close(),
    };
  }

  private async *readPartitions(partitions: readonly number[], session: ClientSession): AsyncIterable<UserEvent> {
    try {
      const cursor = this.events
        .find({ partition: { $in: [...partitions] } }, { session })
        .sort({ partition: 1, userId: 1, version: 1 });
      for await (const document of cursor) yield toEvent(document);
    } catch (error) {
      throw unavailable('read partitions', error);
    } finally {
      await session.endSession();
    }
  }

  private async insert(documents: EventDocument[]): Promise<void> {
    const [first] = documents;
    if (documents.length === 1 && first) {
      await this.events.insertOne(first);
      return;
    }
    // Several events of one command are stored all or none.
    await this.client.withSession((session) =>
      session.withTransaction(() => this.events.insertMany(documents, { session })),
    );
  }

  /**
   * A duplicate key means either that this append's eventId is stored already (a retry of a
   * write that did succeed: a no-op) or that another writer took the version (a conflict).
   */
  private async explainDuplicate(userId: string, expectedVersion: number, eventId: string): Promise<AppendOutcome> {
    let ours: EventDocument | null;
    try {
      ours = await this.events.findOne({ _id: eventId }, { projection: { _id: 1 } });
    } catch (error) {
      throw unavailable('check a duplicate', error);
    }
    if (ours) return 'alreadyStored';
    throw new VersionConflictError(userId, expectedVersion);
  }
}

export function asMongoCheckpoint(checkpoint: Checkpoint): MongoCheckpoint {
  const { clusterTime, resumeToken } = checkpoint;
  if (!(clusterTime instanceof Timestamp)) throw new Error('not a checkpoint of the MongoDB store');
  return { clusterTime, resumeToken: resumeToken ?? null };
}

function toEventDocument(event: UserEvent): EventDocument {
  const { eventId, userId, version, partition, type, data, occurredAt } = event;
  return { _id: eventId, userId, version, partition, type, data: { ...data }, occurredAt };
}

function toEvent(document: EventDocument): UserEvent {
  const { _id, userId, version, partition, type, data, occurredAt } = document;
  // Documents of Events are written only by append, from UserEvent values.
  const body = { type, data } as UserEventBody;
  return { ...body, eventId: _id, userId, version, partition, occurredAt };
}

function unavailable(operation: string, error: unknown): Error {
  if (error instanceof HistoryLostError || error instanceof VersionConflictError) return error;
  return new StoreUnavailableError(`MongoDB failed to ${operation}`, { cause: error });
}

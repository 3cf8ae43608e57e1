import type {
  ChangeStreamDocument,
  ClientSession,
  Collection,
  Db,
  Filter,
  MongoClient,
  Timestamp,
} from 'mongodb';
import { UnreadableEventError, type UserEvent } from '../../domain';
import { assertAppendable } from '../append-rules';
import { startCatchUpSubscription } from '../catch-up-subscription';
import type { CatchUp, ChangeSource, ChangeTail } from '../change-source';
import {
  EmailTakenError,
  HistoryLostError,
  StoreMisconfiguredError,
  StoreUnavailableError,
  SubscriptionEndedError,
  VersionConflictError,
} from '../errors';
import { assertLimit } from '../query-rules';
import type {
  AppendEffects,
  AppendResult,
  Checkpoint,
  CommitPosition,
  EventDayCount,
  FoundEvent,
  StoredUser,
  EventStore,
  HistoryQuery,
  Subscription,
  SubscriptionHandler,
  SubscriptionRequest,
} from '../event-store';
import type { CausalClock } from './causal-clock';
import { decodePosition, encodePosition } from './commit-position';
import { type AppendSchemas, appendWrites, type AppendWrites, refusalOf } from './append-writes';
import { storedUserPipeline, toStoredUser } from './stored-user-read';
import { toEvent, toEventDocument } from './event-documents';
import { asMongoCheckpoint, compareTimes, type MongoCheckpoint } from './mongo-checkpoint';
import { MongoTail } from './mongo-tail';
import { COLLECTIONS, type EventDocument } from './schema';

/** How long one empty wait on the change stream lasts before it answers "nothing new". */
const TAIL_WAIT_MS = 500;
/**
 * Server time a catch-up read may take, the wait for its causal point included. Generous: it
 * reads whole partitions, off the request path; the bound only turns a stuck read into a retry.
 */
const CATCH_UP_MAX_MS = 120_000;
/** Operations after which a collection-level change stream is closed by the server. */
const STREAM_ENDINGS = ['invalidate', 'drop', 'rename', 'dropDatabase'];

export class MongoEventStore implements EventStore, ChangeSource {
  private readonly events: Collection<EventDocument>;

  /** @param timeoutMs server time each request-path read may take (maxTimeMS) */
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly clock: CausalClock,
    private readonly timeoutMs: number,
  ) {
    this.events = db.collection<EventDocument>(COLLECTIONS.events);
  }

  /**
   * One command when the append is one event (with at most its request's outcome), else one
   * transaction of one multi-collection bulkWrite and its commit: two commands, one majority
   * wait (the commit's; statements inside a transaction wait for nothing). The predecessor is not
   * read again (see the port): the caller's expected version is a head it read from this store.
   */
  async append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
    effects: AppendEffects = {},
  ): Promise<AppendResult> {
    const { firstEventId } = assertAppendable(userId, expectedVersion, events);
    const writes = appendWrites(this.db.databaseName, userId, events.map(toEventDocument), effects);
    try {
      const committedAt = await this.write(writes);
      return { outcome: 'appended', position: encodePosition(committedAt) };
    } catch (error) {
      switch (refusalOf(error, writes.roles)) {
        case 'event':
          return this.explainDuplicate(userId, expectedVersion, firstEventId);
        case 'dataKey':
        case 'conflict':
          throw new VersionConflictError(userId, expectedVersion);
        case 'emailTaken':
          throw new EmailTakenError(userId);
        case 'other':
          throw unavailable('append', error);
      }
    }
  }

  async readUser(userId: string): Promise<StoredUser> {
    try {
      const [result] = await this.clock.read((session) =>
        this.db
          .aggregate(storedUserPipeline(userId), { session, maxTimeMS: this.timeoutMs })
          .toArray(),
      );
      return toStoredUser(result);
    } catch (error) {
      throw unavailable('read a user', error);
    }
  }

  async readEvent(eventId: string): Promise<FoundEvent | null> {
    try {
      const found = await this.clock.readTimed((session) =>
        this.events.findOne({ _id: eventId }, { session, maxTimeMS: this.timeoutMs }),
      );
      if (!found.result) return null;
      // The majority read that found it saw its commit, so the read's time is at or after it.
      return {
        event: toEvent(found.result),
        position: encodePosition(requireTime(found.operationTime)),
      };
    } catch (error) {
      throw unavailable('read an event', error);
    }
  }

  async readUserEvents(userId: string, afterVersion = 0): Promise<UserEvent[]> {
    try {
      const documents = await this.clock.read((session) =>
        this.events
          .find({ userId, version: { $gt: afterVersion } }, { session, maxTimeMS: this.timeoutMs })
          .sort({ version: 1 })
          .toArray(),
      );
      return documents.map(toEvent);
    } catch (error) {
      throw unavailable('read events', error);
    }
  }

  async readUserHistory(userId: string, query: HistoryQuery): Promise<UserEvent[]> {
    const { afterVersion, types, from, to, limit } = query;
    assertLimit(limit);
    // userId first, so that the userId_version_unique index bounds the scan to this user's events.
    const filter: Filter<EventDocument> = { userId, version: { $gt: afterVersion } };
    if (types) filter.type = { $in: [...types] };
    if (from || to) filter.occurredAt = { ...(from && { $gte: from }), ...(to && { $lt: to }) };
    try {
      const documents = await this.clock.read((session) =>
        this.events
          .find(filter, { session, maxTimeMS: this.timeoutMs })
          .sort({ version: 1 })
          .limit(limit)
          .toArray(),
      );
      return documents.map(toEvent);
    } catch (error) {
      throw unavailable('read a user history', error);
    }
  }

  async countEventsByDay(from: Date, to: Date): Promise<EventDayCount[]> {
    try {
      // The occurredAt_type index covers both stages: no event document is fetched.
      const groups = await this.clock.read((session) =>
        this.events
          .aggregate<DayGroup>(
            [
              { $match: { occurredAt: { $gte: from, $lt: to } } },
              {
                $group: {
                  _id: {
                    day: {
                      $dateToString: { format: '%Y-%m-%d', date: '$occurredAt', timezone: 'UTC' },
                    },
                    type: '$type',
                  },
                  count: { $sum: 1 },
                },
              },
              { $sort: { '_id.day': 1, '_id.type': 1 } },
            ],
            { session, maxTimeMS: this.timeoutMs },
          )
          .toArray(),
      );
      return groups.map(({ _id, count }) => ({ day: _id.day, type: String(_id.type), count }));
    } catch (error) {
      throw unavailable('count events by day', error);
    }
  }

  subscribe(request: SubscriptionRequest, handler: SubscriptionHandler): Subscription {
    return startCatchUpSubscription(this, request, handler);
  }

  commitPositionOf(checkpoint: Checkpoint): CommitPosition {
    return encodePosition(asMongoCheckpoint(checkpoint).clusterTime);
  }

  comparePositions(a: CommitPosition, b: CommitPosition): number {
    return Math.sign(compareTimes(decodePosition(a), decodePosition(b)));
  }

  async catchUp(partitions: readonly number[]): Promise<CatchUp> {
    // A causally consistent session makes the majority read below wait until it includes
    // everything up to the live point, so no event falls between the read and the tail.
    const session = this.client.startSession({ causalConsistency: true });
    try {
      const livePosition = await this.positionNow(session);
      return { livePosition, events: this.readPartitions(partitions, session) };
    } catch (error) {
      await session.endSession();
      throw unavailable('fix the live start point', error);
    }
  }

  async headPosition(): Promise<Checkpoint> {
    const session = this.client.startSession({ causalConsistency: true });
    try {
      return await this.positionNow(session);
    } catch (error) {
      throw unavailable('read the head position', error);
    } finally {
      await session.endSession();
    }
  }

  reached(position: Checkpoint, target: Checkpoint): boolean {
    return (
      compareTimes(
        asMongoCheckpoint(position).clusterTime,
        asMongoCheckpoint(target).clusterTime,
      ) >= 0
    );
  }

  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail {
    const { clusterTime, resumeToken } = asMongoCheckpoint(from);
    const stream = this.events.watch<EventDocument, ChangeStreamDocument<EventDocument>>(
      [
        {
          $match: {
            $or: [
              { operationType: 'insert', 'fullDocument.partition': { $in: [...partitions] } },
              // Matched so that the tail sees its stream end, rather than a silence.
              { operationType: { $in: STREAM_ENDINGS } },
            ],
          },
        },
      ],
      {
        ...(resumeToken ? { resumeAfter: resumeToken } : { startAtOperationTime: clusterTime }),
        maxAwaitTimeMS: TAIL_WAIT_MS,
      },
    );
    return new MongoTail(stream);
  }

  /**
   * The operation time of a majority read: the majority commit point, which every acknowledged
   * write is at or before, and which a change stream (majority-committed changes only) reaches.
   * A `ping` would give the last applied point instead, which runs ahead of what the stream can
   * deliver while the majority lags, so the stream would never be seen to catch up with it.
   */
  private async positionNow(session: ClientSession): Promise<MongoCheckpoint> {
    await this.events.findOne({}, { session, projection: { _id: 1 }, maxTimeMS: this.timeoutMs });
    return { clusterTime: requireTime(session.operationTime), resumeToken: null };
  }

  private async *readPartitions(
    partitions: readonly number[],
    session: ClientSession,
  ): AsyncIterable<UserEvent> {
    try {
      const cursor = this.events
        .find({ partition: { $in: [...partitions] } }, { session, maxTimeMS: CATCH_UP_MAX_MS })
        .sort({ partition: 1, userId: 1, version: 1 });
      for await (const document of cursor) yield toEvent(document);
    } catch (error) {
      throw unavailable('read partitions', error);
    } finally {
      await session.endSession();
    }
  }

  /**
   * The operation time of the write: the optime of the insert (of the commit, for a
   * transaction), which is the clusterTime of its change events, so a subscription's checkpoint
   * reaches it once it has delivered them.
   */
  private async write(writes: AppendWrites): Promise<Timestamp> {
    const session = this.clock.writeSession();
    try {
      const [only] = writes.events;
      if (writes.models.length === 1 && only) {
        await this.events.insertOne(only, { session, maxTimeMS: this.timeoutMs });
      } else if (!writes.atomic) {
        await this.client.bulkWrite<AppendSchemas>(writes.models, {
          session,
          ordered: true,
          maxTimeMS: this.timeoutMs,
        });
      } else {
        await this.inTransaction(session, async () => {
          await this.client.bulkWrite<AppendSchemas>(writes.models, {
            session,
            ordered: true,
            maxTimeMS: this.timeoutMs,
          });
        });
      }
      this.clock.noteWrite(session);
      return requireTime(session.operationTime);
    } finally {
      await session.endSession();
    }
  }

  /**
   * Stored all or none, in one attempt: the driver's withTransaction retries for up to 120 s,
   * and an append must answer within its time limit. A transient error (a write conflict with a
   * concurrent transaction) reaches the caller as a lost race, which the gateway decides again.
   */
  private async inTransaction(session: ClientSession, work: () => Promise<void>): Promise<void> {
    session.startTransaction({ maxCommitTimeMS: this.timeoutMs });
    try {
      await work();
      await session.commitTransaction();
    } catch (error) {
      await session.abortTransaction().catch(() => undefined);
      throw error;
    }
  }

  /**
   * A duplicate key means either that this append's eventId is stored already (a retry of a
   * write that did succeed: a no-op) or that another writer took the version (a conflict).
   */
  private async explainDuplicate(
    userId: string,
    expectedVersion: number,
    eventId: string,
  ): Promise<AppendResult> {
    let found: { result: EventDocument | null; operationTime: Timestamp | undefined };
    try {
      found = await this.clock.readTimed((session) =>
        this.events.findOne(
          { _id: eventId },
          { session, projection: { _id: 1 }, maxTimeMS: this.timeoutMs },
        ),
      );
    } catch (error) {
      throw unavailable('check a duplicate', error);
    }
    if (!found.result) throw new VersionConflictError(userId, expectedVersion);
    // The majority read that found it saw its commit, so the read's time is at or after it.
    return { outcome: 'alreadyStored', position: encodePosition(requireTime(found.operationTime)) };
  }
}

interface DayGroup {
  readonly _id: { readonly day: string; readonly type: unknown };
  readonly count: number;
}

function requireTime(time: Timestamp | undefined): Timestamp {
  if (!time)
    throw new StoreMisconfiguredError(
      'MongoDB gave no operation time: it must run as a replica set',
    );
  return time;
}

/** Errors that already say what happened pass through; any other failure is the store's. */
function unavailable(operation: string, error: unknown): Error {
  if (
    error instanceof EmailTakenError ||
    error instanceof HistoryLostError ||
    error instanceof VersionConflictError ||
    error instanceof UnreadableEventError ||
    error instanceof SubscriptionEndedError ||
    error instanceof StoreMisconfiguredError
  ) {
    return error;
  }
  return new StoreUnavailableError(`MongoDB failed to ${operation}`, { cause: error });
}

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
import { TAIL_WAIT_MS } from './client-options';
import { decodePosition, encodePosition } from './commit-position';
import { type AppendSchemas, appendWrites, type AppendWrites, refusalOf } from './append-writes';
import { EVENTS_IN_ONE_READ, storedUserPipeline, toStoredUser } from './stored-user-read';
import { withEventsAfterPage } from './events-after-page';
import { toEvent, toEventDocument } from './event-documents';
import { asMongoCheckpoint, compareTimes, type MongoCheckpoint } from './mongo-checkpoint';
import { MongoTail } from './mongo-tail';
import { ResumeTokenReader, type StoreLog } from './resume-token';
import { isUnknownCommitResult, runTransaction } from './transaction';
import { COLLECTIONS, type EventDocument } from './schema';

/**
 * Runs of a transaction the server says did not commit, the first included. Racers for one
 * email conflict (112) only until the first claim commits, which takes one round trip; the
 * pauses before the second to fourth runs (up to 10, 20 and 40 ms) leave it that and more.
 */
const TRANSACTION_ATTEMPTS = 4;
/** Operations after which a collection-level change stream is closed by the server. */
const STREAM_ENDINGS = ['invalidate', 'drop', 'rename', 'dropDatabase'];

export class MongoEventStore implements EventStore, ChangeSource {
  private readonly events: Collection<EventDocument>;
  /** One for every tail of this store, so that an unreadable token is reported once. */
  private readonly tokens: ResumeTokenReader;

  /**
   * @param timeoutMs server time each request-path read may take (maxTimeMS)
   * @param log where what the store cannot work out by itself is said
   */
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly clock: CausalClock,
    private readonly timeoutMs: number,
    log: StoreLog,
    /** Events the one-command user read carries; the rest are paged (tests make it small). */
    private readonly eventsInOneRead = EVENTS_IN_ONE_READ,
  ) {
    this.tokens = new ResumeTokenReader(log);
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
    let first: StoredUser;
    try {
      const [result] = await this.clock.read((session) =>
        this.db
          .aggregate(storedUserPipeline(userId, this.eventsInOneRead), {
            session,
            maxTimeMS: this.timeoutMs,
          })
          .toArray(),
      );
      first = toStoredUser(result);
    } catch (error) {
      throw unavailable('read a user', error);
    }
    return withEventsAfterPage(first, this.eventsInOneRead, (afterVersion, limit) =>
      this.readUserHistory(userId, { afterVersion, limit }),
    );
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
    // A causally consistent session makes every read of the catch-up below wait until it
    // includes everything up to the live point (afterClusterTime: the live point's operation
    // time), on whichever member serves it, so no event falls between the reads and the tail.
    const session = this.client.startSession({ causalConsistency: true });
    try {
      const livePosition = await this.positionNow(session);
      return {
        livePosition,
        read: (after) => this.readPartitions(partitions, after, session),
        close: () => session.endSession(),
      };
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
    return new MongoTail(stream, this.tokens);
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

  /**
   * The partitions' events in catch-up order, after `after`: the rest of `after`'s user, then
   * the rest of its partition, then each later partition whole. Each query is one range of the
   * partition_userId_version index in its order (no $or, so the server neither sorts nor
   * merges), and the server compares `$gt` on ids as it sorts them, so nothing is skipped.
   *
   * No maxTimeMS: for a cursor that is not awaitData, each getMore inherits what is left of the
   * find's maxTimeMS (getmore_cmd.cpp: "roll over any leftover time from the maxTimeMS of the
   * operation that spawned this cursor"), so any bound would bound the whole read, and a store
   * larger than it could never be caught up with. A read that stalls ends with its connection
   * (the monitor's failed heartbeat interrupts in-use connections), and the subscription goes
   * on after the last event delivered.
   */
  private async *readPartitions(
    partitions: readonly number[],
    after: UserEvent | null,
    session: ClientSession,
  ): AsyncIterable<UserEvent> {
    try {
      for (const filter of catchUpRanges(partitions, after)) {
        const cursor = this.events
          .find(filter, { session })
          .sort({ partition: 1, userId: 1, version: 1 });
        for await (const document of cursor) yield toEvent(document);
      }
    } catch (error) {
      throw unavailable('read partitions', error);
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
   * Stored all or none. A transaction the server says did not commit (a write conflict with a
   * concurrent one, as among racers for one email) is run again, a few times within the time
   * limit: the loser of a claim race then sees the winner's claim, a duplicate key, and so
   * answers EmailTakenError rather than a conflict (transaction.ts).
   */
  private async inTransaction(session: ClientSession, work: () => Promise<void>): Promise<void> {
    await runTransaction(session, work, {
      attempts: TRANSACTION_ATTEMPTS,
      budgetMs: this.timeoutMs,
      options: { maxCommitTimeMS: this.timeoutMs },
      classify: commitOutcome,
    });
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

/** The queries, in order, that read the partitions' events after `after` (null: all of them). */
export function catchUpRanges(
  partitions: readonly number[],
  after: UserEvent | null,
): Filter<EventDocument>[] {
  const ordered = [...new Set(partitions)].sort((a, b) => a - b);
  if (!after) return ordered.map((partition) => ({ partition }));
  const { partition, userId, version } = after;
  return [
    ...(ordered.includes(partition)
      ? [
          { partition, userId, version: { $gt: version } },
          { partition, userId: { $gt: userId } },
        ]
      : []),
    ...ordered.filter((later) => later > partition).map((later) => ({ partition: later })),
  ];
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

/**
 * A commit the driver could not confirm even after its own retry may have been stored: the
 * caller must not take it for a lost race or a refusal.
 */
function commitOutcome(error: unknown): unknown {
  if (!isUnknownCommitResult(error)) return error;
  return new StoreUnavailableError('MongoDB did not confirm the commit: the append may be stored', {
    cause: error,
  });
}

/** Errors that already say what happened pass through; any other failure is the store's. */
function unavailable(operation: string, error: unknown): Error {
  if (
    error instanceof EmailTakenError ||
    error instanceof HistoryLostError ||
    error instanceof VersionConflictError ||
    error instanceof UnreadableEventError ||
    error instanceof SubscriptionEndedError ||
    error instanceof StoreMisconfiguredError ||
    error instanceof StoreUnavailableError
  ) {
    return error;
  }
  return new StoreUnavailableError(`MongoDB failed to ${operation}`, { cause: error });
}

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
  AppendResult,
  Checkpoint,
  CommitPosition,
  EmailClaim,
  EventDayCount,
  EventStore,
  HistoryQuery,
  Subscription,
  SubscriptionHandler,
  SubscriptionRequest,
} from '../event-store';
import type { CausalClock } from './causal-clock';
import { TAIL_WAIT_MS } from './client-options';
import { decodePosition, encodePosition } from './commit-position';
import { hasCode, hasLabel, MONGO_ERROR } from './error-codes';
import { toEvent, toEventDocument } from './event-documents';
import { asMongoCheckpoint, compareTimes, type MongoCheckpoint } from './mongo-checkpoint';
import { MongoTail } from './mongo-tail';
import { COLLECTIONS, type EmailClaimDocument, type EventDocument } from './schema';

/**
 * Server time a catch-up read may take, the wait for its causal point included. Generous: it
 * reads whole partitions, off the request path; the bound only turns a stuck read into a retry.
 */
const CATCH_UP_MAX_MS = 120_000;
/** Operations after which a collection-level change stream is closed by the server. */
const STREAM_ENDINGS = ['invalidate', 'drop', 'rename', 'dropDatabase'];

export class MongoEventStore implements EventStore, ChangeSource {
  private readonly events: Collection<EventDocument>;
  private readonly claims: Collection<EmailClaimDocument>;

  /** @param timeoutMs server time each request-path read may take (maxTimeMS) */
  constructor(
    private readonly client: MongoClient,
    private readonly db: Db,
    private readonly clock: CausalClock,
    private readonly timeoutMs: number,
  ) {
    this.events = db.collection<EventDocument>(COLLECTIONS.events);
    this.claims = db.collection<EmailClaimDocument>(COLLECTIONS.emailClaims);
  }

  async append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
    emailClaim?: EmailClaim,
  ): Promise<AppendResult> {
    const { firstEventId } = assertAppendable(userId, expectedVersion, events);
    const documents = events.map(toEventDocument);
    try {
      // The unique index stops two events at one version, not a hole: that takes the predecessor.
      if (expectedVersion > 0) await this.requireVersion(userId, expectedVersion);
      const committedAt = await this.insert(userId, documents, emailClaim);
      return { outcome: 'appended', position: encodePosition(committedAt) };
    } catch (error) {
      if (error instanceof EmailTakenError) throw error;
      if (!lostRace(error)) throw unavailable('append', error);
      return this.explainDuplicate(userId, expectedVersion, firstEventId);
    }
  }

  async readEvent(eventId: string): Promise<UserEvent | null> {
    try {
      const document = await this.clock.read((session) =>
        this.events.findOne({ _id: eventId }, { session, maxTimeMS: this.timeoutMs }),
      );
      return document ? toEvent(document) : null;
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

  private async requireVersion(userId: string, version: number): Promise<void> {
    const found = await this.clock.read((session) =>
      this.events.findOne(
        { userId, version },
        { session, projection: { _id: 1 }, maxTimeMS: this.timeoutMs },
      ),
    );
    if (!found) throw new VersionConflictError(userId, version);
  }

  /**
   * The operation time of the write: the optime of the insert (of the commit, for a
   * transaction), which is the clusterTime of its change events, so a subscription's checkpoint
   * reaches it once it has delivered them. One event that leaves the emails as they were (no
   * claim) is a plain insert; anything else is a transaction (decision 0009).
   */
  private async insert(
    userId: string,
    documents: EventDocument[],
    emailClaim: EmailClaim | undefined,
  ): Promise<Timestamp> {
    const session = this.clock.writeSession();
    try {
      const [first] = documents;
      if (documents.length === 1 && first && !emailClaim) {
        await this.events.insertOne(first, { session });
      } else {
        await this.inTransaction(session, async () => {
          // Events first: a retry of a stored append fails here, as alreadyStored, before its
          // claim could be refused because the email moved on since.
          await this.events.insertMany(documents, { session });
          if (emailClaim) await this.changeClaims(userId, emailClaim, session);
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
   * Afterwards the user holds exactly the email the claim names (by its keyed hash, which is the
   * claim's `_id`: the store never sees the email), or none. Its other claims go first, so the
   * unique index on `userId` never sees two. The upsert matches only a claim this user holds
   * already; one held by another user makes it insert a second `_id`: a duplicate key.
   */
  private async changeClaims(
    userId: string,
    change: EmailClaim,
    session: ClientSession,
  ): Promise<void> {
    if (change.kind === 'release') {
      await this.claims.deleteMany({ userId }, { session });
      return;
    }
    await this.claims.deleteMany({ userId, _id: { $ne: change.key } }, { session });
    try {
      await this.claims.replaceOne(
        { _id: change.key, userId },
        { userId },
        {
          session,
          upsert: true,
        },
      );
    } catch (error) {
      if (hasCode(error, MONGO_ERROR.DuplicateKey)) throw new EmailTakenError(userId);
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

/**
 * Another append got there first: a duplicate key, or, inside a transaction, a write conflict
 * with a concurrent one (which aborted this transaction, so nothing of it was stored).
 */
export function lostRace(error: unknown): boolean {
  return (
    hasCode(error, MONGO_ERROR.DuplicateKey) ||
    (hasCode(error, MONGO_ERROR.WriteConflict) && hasLabel(error, 'TransientTransactionError'))
  );
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

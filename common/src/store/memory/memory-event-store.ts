import { compareIds, type UserEvent } from '../../domain';
import { assertAppendable } from '../append-rules';
import { SerializedLog } from './serialized-log';
import { MemoryEmailClaims } from './memory-email-claims';
import { decodePosition, encodePosition, positionOf, toCheckpoint } from './memory-checkpoint';
import { type OutageSwitch } from './outage-switch';
import { startCatchUpSubscription } from '../catch-up-subscription';
import {
  type CatchUp,
  type ChangeSource,
  type ChangeTail,
  isAfterInCatchUpOrder,
  type TailedChange,
  type TailStep,
} from '../change-source';
import { HistoryLostError, VersionConflictError } from '../errors';
import { assertLimit } from '../query-rules';
import type { InMemoryDataKeyStore } from './memory-data-key-store';
import type { InMemoryIdempotencyStore } from './memory-idempotency-store';
import type { InMemorySnapshotStore } from './memory-snapshot-store';
import type {
  AppendEffects,
  AppendResult,
  Checkpoint,
  CommitPosition,
  EventDayCount,
  EventStore,
  HistoryQuery,
  Subscription,
  SubscriptionHandler,
  StoredUser,
  SubscriptionRequest,
  FoundEvent,
} from '../event-store';

/** The other in-memory ports, which an append changes and a user read reads with the events. */
export interface SiblingStores {
  readonly snapshots: InMemorySnapshotStore;
  readonly dataKeys: InMemoryDataKeyStore;
  readonly idempotency: InMemoryIdempotencyStore;
}

const MS_PER_DAY = 86_400_000;

/** How long a tail waits for an append before answering "nothing new", like a change stream's await. */
const TAIL_WAIT_MS = 500;

/**
 * The event store in one process's memory: the same semantics as the MongoDB adapter, with the
 * log array standing in for the oplog (commit order) and the per-user lists for `Events`.
 */
export class InMemoryEventStore implements EventStore, ChangeSource {
  private readonly log = new SerializedLog();
  /** Each user's events, as indexes into the log: version n at position n - 1. */
  private readonly eventsByUser = new Map<string, number[]>();
  /** Each stored event's index in the log, by eventId. */
  private readonly logIndexes = new Map<string, number>();
  /** Tails waiting for an append, each with the partitions it follows. */
  private readonly appendListeners = new Map<() => void, ReadonlySet<number>>();
  /** Tails waiting for an append or for TAIL_WAIT_MS to pass, woken by one shared timer. */
  private readonly tickListeners = new Set<() => void>();
  private tick: NodeJS.Timeout | null = null;
  private readonly emailClaims = new MemoryEmailClaims();
  /** Tails cannot resume from a position before this one: the history before it is gone. */
  private historyStart = 0;

  constructor(
    private readonly outage: OutageSwitch,
    private readonly siblings: SiblingStores,
  ) {}

  /** Checks everything first and then changes everything, in one synchronous step: atomic. */
  async append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
    effects: AppendEffects = {},
  ): Promise<AppendResult> {
    assertAppendable(userId, expectedVersion, events);
    this.outage.check('append');
    const stored = this.storedPosition(events);
    if (stored !== undefined) return { outcome: 'alreadyStored', position: stored };
    const userEvents = this.eventsByUser.get(userId) ?? [];
    if (userEvents.length !== expectedVersion)
      throw new VersionConflictError(userId, expectedVersion);
    const { emailClaim, dataKey, outcome } = effects;
    const { dataKeys, idempotency } = this.siblings;
    if (dataKey?.kind === 'create' && dataKeys.keyOf(userId))
      throw new VersionConflictError(userId, expectedVersion);
    this.emailClaims.change(userId, emailClaim);
    if (dataKey?.kind === 'create') dataKeys.create(userId, dataKey.key);
    if (dataKey?.kind === 'destroy') dataKeys.delete(userId);
    if (outcome)
      idempotency.remember(outcome.key, outcome.token, outcome.outcome, outcome.expiresAt);
    for (const event of events) {
      const index = this.log.push(event);
      userEvents.push(index);
      this.logIndexes.set(event.eventId, index);
    }
    this.eventsByUser.set(userId, userEvents);
    // Only the tails of this user's partition: a partition's tail is not woken by every append
    // to the others (their positions are reported at the next tick, as a change stream's are).
    const [{ partition } = { partition: -1 }] = events;
    for (const [notify, partitions] of this.appendListeners)
      if (partitions.has(partition)) notify();
    // A tail's checkpoint after the last of these events is the log length now.
    return { outcome: 'appended', position: encodePosition(this.log.length) };
  }

  /** Just after the latest of these events that is stored already, if any is. */
  private storedPosition(events: readonly UserEvent[]): CommitPosition | undefined {
    let latest: number | undefined;
    for (const { eventId } of events) {
      const index = this.logIndexes.get(eventId);
      if (index !== undefined && (latest === undefined || index > latest)) latest = index;
    }
    return latest === undefined ? undefined : encodePosition(latest + 1);
  }

  async readUser(userId: string): Promise<StoredUser> {
    this.outage.check('read a user');
    const entry = this.siblings.snapshots.entryOf(userId);
    const snapshot = entry?.user ? entry : null;
    return {
      snapshot,
      events: this.eventsOf(userId, snapshot?.version ?? 0),
      dataKey: this.siblings.dataKeys.keyOf(userId),
    };
  }

  async readEvent(eventId: string): Promise<FoundEvent | null> {
    this.outage.check('read an event');
    const index = this.logIndexes.get(eventId);
    // A tail's checkpoint just after this event reaches it.
    return index === undefined
      ? null
      : { event: this.log.at(index), position: encodePosition(index + 1) };
  }

  async readUserEvents(userId: string, afterVersion = 0): Promise<UserEvent[]> {
    this.outage.check('read events');
    return this.eventsOf(userId, afterVersion);
  }

  /** The user's events above `afterVersion`, each a copy of its own. */
  private eventsOf(userId: string, afterVersion: number): UserEvent[] {
    return (this.eventsByUser.get(userId) ?? [])
      .slice(afterVersion)
      .map((index) => this.log.at(index));
  }

  async readUserHistory(userId: string, query: HistoryQuery): Promise<UserEvent[]> {
    const { afterVersion, types, from, to, limit } = query;
    assertLimit(limit);
    this.outage.check('read a user history');
    const fromMs = from?.getTime() ?? Number.NEGATIVE_INFINITY;
    const toMs = to?.getTime() ?? Number.POSITIVE_INFINITY;
    const found: UserEvent[] = [];
    // A user's list holds version n at index n - 1.
    for (const index of (this.eventsByUser.get(userId) ?? []).slice(Math.max(afterVersion, 0))) {
      if (found.length >= limit) break;
      const at = this.log.timeAt(index);
      const type = this.log.typeAt(index);
      if (at >= fromMs && at < toMs && (!types || (type && types.includes(type))))
        found.push(this.log.at(index));
    }
    return found;
  }

  async countEventsByDay(from: Date, to: Date): Promise<EventDayCount[]> {
    this.outage.check('count events by day');
    const fromMs = from.getTime();
    const toMs = to.getTime();
    // Per day number since the epoch, per type: the day's text is built once per day, not per
    // event, and the log being mostly in time order, one day's counts are looked up once per run.
    const days = new Map<number, Map<string, number>>();
    let runDay = Number.NaN;
    let runTypes = new Map<string, number>();
    for (let index = 0; index < this.log.length; index++) {
      const at = this.log.timeAt(index);
      const type = this.log.typeAt(index);
      if (!(at >= fromMs && at < toMs) || type === undefined) continue;
      const dayNumber = Math.floor(at / MS_PER_DAY);
      if (dayNumber !== runDay) {
        runDay = dayNumber;
        const types = days.get(dayNumber);
        if (types) runTypes = types;
        else days.set(dayNumber, (runTypes = new Map()));
      }
      runTypes.set(type, (runTypes.get(type) ?? 0) + 1);
    }
    const counts: EventDayCount[] = [];
    for (const dayNumber of [...days.keys()].sort((a, b) => a - b)) {
      const day = new Date(dayNumber * MS_PER_DAY).toISOString().slice(0, 10);
      const types = days.get(dayNumber) ?? new Map<string, number>();
      // By code units, as MongoDB sorts text without a collation: the order ids have too.
      for (const type of [...types.keys()].sort(compareIds))
        counts.push({ day, type, count: types.get(type) ?? 0 });
    }
    return counts;
  }

  subscribe(request: SubscriptionRequest, handler: SubscriptionHandler): Subscription {
    return startCatchUpSubscription(this, request, handler);
  }

  /** Fault injection: forget the history before now, as a MongoDB oplog does when it rolls over. */
  forgetHistory(): void {
    this.historyStart = this.log.length;
  }

  commitPositionOf(checkpoint: Checkpoint): CommitPosition {
    return encodePosition(positionOf(checkpoint));
  }

  comparePositions(a: CommitPosition, b: CommitPosition): number {
    return Math.sign(decodePosition(a) - decodePosition(b));
  }

  async catchUp(partitions: readonly number[]): Promise<CatchUp> {
    this.outage.check('catch up');
    return {
      livePosition: toCheckpoint(this.log.length),
      read: (after) => this.readPartitions(partitions, after),
      close: async () => undefined,
    };
  }

  /** In catch-up order (change-source.ts), as MongoDB's partition_userId_version index gives it. */
  private async *readPartitions(
    partitions: readonly number[],
    after: UserEvent | null,
  ): AsyncIterable<UserEvent> {
    const wanted = new Set(partitions);
    const users = [...this.eventsByUser].flatMap(([userId, indexes]) => {
      const partition = indexes[0] === undefined ? undefined : this.log.partitionAt(indexes[0]);
      return partition !== undefined && wanted.has(partition)
        ? [{ userId, partition, indexes }]
        : [];
    });
    users.sort((a, b) => a.partition - b.partition || compareIds(a.userId, b.userId));
    for (const { indexes } of users) {
      this.outage.check('catch up');
      for (const index of indexes) {
        const event = this.log.at(index);
        if (isAfterInCatchUpOrder(event, after)) yield event;
      }
    }
  }

  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail {
    return new MemoryTail(this, new Set(partitions), positionOf(from));
  }

  async headPosition(): Promise<Checkpoint> {
    this.outage.check('read the head position');
    return toCheckpoint(this.log.length);
  }

  reached(position: Checkpoint, target: Checkpoint): boolean {
    return positionOf(position) >= positionOf(target);
  }

  /** For tails: the next matching change at or after `position`, or undefined. */
  changeAt(
    position: number,
    partitions: ReadonlySet<number>,
  ): { change?: TailedChange; scanned: number } {
    this.outage.check('tail events');
    if (position < this.historyStart)
      throw new HistoryLostError(`position ${position} is no longer in the log`);
    for (let index = position; index < this.log.length; index++) {
      const partition = this.log.partitionAt(index);
      if (partition !== undefined && partitions.has(partition)) {
        return {
          change: {
            kind: 'change',
            event: this.log.at(index),
            checkpoint: toCheckpoint(index + 1),
          },
          scanned: index + 1,
        };
      }
    }
    return { scanned: this.log.length };
  }

  /**
   * Calls `listener` within TAIL_WAIT_MS, at the next tick of one timer all waiting tails share:
   * a timer of its own per wait would cost every tail one per append (a tail per partition).
   */
  onTick(listener: () => void): () => void {
    this.tickListeners.add(listener);
    this.tick ??= setInterval(() => {
      for (const notify of [...this.tickListeners]) notify();
      if (this.tickListeners.size === 0 && this.tick) {
        clearInterval(this.tick);
        this.tick = null;
      }
    }, TAIL_WAIT_MS).unref();
    return () => this.tickListeners.delete(listener);
  }

  /** Calls `listener` on the next append to one of the partitions, or when the store goes down. */
  onAppendOrOutage(partitions: ReadonlySet<number>, listener: () => void): () => void {
    this.appendListeners.set(listener, partitions);
    const stopWatchingOutage = this.outage.onOutage(listener);
    return () => {
      this.appendListeners.delete(listener);
      stopWatchingOutage();
    };
  }
}

class MemoryTail implements ChangeTail {
  private closed = false;
  private idle = false;
  private wake: () => void = () => undefined;

  constructor(
    private readonly store: InMemoryEventStore,
    private readonly partitions: ReadonlySet<number>,
    private position: number,
  ) {}

  async next(): Promise<TailStep> {
    for (;;) {
      if (this.closed) return this.idleStep();
      const { change, scanned } = this.store.changeAt(this.position, this.partitions);
      this.position = scanned;
      if (change) {
        this.idle = false;
        return change;
      }
      // Like a change stream's empty batch: say "nothing now" at once, then only after an append
      // or a bounded wait, so that a quiet tail still reports where it is.
      if (!this.idle) {
        this.idle = true;
        return this.idleStep();
      }
      if (!(await this.nextAppend())) return this.idleStep();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake();
  }

  private idleStep(): TailStep {
    return { kind: 'idle', position: toCheckpoint(this.position) };
  }

  /**
   * Resolves true on the next append (or outage, or close), false at the store's next tick
   * without one (within TAIL_WAIT_MS).
   */
  private nextAppend(): Promise<boolean> {
    return new Promise((resolve) => {
      const stopTicking = this.store.onTick(() => finish(false));
      const unsubscribe = this.store.onAppendOrOutage(this.partitions, () => finish(true));
      const finish = (appended: boolean) => {
        stopTicking();
        unsubscribe();
        resolve(appended);
      };
      this.wake = () => finish(true);
    });
  }
}

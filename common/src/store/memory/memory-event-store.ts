import type { UserEvent } from '../../domain';
import { assertAppendable } from '../append-rules';
import { frozenCopy } from './frozen-copy';
import { positionOf, toCheckpoint } from './memory-checkpoint';
import { OutageSwitch } from './outage-switch';
import { startCatchUpSubscription } from '../catch-up-subscription';
import type { CatchUp, ChangeSource, ChangeTail, TailedChange, TailStep } from '../change-source';
import { HistoryLostError, VersionConflictError } from '../errors';
import type {
  AppendOutcome,
  Checkpoint,
  EventStore,
  Subscription,
  SubscriptionHandler,
  SubscriptionRequest,
} from '../ports';

/** How long a tail waits for an append before answering "nothing new", like a change stream's await. */
const TAIL_WAIT_MS = 500;

/**
 * The event store in one process's memory: the same semantics as the MongoDB adapter, with the
 * log array standing in for the oplog (commit order) and the per-user lists for `Events`.
 */
export class InMemoryEventStore implements EventStore, ChangeSource {
  private readonly log: UserEvent[] = [];
  private readonly eventsByUser = new Map<string, UserEvent[]>();
  private readonly eventIds = new Set<string>();
  private readonly appendListeners = new Set<() => void>();
  /** Tails cannot resume from a position before this one: the history before it is gone. */
  private historyStart = 0;

  constructor(private readonly outage = new OutageSwitch()) {}

  async append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
  ): Promise<AppendOutcome> {
    assertAppendable(userId, expectedVersion, events);
    this.outage.check('append');
    if (events.some((event) => this.eventIds.has(event.eventId))) return 'alreadyStored';
    const userEvents = this.eventsByUser.get(userId) ?? [];
    if (userEvents.length !== expectedVersion)
      throw new VersionConflictError(userId, expectedVersion);
    for (const event of events) {
      const stored = frozenCopy(event);
      userEvents.push(stored);
      this.log.push(stored);
      this.eventIds.add(stored.eventId);
    }
    this.eventsByUser.set(userId, userEvents);
    for (const notify of this.appendListeners) notify();
    return 'appended';
  }

  async readUserEvents(userId: string, afterVersion = 0): Promise<UserEvent[]> {
    this.outage.check('read events');
    return (this.eventsByUser.get(userId) ?? []).slice(afterVersion);
  }

  subscribe(request: SubscriptionRequest, handler: SubscriptionHandler): Subscription {
    return startCatchUpSubscription(this, request, handler);
  }

  /** Fault injection: forget the history before now, as a MongoDB oplog does when it rolls over. */
  forgetHistory(): void {
    this.historyStart = this.log.length;
  }

  async catchUp(partitions: readonly number[]): Promise<CatchUp> {
    this.outage.check('catch up');
    return { livePosition: toCheckpoint(this.log.length), events: this.readPartitions(partitions) };
  }

  private async *readPartitions(partitions: readonly number[]): AsyncIterable<UserEvent> {
    const wanted = new Set(partitions);
    for (const events of [...this.eventsByUser.values()]) {
      this.outage.check('catch up');
      if (events[0] && wanted.has(events[0].partition)) yield* events;
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
      const event = this.log[index];
      if (event && partitions.has(event.partition)) {
        return {
          change: { kind: 'change', event, checkpoint: toCheckpoint(index + 1) },
          scanned: index + 1,
        };
      }
    }
    return { scanned: this.log.length };
  }

  /** Calls `listener` on the next append, or when the store goes down. */
  onAppendOrOutage(listener: () => void): () => void {
    this.appendListeners.add(listener);
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

  /** Resolves true on the next append (or outage, or close), false after TAIL_WAIT_MS without one. */
  private nextAppend(): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => finish(false), TAIL_WAIT_MS);
      const unsubscribe = this.store.onAppendOrOutage(() => finish(true));
      const finish = (appended: boolean) => {
        clearTimeout(timer);
        unsubscribe();
        resolve(appended);
      };
      this.wake = () => finish(true);
    });
  }
}

import { compareIds, type UserEvent } from '../domain';
import type { Checkpoint } from './event-store';

/**
 * What an adapter provides so that the one subscription algorithm in catch-up-subscription.ts
 * can run on it.
 */
export interface ChangeSource {
  /**
   * Fixes the live start point first; its `read` then gives every stored event of the
   * partitions. Everything committed before `livePosition` is among them, and a tail opened from
   * `livePosition` delivers everything committed after it, however long reading takes: together
   * they miss nothing, and may overlap.
   */
  catchUp(partitions: readonly number[]): Promise<CatchUp>;
  readUserEvents(userId: string, afterVersion: number): Promise<UserEvent[]>;
  /** Changes committed after `from`, in commit order. */
  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail;
  /**
   * The store's position now: a tail whose position has reached it has delivered every change
   * committed before this call.
   */
  headPosition(): Promise<Checkpoint>;
  /** Whether `position` is at or past `target` (both from this source). */
  reached(position: Checkpoint, target: Checkpoint): boolean;
}

export interface CatchUp {
  readonly livePosition: Checkpoint;
  /**
   * The stored events of the partitions in catch-up order (by partition, then user id in the
   * store's own string order, then version), from just after `after` (an event this read gave), or from the
   * first with null. A read that failed can be started again after the last event it gave, so
   * a long catch-up goes on from where it was instead of from the beginning; what it gives then
   * still includes everything committed before `livePosition`.
   */
  read(after: UserEvent | null): AsyncIterable<UserEvent>;
  /** Releases what the catch-up holds; once done with it, or abandoning it. */
  close(): Promise<void>;
}

/** Whether `event` comes after `after` in catch-up order, ids compared as `compareIds` does. */
export function isAfterInCatchUpOrder(event: UserEvent, after: UserEvent | null): boolean {
  if (!after) return true;
  if (event.partition !== after.partition) return event.partition > after.partition;
  if (event.userId !== after.userId) return compareIds(event.userId, after.userId) > 0;
  return event.version > after.version;
}

export interface TailedChange {
  readonly kind: 'change';
  readonly event: UserEvent;
  /** Resuming from here delivers what was committed after this event. */
  readonly checkpoint: Checkpoint;
}

/**
 * No change is waiting (after a bounded wait). `position` is how far the tail has looked: every
 * matching change before it has been delivered, so it is a checkpoint too. Null while unknown.
 * It need not be the store's head: a tail may answer "nothing yet" before it has looked at
 * everything committed so far. On MongoDB an empty getMore batch is a scan that reached the end
 * of the majority-committed oplog as it read it (getmore_cmd.cpp, "empty batches are always
 * caused by hitting EOF"), but a write may commit right after, before the head is read; and
 * after a failover the new primary's majority point can trail a head read from the old one.
 */
export interface TailIdle {
  readonly kind: 'idle';
  readonly position: Checkpoint | null;
}

export type TailStep = TailedChange | TailIdle;

export interface ChangeTail {
  /**
   * The next change, or where the tail has got to when none is waiting. Throws HistoryLostError
   * when its start point is no longer in the store's history, SubscriptionEndedError when it can
   * never go on, StoreUnavailableError otherwise.
   */
  next(): Promise<TailStep>;
  close(): Promise<void>;
}

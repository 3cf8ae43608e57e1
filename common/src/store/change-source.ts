import type { UserEvent } from '../domain';
import type { Checkpoint } from './ports';

/**
 * What an adapter provides so that the one subscription algorithm in catch-up-subscription.ts
 * can run on it.
 */
export interface ChangeSource {
  /**
   * Fixes the live start point first, then reads every stored event of the partitions, each
   * user's in version order. Everything committed before `livePosition` is among `events`, and a
   * tail opened from `livePosition` delivers everything committed after it, however long reading
   * takes: together they miss nothing, and may overlap.
   */
  catchUp(partitions: readonly number[]): Promise<CatchUp>;
  readUserEvents(userId: string, afterVersion: number): Promise<UserEvent[]>;
  /** Changes committed after `from`, in commit order. */
  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail;
}

export interface CatchUp {
  readonly livePosition: Checkpoint;
  readonly events: AsyncIterable<UserEvent>;
}

export interface TailedChange {
  readonly event: UserEvent;
  /** Resuming from here delivers what was committed after this event. */
  readonly checkpoint: Checkpoint;
}

export interface ChangeTail {
  /**
   * The next change, or null when none is waiting (after waiting a bounded time for one).
   * Throws HistoryLostError when the tail's start point is no longer in the store's history.
   */
  next(): Promise<TailedChange | null>;
  close(): Promise<void>;
}

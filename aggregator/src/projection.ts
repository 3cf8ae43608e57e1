import {
  evolve,
  initialUserState,
  UnreadableEventError,
  type UserEvent,
  type UserState,
} from '@user-service/common/domain';
import type { SnapshotEntry } from '@user-service/common/store';
import { LiveUserIndex, type UserPageQuery } from './live-user-index';

/**
 * The version of what this projection makes of events. Raise it when the same events are to be
 * folded into other users (a fix to how they are folded): snapshots saved by another version are
 * then not trusted, and each partition is rebuilt from the log as it is taken.
 */
export const PROJECTION_VERSION = 1;

interface HeldUser {
  readonly partition: number;
  readonly state: UserState;
}

/**
 * `parked`: the event could not be folded, so the user's state from here on is unknown; the user
 * is parked. `skipped`: the user was parked already and its later events are not applied either.
 */
export type ApplyOutcome =
  | { readonly kind: 'applied' }
  | { readonly kind: 'parked'; readonly error: UnreadableEventError }
  | { readonly kind: 'skipped' };

/**
 * The users of an aggregator's partitions, in memory, as folded from their events. It remembers
 * which users changed since the last snapshot, and lets readers wait for a version to arrive.
 */
export class UserProjection {
  private readonly users = new Map<string, HeldUser>();
  private dirty = new Set<string>();
  /** Parked users, with why the event that parked them could not be applied. */
  private readonly parked = new Map<string, UnreadableEventError>();
  private readonly waiters = new Map<string, Set<() => void>>();
  private live = new LiveUserIndex((userId) => this.get(userId).user);
  /** While false, the index of live users is left behind, to be built once at `indexNow`. */
  private indexing = true;

  constructor(restored: readonly SnapshotEntry[] = []) {
    this.restore(restored);
  }

  /**
   * Stops keeping the index of live users up to date until `indexNow`: for a projection that
   * answers no page or count meanwhile (a rebuild catching up), where every move of a user
   * between groups would otherwise shift ids in the index once per event.
   */
  deferIndex(): void {
    this.indexing = false;
  }

  /** Builds the index of live users from the users held, and keeps it up to date again. */
  indexNow(): void {
    if (this.indexing) return;
    this.live = new LiveUserIndex((userId) => this.get(userId).user);
    for (const [userId, held] of this.users) this.live.change(userId, null, held.state.user);
    this.indexing = true;
  }

  /** Takes in the users of a snapshot; only before the first event is applied. */
  restore(restored: readonly SnapshotEntry[]): void {
    for (const entry of restored) {
      this.users.set(entry.userId, {
        partition: entry.partition,
        state: { version: entry.version, user: entry.user },
      });
      if (this.indexing) this.live.change(entry.userId, null, entry.user);
    }
  }

  get size(): number {
    return this.users.size;
  }

  knownVersions(): Map<string, number> {
    return new Map([...this.users].map(([userId, held]) => [userId, held.state.version]));
  }

  get parkedCount(): number {
    return this.parked.size;
  }

  /** Why the user's events cannot be applied (its state is unknown, so it must not be served), if they cannot. */
  parkedBecause(userId: string): UnreadableEventError | undefined {
    return this.parked.get(userId);
  }

  anyParked(): UnreadableEventError | undefined {
    return this.parked.values().next().value;
  }

  /** The subscription guarantees that `event` is the user's next version. */
  apply(event: UserEvent): ApplyOutcome {
    if (this.parked.has(event.userId)) return { kind: 'skipped' };
    const previous = this.users.get(event.userId)?.state ?? initialUserState;
    let next: UserState;
    try {
      next = evolve(previous, event);
    } catch (error) {
      if (!(error instanceof UnreadableEventError)) throw error;
      // Its last good state stays out of snapshots too: what is saved must not look current.
      this.parked.set(event.userId, error);
      this.dirty.delete(event.userId);
      return { kind: 'parked', error };
    }
    this.users.set(event.userId, { partition: event.partition, state: next });
    if (this.indexing) this.live.change(event.userId, previous.user, next.user);
    this.dirty.add(event.userId);
    const waiting = this.waiters.get(event.userId);
    if (waiting) for (const wake of waiting) wake();
    return { kind: 'applied' };
  }

  get(userId: string): UserState {
    return this.users.get(userId)?.state ?? initialUserState;
  }

  /** A page of live users in id order. */
  page(query: UserPageQuery) {
    return this.live.page(query);
  }

  /** Live users per group (only `group` when given). */
  countByGroup(group?: number): Map<number, number> {
    return this.live.countByGroup(group);
  }

  /** Live users only, with their versions: what a snapshot of everything would hold. */
  liveEntries(): SnapshotEntry[] {
    return [...this.users].flatMap(([userId, held]) =>
      held.state.user ? [toEntry(userId, held)] : [],
    );
  }

  /** Hands over the users changed since the last call, deleted ones included. */
  takeChanges(): SnapshotEntry[] {
    const changed = [...this.dirty];
    this.dirty = new Set();
    return changed.flatMap((userId) => {
      const held = this.users.get(userId);
      return held ? [toEntry(userId, held)] : [];
    });
  }

  /** Gives changes back after a failed snapshot, so that the next one includes them. */
  restoreChanges(entries: readonly SnapshotEntry[]): void {
    for (const entry of entries) this.dirty.add(entry.userId);
  }

  /** Resolves true once the user reaches `version`, or false after `timeoutMs`. */
  async waitForVersion(userId: string, version: number, timeoutMs: number): Promise<boolean> {
    if (this.get(userId).version >= version) return true;
    const waiting = this.waiters.get(userId) ?? new Set<() => void>();
    this.waiters.set(userId, waiting);
    return new Promise((resolve) => {
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        waiting.delete(check);
        if (waiting.size === 0) this.waiters.delete(userId);
        resolve(reached);
      };
      const check = () => {
        if (this.get(userId).version >= version) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      waiting.add(check);
    });
  }
}

function toEntry(userId: string, held: HeldUser): SnapshotEntry {
  return { userId, partition: held.partition, version: held.state.version, user: held.state.user };
}

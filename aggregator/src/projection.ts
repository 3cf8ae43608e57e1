import { evolve, initialUserState, type SnapshotEntry, type UserEvent, type UserState } from '@user-service/common';

interface HeldUser {
  readonly partition: number;
  readonly state: UserState;
}

/**
 * The users of an aggregator's partitions, in memory, as folded from their events. It remembers
 * which users changed since the last snapshot, and lets readers wait for a version to arrive.
 */
export class UserProjection {
  private readonly users = new Map<string, HeldUser>();
  private dirty = new Set<string>();
  private readonly waiters = new Map<string, Set<() => void>>();

  constructor(restored: readonly SnapshotEntry[] = []) {
    for (const entry of restored) {
      this.users.set(entry.userId, { partition: entry.partition, state: { version: entry.version, user: entry.user } });
    }
  }

  get size(): number {
    return this.users.size;
  }

  knownVersions(): Map<string, number> {
    return new Map([...this.users].map(([userId, held]) => [userId, held.state.version]));
  }

  /** The subscription guarantees that `event` is the user's next version. */
  apply(event: UserEvent): void {
    const previous = this.users.get(event.userId)?.state ?? initialUserState;
    this.users.set(event.userId, { partition: event.partition, state: evolve(previous, event) });
    this.dirty.add(event.userId);
    const waiting = this.waiters.get(event.userId);
    if (waiting) for (const wake of waiting) wake();
  }

  get(userId: string): UserState {
    return this.users.get(userId)?.state ?? initialUserState;
  }

  /** Live users only, with their versions: what a snapshot of everything would hold. */
  liveEntries(): SnapshotEntry[] {
    return [...this.users].flatMap(([userId, held]) => (held.state.user ? [toEntry(userId, held)] : []));
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

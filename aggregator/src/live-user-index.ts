import type { User } from '@user-service/common/domain';

export interface UserPageQuery {
  readonly group?: number;
  /** Only ids greater than this one. */
  readonly after?: string;
  readonly limit: number;
}

/**
 * The live users' ids in order, overall and per group, so that a page is a binary search and a
 * slice, and a count is a length: no request sorts or scans all users. Kept sorted on every
 * change (an insert moves the ids after it, a memory move that stays cheap well past a million
 * users per aggregator).
 */
export class LiveUserIndex {
  private readonly all: string[] = [];
  private readonly byGroup = new Map<number, string[]>();
  private readonly users = new Map<string, User>();

  get size(): number {
    return this.all.length;
  }

  /** Records the user's new state: `user` null (deleted) removes it. */
  set(userId: string, user: User | null): void {
    const previous = this.users.get(userId);
    if (previous) {
      remove(this.all, userId);
      const group = this.byGroup.get(previous.group);
      if (group) {
        remove(group, userId);
        if (group.length === 0) this.byGroup.delete(previous.group);
      }
      this.users.delete(userId);
    }
    if (!user) return;
    this.users.set(userId, user);
    insert(this.all, userId);
    const group = this.byGroup.get(user.group) ?? [];
    insert(group, userId);
    this.byGroup.set(user.group, group);
  }

  page(query: UserPageQuery): User[] {
    const ids = query.group === undefined ? this.all : (this.byGroup.get(query.group) ?? []);
    const start = query.after === undefined ? 0 : firstAbove(ids, query.after);
    return ids.slice(start, start + query.limit).map((id) => this.users.get(id) as User);
  }

  /** Live users per group; only `group` when given. */
  countByGroup(group?: number): Map<number, number> {
    if (group === undefined)
      return new Map([...this.byGroup].map(([key, ids]) => [key, ids.length]));
    const count = this.byGroup.get(group)?.length ?? 0;
    return count > 0 ? new Map([[group, count]]) : new Map();
  }
}

/** The index of the first id greater than `id` (ids compare by UTF-16 code units, like `<`). */
function firstAbove(ids: readonly string[], id: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if ((ids[middle] as string) <= id) low = middle + 1;
    else high = middle;
  }
  return low;
}

function insert(ids: string[], id: string): void {
  const at = firstAbove(ids, id);
  if (ids[at - 1] !== id) ids.splice(at, 0, id);
}

function remove(ids: string[], id: string): void {
  const at = firstAbove(ids, id) - 1;
  if (ids[at] === id) ids.splice(at, 1);
}

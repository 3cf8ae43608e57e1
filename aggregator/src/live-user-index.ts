import type { User } from '@user-service/common/domain';
import { SortedIds } from '@user-service/common/store';

export interface UserPageQuery {
  readonly group?: number;
  /** Only ids greater than this one. */
  readonly after?: string;
  readonly limit: number;
}

/**
 * The live users' ids in order, overall and per group, so that a page is a binary search and a
 * slice, and a count is a size: no request sorts or scans all users. It holds ids only; the users
 * themselves are looked up where they are kept (the projection), so they are not held twice.
 */
export class LiveUserIndex {
  private readonly all = new SortedIds();
  private readonly byGroup = new Map<number, SortedIds>();

  constructor(private readonly lookup: (userId: string) => User | null) {}

  get size(): number {
    return this.all.size;
  }

  /**
   * Records a change of the user from `previous` to `next` (null: not live). An update that keeps
   * the group leaves the ids where they are: only creates, deletes and moves between groups touch
   * them (replaying 100,000 updates took 22 s when every update moved its id).
   */
  change(userId: string, previous: User | null, next: User | null): void {
    if (!previous && next) this.all.add(userId);
    if (previous && !next) this.all.delete(userId);
    if (previous?.group !== next?.group) {
      if (previous) this.leaveGroup(previous.group, userId);
      if (next) this.joinGroup(next.group, userId);
    }
  }

  page(query: UserPageQuery): User[] {
    const ids = query.group === undefined ? this.all : this.byGroup.get(query.group);
    return (ids?.page(query.after, query.limit) ?? []).map((id) => this.lookup(id) as User);
  }

  /** Live users per group; only `group` when given. */
  countByGroup(group?: number): Map<number, number> {
    if (group === undefined) return new Map([...this.byGroup].map(([key, ids]) => [key, ids.size]));
    const count = this.byGroup.get(group)?.size ?? 0;
    return count > 0 ? new Map([[group, count]]) : new Map();
  }

  private joinGroup(group: number, userId: string): void {
    const ids = this.byGroup.get(group) ?? new SortedIds();
    ids.add(userId);
    this.byGroup.set(group, ids);
  }

  private leaveGroup(group: number, userId: string): void {
    const ids = this.byGroup.get(group);
    if (!ids) return;
    ids.delete(userId);
    if (ids.size === 0) this.byGroup.delete(group);
  }
}

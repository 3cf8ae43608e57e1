export interface User {
  readonly id: string;
  readonly name: string;
  readonly email: string;
  readonly group: number;
}

export type UserFields = Omit<User, 'id'>;

/**
 * The API's order of user ids, part of its contract (lists page through it with `after`): by
 * UTF-16 code units, as `<` compares strings, never by locale. For ids, which are ASCII, it is
 * also how MongoDB sorts text without a collation.
 */
export function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
export type UserPatch = Partial<UserFields>;

/**
 * What the event log says about one user id. `version` counts every event ever stored for the id
 * (so it keeps counting across a delete and a re-create); `user` is null when the id has never
 * been created or its latest event deleted it.
 */
export interface UserState {
  readonly version: number;
  readonly user: User | null;
  /**
   * Why `user` is null beyond never created or deleted:
   * - `erased`: the id's latest event is UserErased;
   * - `unreadable`: its events leave a live user, but that user's personal data is erased (read
   *   as of a version before an erasure, or between an erasure's key destruction and its event).
   */
  readonly erasure?: 'erased' | 'unreadable';
}

export const initialUserState: UserState = Object.freeze({ version: 0, user: null });

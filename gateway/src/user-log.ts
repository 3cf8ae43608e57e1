import {
  type AsOf,
  initialUserState,
  stateAsOf,
  type UserEvent,
  type UserState,
} from '@user-service/common/domain';
import {
  type DataKey,
  foldSealed,
  type ListedUsers,
  listedUsersOf,
  type PersonalData,
  sealAndAppend,
} from '@user-service/common/personal-data';
import {
  type AppendResult,
  type CommitPosition,
  type HistoryQuery,
  type RememberedOutcome,
  type Store,
  type UserListQuery,
} from '@user-service/common/store';

/** A user as a write decides on it: its state, and the key its personal data is sealed with. */
export interface LoadedUser {
  readonly state: UserState;
  /** Undefined when the user has no key: never written, or erased. */
  readonly key: DataKey | undefined;
}

/** A write's events as this gateway last saw them stored: the state after, and its position. */
export interface StoredWrite {
  readonly state: UserState;
  readonly position: CommitPosition;
}

/**
 * One user's log as the gateway sees it, personal data inside: callers read plain states and
 * hand plain events, and never see a key or a sealed value. Each method is one or two calls to
 * the store.
 */
export class UserLog {
  constructor(
    private readonly store: Store,
    private readonly personalData: PersonalData,
  ) {}

  /** The user's exact state and key, straight from the store: one call. */
  async load(userId: string): Promise<LoadedUser> {
    return this.personalData.openRead(userId, () => this.store.events.readUser(userId));
  }

  /**
   * The user's exact state with nothing opened and no key unwrapped: what an erasure decides on
   * (its version, and whether it is erased already), so that a user whose data cannot be opened
   * here (a master key this process lacks, a damaged key or record) can still be erased. Its
   * personal fields stay sealed; the erasure's event replaces them. One call.
   */
  async loadSealed(userId: string): Promise<LoadedUser> {
    return { state: foldSealed(await this.store.events.readUser(userId)), key: undefined };
  }

  /**
   * A user taken to be new without asking the store: where a create starts. If it is not new,
   * its append is refused as a conflict (its first version, or its key, is taken), and the
   * create is decided again on `load`.
   */
  unwritten(): LoadedUser {
    return { state: initialUserState, key: undefined };
  }

  /**
   * Appends `events`, decided on `loaded`, sealed as `sealAndAppend` says (the order of a write's
   * steps is stated there, once). `remember` makes the append also remember `outcome` for the
   * keyed request carrying it. Throws VersionConflictError when the user moved on from `loaded`,
   * EmailTakenError when another user holds the email.
   */
  async append(
    loaded: LoadedUser,
    events: readonly UserEvent[],
    remember?: RememberedOutcome,
  ): Promise<AppendResult> {
    const base = { version: loaded.state.version, key: loaded.key };
    return sealAndAppend(this.store.events, this.personalData, base, events, remember);
  }

  /**
   * The state a stored event left its user in, and a position at or after its commit: what a
   * retried keyed write answers when its first attempt stored its event. Undefined when no event
   * has this id.
   */
  async stateAfter(eventId: string): Promise<StoredWrite | undefined> {
    const found = await this.store.events.readEvent(eventId);
    if (!found) return undefined;
    const { userId, version } = found.event;
    const events = await this.store.events.readUserEvents(userId);
    const state = stateAsOf(await this.personalData.openEvents(userId, events), { version });
    return state && { state, position: found.position };
  }

  /**
   * The user's state after a past version, or as of a moment, folded from all its events; keys
   * asked of the store, since another process may have erased the user a moment ago.
   */
  async asOf(userId: string, asOf: AsOf): Promise<UserState | undefined> {
    const events = await this.store.events.readUserEvents(userId);
    const opened = await this.personalData.openEvents(userId, events, { checkKeys: true });
    return stateAsOf(opened, asOf);
  }

  /** A page of the user's events, opened (keys asked of the store, as for `asOf`). */
  async history(userId: string, query: HistoryQuery): Promise<UserEvent[]> {
    const page = await this.store.events.readUserHistory(userId, query);
    return this.personalData.openEvents(userId, page, { checkKeys: true });
  }

  /** Whether the user has any event at all: a user never written is not found. */
  async exists(userId: string): Promise<boolean> {
    const first = await this.store.events.readUserHistory(userId, { afterVersion: 0, limit: 1 });
    return first.length > 0;
  }

  /**
   * A page of the live users of some partitions from the snapshot, opened; a user erased since
   * the snapshot was saved is left out (keys asked of the store).
   */
  async snapshotPage(partitions: readonly number[], query: UserListQuery): Promise<ListedUsers> {
    const saved = await this.store.snapshots.listUsers(partitions, query);
    return listedUsersOf(await this.personalData.openPage(saved, { checkKeys: true }));
  }
}

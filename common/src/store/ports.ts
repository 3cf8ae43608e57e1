import type { User, UserEvent, UserEventType } from '../domain';

/**
 * Where a subscription has got to. Opaque to everyone but the adapter that produced it: store it
 * as it is and hand it back to the same kind of store.
 */
export type Checkpoint = Readonly<Record<string, unknown>>;

/** `alreadyStored`: these events' ids were stored before, so this call was a harmless retry. */
export type AppendOutcome = 'appended' | 'alreadyStored';

/**
 * A point in the store's commit order, as text that can travel in a URL. Opaque like a
 * Checkpoint: compare two with `comparePositions` of the same kind of store.
 */
export type CommitPosition = string;

export interface AppendResult {
  readonly outcome: AppendOutcome;
  /**
   * At or after the commit of these events: a subscription of their partition whose checkpoint
   * reaches it has delivered them (see `commitPositionOf`). For `alreadyStored`, at or after the
   * commit of the stored events (possibly later than it). Several events of one append commit at
   * one point: on MongoDB every checkpoint delivered with them stands at that point, so a
   * checkpoint taken between two of them already reaches the position.
   */
  readonly position: CommitPosition;
}

/** Which of one user's events to read: all those matching every given condition, in version order. */
export interface HistoryQuery {
  /** Only versions above this one. */
  readonly afterVersion: number;
  /** Only events of these types; every type when absent. */
  readonly types?: readonly UserEventType[];
  /** Only events with `from <= occurredAt`. */
  readonly from?: Date;
  /** Only events with `occurredAt < to`. */
  readonly to?: Date;
  /** At most this many: a positive integer, or the read throws a plain Error. */
  readonly limit: number;
}

/** How many events of one type occurred on one UTC day (`YYYY-MM-DD`). */
export interface EventDayCount {
  readonly day: string;
  readonly type: string;
  readonly count: number;
}

/** A page of live users from the snapshot: those after `after` in id order, optionally of one group. */
export interface UserListQuery {
  readonly group?: number;
  /** Only ids greater than this one (compared by UTF-16 code units, as JavaScript compares). */
  readonly after?: string;
  /** At most this many: a positive integer, or the read throws a plain Error. */
  readonly limit: number;
}

/**
 * What an append does to the emails its user holds, one live user per email: hold the email
 * whose keyed hash (`emailKey` of the personal-data layer) is `key`, and no other; or hold none.
 */
export type EmailClaim =
  { readonly kind: 'hold'; readonly key: string } | { readonly kind: 'release' };

/**
 * The store holds personal data sealed: in the events and snapshot entries it is given and gives
 * back, `name` and `email` are sealed text (see `personal-data/`), never the plain values.
 */
export interface EventStore {
  /**
   * Durably stores the events of one user, whose versions must follow `expectedVersion` without
   * a gap. Throws VersionConflictError when another writer took one of those versions first, or
   * when the user has no event at `expectedVersion` (it must be the stored head). Throws
   * StoreUnavailableError when the store cannot confirm: then the outcome is unknown.
   *
   * It also keeps one live user per email, applying `emailClaim` (what the events do to the
   * user's email, hashed by the caller since the events hold it sealed) in the same atomic step:
   * events that would give the user an email another user holds are not stored, and
   * EmailTakenError is thrown; a release frees the email the user held.
   */
  append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
    emailClaim?: EmailClaim,
  ): Promise<AppendResult>;
  /** The stored event with this id, or null: tells a retried write whether its event is stored. */
  readEvent(eventId: string): Promise<UserEvent | null>;
  /** The user's events with a version above `afterVersion`, in version order. */
  readUserEvents(userId: string, afterVersion?: number): Promise<UserEvent[]>;
  /** The user's events matching the query, in version order; reads only that user's events. */
  readUserHistory(userId: string, query: HistoryQuery): Promise<UserEvent[]>;
  /**
   * Counts the events with `from <= occurredAt < to` per UTC day and type, computed by the store
   * itself; sorted by day, then type. Days and types without an event are left out.
   */
  countEventsByDay(from: Date, to: Date): Promise<EventDayCount[]>;
  /** Delivers the events of some partitions, starting after a checkpoint; see SubscriptionHandler. */
  subscribe(request: SubscriptionRequest, handler: SubscriptionHandler): Subscription;
  /**
   * Where a subscription checkpoint stands in commit order: once a subscription's checkpoint is
   * at or after an append's position, it has delivered that append's events (of its partitions).
   */
  commitPositionOf(checkpoint: Checkpoint): CommitPosition;
  /**
   * Negative when `a` comes before `b`, zero when they are the same point, positive after. Throws
   * a plain Error when either is not a position of this kind of store (e.g. text from a caller).
   */
  comparePositions(a: CommitPosition, b: CommitPosition): number;
}

export interface SubscriptionRequest {
  readonly partitions: readonly number[];
  /** Null on a first start: then every stored event of the partitions is delivered first. */
  readonly checkpoint: Checkpoint | null;
  /** Per user, the version the subscriber already holds (from its snapshot); older events are not delivered. */
  readonly knownVersions: ReadonlyMap<string, number>;
}

/**
 * Every event of the partitions that is newer than what the subscriber holds is delivered exactly
 * once, one at a time, and for each user in version order with no gap.
 */
export interface SubscriptionHandler {
  /**
   * `checkpoint` is a point to resume from once this event and every event delivered before it are
   * saved; it is null for events delivered while catching up, where no such point exists yet.
   */
  onEvent(event: UserEvent, checkpoint: Checkpoint | null): Promise<void> | void;
  /**
   * Every change committed before `currentAsOf` has been delivered, and `checkpoint` resumes
   * after all of them. Called again each time the subscription confirms a later such moment, so
   * the distance from `currentAsOf` to now is how far behind the store the subscriber can be.
   */
  onCaughtUp?(checkpoint: Checkpoint, currentAsOf: Date): Promise<void> | void;
  /** The store failed; the subscription retries on its own from its last checkpoint. */
  onStoreError?(error: unknown, attempt: number): void;
  /** The checkpoint was too old for the store's history; the partitions are being reconciled instead. */
  onHistoryLost?(): void;
}

export interface Subscription {
  /** Stops delivering; resolves once no handler call is running any more. */
  stop(): Promise<void>;
  /** Settles when the subscription ends: resolved after stop(), rejected with SubscriptionEndedError otherwise. */
  readonly finished: Promise<void>;
}

/** A user's latest state as saved by an aggregator; `user` null means the user is deleted. */
export interface SnapshotEntry {
  readonly userId: string;
  readonly partition: number;
  readonly version: number;
  readonly user: User | null;
}

export interface SnapshotBatch {
  /** The partitions the checkpoint belongs to. */
  readonly partitions: readonly number[];
  readonly entries: readonly SnapshotEntry[];
  /** Saved after the entries, so it never points past a change that is not saved. */
  readonly checkpoint: Checkpoint | null;
}

export interface PartitionsSnapshot {
  /** Live users only (a deleted user is kept only as a tombstone that `loadUser` returns). */
  readonly entries: readonly SnapshotEntry[];
  /** Null unless every partition asked for has one; the oldest of them otherwise. */
  readonly checkpoint: Checkpoint | null;
}

export interface SnapshotStore {
  /**
   * Writes only forward: an entry or checkpoint never replaces a newer one, and a deleted user
   * leaves a tombstone with its version, so that a late, older entry cannot bring it back.
   */
  save(batch: SnapshotBatch): Promise<void>;
  load(partitions: readonly number[]): Promise<PartitionsSnapshot>;
  /** The user's saved entry, a deleted one (`user` null) included; null if none was saved. */
  loadUser(userId: string): Promise<SnapshotEntry | null>;
  /** Live users of the partitions as saved, in id order; the store filters, sorts and limits. */
  listUsers(partitions: readonly number[], query: UserListQuery): Promise<User[]>;
  /** How many live users of the partitions each group has, as saved; groups with none left out. */
  countUsersByGroup(partitions: readonly number[], group?: number): Promise<Map<number, number>>;
}

/** A response as sent, so that a retry of the request with the same key gets it again. */
export interface RememberedOutcome {
  readonly status: number;
  /** Those worth sending again: `Content-Type`, `ETag`, `Location`. */
  readonly headers: Readonly<Record<string, string>>;
  /**
   * The body as sent; empty for none. When `userId` is set it is a JSON object whose `name` and
   * `email` are that user's personal data: stored, they are sealed with the user's data key.
   */
  readonly body: string;
  readonly userId?: string;
}

/** One attempt at carrying out a request with an idempotency key. */
export interface IdempotentAttempt {
  /** What makes two requests the same request: a retry must match it. */
  readonly fingerprint: string;
  /** Unique per attempt: only the attempt holding the key may finish or abandon it. */
  readonly token: string;
  readonly now: Date;
  /** After this, the attempt is presumed dead (its process crashed) and may be taken over. */
  readonly leaseUntil: Date;
  /** After this the key is forgotten: the store may delete it, and a new attempt starts afresh. */
  readonly expiresAt: Date;
}

/**
 * What `begin` found:
 * - `started`: this attempt holds the key (no one had it, its holder's lease ran out, or its
 *   record expired); carry the request out, then `finish` or `abandon`;
 * - `inFlight`: another attempt holds the key and its lease runs;
 * - `completed`: a request with this key was carried out; its fingerprint tells whether this
 *   request is a retry of it.
 */
export type IdempotentBegin =
  | { readonly kind: 'started' }
  | { readonly kind: 'inFlight' }
  | {
      readonly kind: 'completed';
      readonly fingerprint: string;
      readonly outcome: RememberedOutcome;
    };

/**
 * The outcomes of requests sent with an `Idempotency-Key`, shared by every gateway: keys are
 * unique across the store, whatever route they were sent to.
 */
export interface IdempotencyStore {
  begin(key: string, attempt: IdempotentAttempt): Promise<IdempotentBegin>;
  /** Remembers the outcome, if this attempt (`token`) still holds the key; a no-op otherwise. */
  finish(key: string, token: string, outcome: RememberedOutcome, expiresAt: Date): Promise<void>;
  /** Forgets the key, if this attempt still holds it, so that a retry runs the request again. */
  abandon(key: string, token: string): Promise<void>;
}

/**
 * A user's data key as stored: encrypted ("wrapped") by a master key that never reaches the store.
 * `keyId` is random per key, and every value sealed with the key names it.
 */
export interface WrappedDataKey {
  readonly keyId: string;
  /** Which master key wrapped it (a fingerprint of that key, never the key). */
  readonly masterKeyId: string;
  readonly wrapped: string;
}

/**
 * The data keys, one per owner (a user id, or a key of the system's own such as the email
 * index's). Destroying a user's key is what erases its personal data, everywhere it is stored.
 */
export interface DataKeyStore {
  /** The owner's key; if it has none, `candidate` is stored and returned. Racing calls all get the one stored. */
  getOrCreate(owner: string, candidate: WrappedDataKey): Promise<WrappedDataKey>;
  /** The keys these owners have; an owner without one is left out. */
  get(owners: readonly string[]): Promise<Map<string, WrappedDataKey>>;
  /** Durably deletes the owner's key; resolves too when there was none. */
  destroy(owner: string): Promise<void>;
  /** Up to `limit` keys not wrapped by `masterKeyId`, of owners after `after`, in owner order. */
  wrappedOtherwise(
    masterKeyId: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<{ readonly owner: string; readonly key: WrappedDataKey }>>;
  /** Replaces the owner's key `from` by `to` (the same key wrapped again); false if it is not `from` any more. */
  rewrap(owner: string, from: WrappedDataKey, to: WrappedDataKey): Promise<boolean>;
}

export interface Store {
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
  readonly idempotency: IdempotencyStore;
  readonly dataKeys: DataKeyStore;
  /** Resolves if the store answers now; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

import type { UserEvent, UserEventType } from '../domain';
import type { WrappedDataKey } from './data-key-store';
import type { StoredOutcome } from './idempotency-store';
import type { SnapshotEntry } from './snapshot-store';

// The event store port: the log of every user's events, and subscriptions that deliver them.

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

/**
 * What an append does to the emails its user holds, one live user per email: hold the email
 * whose keyed hash (`emailKey` of the personal-data layer) is `key`, and no other; or hold none.
 */
export type EmailClaim =
  { readonly kind: 'hold'; readonly key: string } | { readonly kind: 'release' };

/**
 * What else an append changes, in the same atomic step as its events: stored all together or not
 * at all, so that no order between them needs to survive a crash.
 */
export interface AppendEffects {
  /** What the events do to the emails their user holds (see EmailClaim). */
  readonly emailClaim?: EmailClaim | undefined;
  /**
   * `create`: the user's first data key, stored with the events that its personal data is sealed
   * with; a user that has a key already makes the append a VersionConflictError (it was not the
   * new user the caller took it for). `destroy`: the user's key is deleted with the events (an
   * erasure), so no copy of its personal data opens any more.
   */
  readonly dataKey?:
    | { readonly kind: 'create'; readonly key: WrappedDataKey }
    | { readonly kind: 'destroy' }
    | undefined;
  /**
   * The outcome of the keyed request that carries these events, remembered as
   * `IdempotencyStore.finish` would (only if `token` still holds the key), once they are stored.
   */
  readonly outcome?: RememberedOutcome | undefined;
}

export interface RememberedOutcome {
  readonly key: string;
  readonly token: string;
  readonly outcome: StoredOutcome;
  readonly expiresAt: Date;
}

/** An event as stored, and a commit position at or after its commit. */
export interface FoundEvent {
  readonly event: UserEvent;
  readonly position: CommitPosition;
}

/**
 * One user as the write side starts from, read in one call to the store: the snapshot to fold
 * from, the events stored after it, and the user's data key.
 */
export interface StoredUser {
  /**
   * The user's live snapshot entry, or null: none, or a tombstone (which does not tell a deleted
   * user from an erased one, so it is not started from).
   */
  readonly snapshot: SnapshotEntry | null;
  /** The user's events after `snapshot` (all of them without one), in version order. */
  readonly events: UserEvent[];
  /** The user's data key; null when it has none (never had, or destroyed by an erasure). */
  readonly dataKey: WrappedDataKey | null;
}

/**
 * The store holds personal data sealed: in the events and snapshot entries it is given and gives
 * back, `name` and `email` are sealed text (see `personal-data/`), never the plain values.
 */
export interface EventStore {
  /**
   * Durably stores the events of one user, whose versions must follow `expectedVersion`, the head
   * the caller read from this store (or 0 for a user it takes to be new). Throws
   * VersionConflictError when another writer took one of those versions first. Whether
   * `expectedVersion` itself is stored is the caller's to know, not checked again: events are
   * never changed or deleted, so a head once read stays stored (the in-memory adapter, whose
   * per-user list cannot hold a hole, refuses one as a conflict). Throws StoreUnavailableError
   * when the store cannot confirm: then the outcome is unknown.
   *
   * It also keeps one live user per email, applying `effects.emailClaim` (what the events do to
   * the user's email, hashed by the caller since the events hold it sealed) in the same atomic
   * step: events that would give the user an email another user holds are not stored, and
   * EmailTakenError is thrown; a release frees the email the user held. The other effects are
   * applied in that step too.
   */
  append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
    effects?: AppendEffects,
  ): Promise<AppendResult>;
  /** The user's snapshot, newer events and data key, in one call: see StoredUser. */
  readUser(userId: string): Promise<StoredUser>;
  /**
   * The stored event with this id and its commit position, or null: tells a retried write
   * whether its event is stored, and what a read of its own write must wait for.
   */
  readEvent(eventId: string): Promise<FoundEvent | null>;
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

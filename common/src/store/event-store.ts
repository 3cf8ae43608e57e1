import type { UserEvent, UserEventType } from '../domain';

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

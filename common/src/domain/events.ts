import { EVENT_SCHEMA_VERSIONS } from './upcasting';
import type { UserFields, UserPatch } from './user';

/** The fields that are personal data: stored sealed, and erased with the user's data key. */
export type PersonalField = 'name' | 'email';

/**
 * Data as read back from the log: once a user's personal data is erased, its events keep every
 * other field, and their personal fields read null.
 */
export type Erasable<T> = {
  readonly [K in keyof T]: K extends PersonalField ? T[K] | null : T[K];
};

export type UserEventBody =
  | { readonly type: 'UserCreated'; readonly data: Erasable<UserFields> }
  | { readonly type: 'UserUpdated'; readonly data: Erasable<UserPatch> }
  | { readonly type: 'UserDeleted'; readonly data: Record<string, never> }
  /** The user's personal data was erased (and a live user deleted); holds none itself. */
  | { readonly type: 'UserErased'; readonly data: ErasureData };

/**
 * What an erasure says of itself (schema 2): whether it ended a live user, which an audit of
 * erasures needs without folding each user's history. Null on erasures stored in schema 1, which
 * did not record it (upcasting.ts).
 */
export type ErasureData = { readonly deleted: boolean | null };

export type UserEventType = UserEventBody['type'];

// A record keyed by every type, so that a new kind of event cannot be left out of the list.
const EVENT_TYPE_SET = {
  UserCreated: true,
  UserUpdated: true,
  UserDeleted: true,
  UserErased: true,
} as const satisfies Record<UserEventType, true>;

/** Every kind of event this version writes and reads. */
export const USER_EVENT_TYPES = Object.keys(EVENT_TYPE_SET) as UserEventType[];

export interface EventMetadata {
  /** Unique per event; storing the same eventId twice is a no-op, which makes retries safe. */
  readonly eventId: string;
  readonly userId: string;
  /** 1-based position of this event among the user's own events: the user's offset. */
  readonly version: number;
  readonly partition: number;
  readonly occurredAt: Date;
  /** The `X-Request-Id` of the request that wrote the event; null on events stored before it was kept. */
  readonly requestId: string | null;
  /**
   * The shape `data` is in: the one its type is written in now (EVENT_SCHEMA_VERSIONS) once read,
   * as readers upcast older ones (upcasting.ts); a greater one only on an event a newer version of
   * the service wrote, which `evolve` refuses to fold.
   */
  readonly schemaVersion: number;
}

export type UserEvent = UserEventBody & EventMetadata;

export interface StampContext {
  readonly newEventId: () => string;
  readonly now: () => Date;
  readonly partitionOf: (userId: string) => number;
  /** The request that caused the events, for tracing a change back to its caller. */
  readonly requestId?: string;
}

/**
 * Gives decided event bodies their envelope. Kept apart from `decide` so that deciding stays
 * free of clocks and random ids.
 */
export function stampEvents(
  userId: string,
  currentVersion: number,
  bodies: readonly UserEventBody[],
  context: StampContext,
): UserEvent[] {
  const partition = context.partitionOf(userId);
  return bodies.map((body, index) => ({
    ...body,
    eventId: context.newEventId(),
    userId,
    version: currentVersion + index + 1,
    partition,
    occurredAt: context.now(),
    requestId: context.requestId ?? null,
    schemaVersion: EVENT_SCHEMA_VERSIONS[body.type],
  }));
}

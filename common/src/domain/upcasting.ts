import type { UserEventType } from './events';

/**
 * Reading events written in an older shape. Each type of event has a chain of upcasters: the
 * n-th takes `data` of schema n to schema n + 1. They are pure and see one event's data only, so
 * an old event reads the same wherever and whenever it is read, and what an event cannot say
 * about itself reads as unknown (null), never as a guess from its neighbours.
 *
 * Both stores upcast as they read (their documents keep the shape they were written in, since
 * events are never rewritten), so `evolve`, history, as-of reads and the aggregators only ever
 * see the current shape.
 */
type Upcaster = (data: Readonly<Record<string, unknown>>) => Record<string, unknown>;

const UPCASTERS: { readonly [T in UserEventType]: readonly Upcaster[] } = {
  UserCreated: [],
  UserUpdated: [],
  UserDeleted: [],
  UserErased: [
    // 1 -> 2: an erasure records whether it ended a live user. Before, it did not say.
    (data) => ({ ...data, deleted: null }),
  ],
};

/** The schema each type of event is written in by this version: one past its last upcaster. */
export const EVENT_SCHEMA_VERSIONS = Object.fromEntries(
  Object.entries(UPCASTERS).map(([type, chain]) => [type, chain.length + 1]),
) as { readonly [T in UserEventType]: number };

/** The schema of events stored before events carried one. */
export const FIRST_SCHEMA_VERSION = 1;

/** An event's type, schema and data as stored, whatever they are. */
export interface StoredBody {
  readonly type: unknown;
  /** Absent on events stored before events carried one. */
  readonly schemaVersion?: unknown;
  readonly data: unknown;
}

/** A body as `upcast` leaves it; a schema that is not a positive integer reads as NaN. */
export interface UpcastBody {
  readonly type: unknown;
  readonly schemaVersion: number;
  readonly data: unknown;
}

/**
 * The body in the current shape of its type. Left as stored, for `evolve` to refuse, when it
 * cannot be upcast: a type this version does not know, a schema newer than it writes (from a
 * newer version of the service, during a rolling deploy), a schema that is not a positive
 * integer, or data that is not an object.
 */
export function upcast(stored: StoredBody): UpcastBody {
  const { type, data } = stored;
  const given = stored.schemaVersion === undefined ? FIRST_SCHEMA_VERSION : stored.schemaVersion;
  const schemaVersion = isSchemaVersion(given) ? given : Number.NaN;
  if (typeof type !== 'string' || !Object.hasOwn(UPCASTERS, type)) {
    return { type, schemaVersion, data };
  }
  const chain = UPCASTERS[type as UserEventType];
  const current = chain.length + 1;
  const readable = schemaVersion <= current && typeof data === 'object' && data !== null;
  if (!readable || Array.isArray(data)) return { type, schemaVersion, data };
  let upcast = data as Readonly<Record<string, unknown>>;
  for (const step of chain.slice(schemaVersion - 1)) upcast = step(upcast);
  return { type, schemaVersion: current, data: upcast };
}

function isSchemaVersion(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= FIRST_SCHEMA_VERSION;
}

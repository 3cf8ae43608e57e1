import {
  aggregatorOf,
  partitionOf,
  stampEvents,
  type User,
  type UserEvent,
  type UserEventBody,
  type UserFields,
  type UserPatch,
} from '@user-service/common/domain';
import { v7 as uuidv7 } from 'uuid';

export const TEST_PARTITIONS = 12;

export const created = (fields: UserFields): UserEventBody => ({
  type: 'UserCreated',
  data: fields,
});
export const updated = (patch: UserPatch): UserEventBody => ({ type: 'UserUpdated', data: patch });
export const deleted = (): UserEventBody => ({ type: 'UserDeleted', data: {} });
/** An erasure: of a live user unless `deleted` says it was deleted already. */
export const erased = (deleted = true): UserEventBody => ({
  type: 'UserErased',
  data: { deleted },
});

/** The fields of test user number `n`: `User n`, `usern@example.com`, group `n`. */
export function fieldsFor(n: number): UserFields {
  return { name: `User ${n}`, email: `user${n}@example.com`, group: n };
}

/** Test user number `n` (see fieldsFor) under the id `id`. */
export function userFor(id: string, n: number): User {
  return { id, ...fieldsFor(n) };
}

/** Envelopes for events of one user that follow `afterVersion`. */
export function eventsFor(
  userId: string,
  afterVersion: number,
  ...bodies: UserEventBody[]
): UserEvent[] {
  return eventsWith(userId, afterVersion, {}, ...bodies);
}

/** What a test may fix of the envelopes eventsWith stamps; the rest is as eventsFor's. */
export interface EnvelopeOptions {
  /** When every one of the events occurred; now when absent. */
  readonly occurredAt?: Date;
  /** The request that wrote them; null on the events when absent. */
  readonly requestId?: string;
}

/** As eventsFor, with the occurrence time or request id a test needs. */
export function eventsWith(
  userId: string,
  afterVersion: number,
  { occurredAt, requestId }: EnvelopeOptions,
  ...bodies: UserEventBody[]
): UserEvent[] {
  return stampEvents(userId, afterVersion, bodies, {
    newEventId: uuidv7,
    now: () => occurredAt ?? new Date(),
    partitionOf: (id) => partitionOf(id, TEST_PARTITIONS),
    ...(requestId === undefined ? {} : { requestId }),
  });
}

export interface IdOptions {
  /** Ids are `<prefix><n>` for n = 0, 1, 2, … */
  readonly prefix?: string;
  /** How many partitions the ids are spread over. */
  readonly partitions?: number;
}

/**
 * The first `count` ids `<prefix><n>` whose partition `wanted` accepts: users that land where a
 * test needs them (one partition, or the partitions of one aggregator, see `ownedBy`).
 */
export function idsWhere(
  count: number,
  wanted: (partition: number) => boolean,
  { prefix = 'user-', partitions = TEST_PARTITIONS }: IdOptions = {},
): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    const id = `${prefix}${n}`;
    if (wanted(partitionOf(id, partitions))) ids.push(id);
  }
  return ids;
}

/** For idsWhere: the partitions of aggregator `index` out of `aggregators`. */
export const ownedBy =
  (index: number, aggregators: number) =>
  (partition: number): boolean =>
    aggregatorOf(partition, aggregators) === index;

/** `count` distinct user ids `<prefix>-<n>` whose partition (of TEST_PARTITIONS) is `partition`. */
export function idsInPartition(partition: number, count: number, prefix = 'user'): string[] {
  return idsWhere(count, (candidate) => candidate === partition, { prefix: `${prefix}-` });
}

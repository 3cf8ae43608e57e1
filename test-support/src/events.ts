import {
  partitionOf,
  stampEvents,
  type UserEvent,
  type UserEventBody,
  type UserFields,
  type UserPatch,
} from '@user-service/common';
import { v7 as uuidv7 } from 'uuid';

export const TEST_PARTITIONS = 12;

export const created = (fields: UserFields): UserEventBody => ({ type: 'UserCreated', data: fields });
export const updated = (patch: UserPatch): UserEventBody => ({ type: 'UserUpdated', data: patch });
export const deleted = (): UserEventBody => ({ type: 'UserDeleted', data: {} });

export function fieldsFor(n: number): UserFields {
  return { name: `User ${n}`, email: `user${n}@example.com`, group: n };
}

/** Envelopes for events of one user that follow `afterVersion`. */
export function eventsFor(userId: string, afterVersion: number, ...bodies: UserEventBody[]): UserEvent[] {
  return stampEvents(userId, afterVersion, bodies, {
    newEventId: uuidv7,
    now: () => new Date(),
    partitionOf: (id) => partitionOf(id, TEST_PARTITIONS),
  });
}

/** `count` distinct user ids whose partition is `partition`. */
export function idsInPartition(partition: number, count: number, prefix = 'user'): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    const id = `${prefix}-${n}`;
    if (partitionOf(id, TEST_PARTITIONS) === partition) ids.push(id);
  }
  return ids;
}

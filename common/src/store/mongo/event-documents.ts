import { UnreadableEventError, upcast, type UserEvent, type UserEventBody } from '../../domain';
import type { EventDocument } from './schema';
import { packSealed, unpackSealed } from './sealed-documents';

export function toEventDocument(event: UserEvent): EventDocument {
  const { eventId, userId, version, partition, type, data, occurredAt, requestId, schemaVersion } =
    event;
  return {
    _id: eventId,
    userId,
    version,
    partition,
    type,
    schemaVersion,
    // Sealed records as binaries, once when both personal fields share one (sealed-documents.ts).
    data: packSealed(data),
    occurredAt,
    requestId,
  };
}

/**
 * An event as read back, in the current shape of its type (domain/upcasting.ts). The envelope
 * (id, user, version, partition, time) is what ordering and routing rely on, so a document
 * without it is refused here; the body (type and data) is left for `evolve`, which refuses what
 * it cannot fold, user by user. The request id is only for tracing: events stored before it was
 * kept have none, and anything but a string reads as null.
 */
export function toEvent(document: EventDocument): UserEvent {
  const { _id, userId, version, partition, type, schemaVersion, data, occurredAt, requestId } =
    document as Partial<EventDocument>;
  const id = typeof _id === 'string' ? _id : String(_id);
  if (typeof userId !== 'string') throw new UnreadableEventError(id, '(unknown)', 'no userId');
  if (!Number.isSafeInteger(version) || (version ?? 0) < 1)
    throw new UnreadableEventError(id, userId, 'no valid version');
  if (!Number.isSafeInteger(partition) || (partition ?? -1) < 0)
    throw new UnreadableEventError(id, userId, 'no valid partition');
  if (!(occurredAt instanceof Date))
    throw new UnreadableEventError(id, userId, 'no occurredAt date');
  // The body is checked by evolve, type by type; here only its sealed records are unpacked, and
  // it is upcast to the current shape of its type.
  const plainData = isRecord(data) ? unpackSealed(data) : data;
  const { schemaVersion: readAs, ...body } = upcast({ type, schemaVersion, data: plainData });
  return {
    ...(body as UserEventBody),
    schemaVersion: readAs,
    eventId: id,
    userId,
    version: version as number,
    partition: partition as number,
    occurredAt,
    requestId: typeof requestId === 'string' ? requestId : null,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import type { User } from '../../domain';
import type { SnapshotEntry } from '../snapshot-store';
import type { UserDocument } from './schema';
import { packSealed, unpackSealed } from './sealed-documents';

/**
 * A snapshot entry as its `Users` document: a deleted user as a tombstone (no fields), a live
 * one with its sealed personal data packed (sealed-documents.ts): one binary when name and email
 * come from the same sealed record, two when they were set by different events.
 */
export function toUserDocument(entry: SnapshotEntry): UserDocument {
  const { userId, partition, version, user } = entry;
  if (!user) return { _id: userId, partition, version, deleted: true };
  const { name, email, group } = user;
  return { _id: userId, partition, version, ...packSealed({ name, email }), group };
}

/** A `Users` document as its entry, whichever way its personal data was stored. */
export function toEntry(document: UserDocument): SnapshotEntry {
  const { _id, partition, version, group, deleted, ...rest } = document;
  const { name, email } = unpackSealed(rest) as { name?: unknown; email?: unknown };
  const live =
    !deleted && typeof name === 'string' && typeof email === 'string' && group !== undefined;
  const user: User | null = live ? { id: _id, name, email, group } : null;
  return { userId: _id, partition, version, user };
}

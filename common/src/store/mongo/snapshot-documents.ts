import type { SnapshotEntry } from '../snapshot-store';
import type { UserDocument } from './schema';

/** A `Users` document as the port's entry: a tombstone, or one missing a field, is no live user. */
export function toEntry(document: UserDocument): SnapshotEntry {
  const { _id, partition, version, name, email, group, deleted } = document;
  const live = !deleted && name !== undefined && email !== undefined && group !== undefined;
  return { userId: _id, partition, version, user: live ? { id: _id, name, email, group } : null };
}

import type { Binary, Db, IndexDescription, ResumeToken, Timestamp } from 'mongodb';
import { DEFAULT_PARTITIONS, type UserEventType } from '../../domain';
import type { KeyRecord } from '../idempotency-rules';
import { errorText } from '../../observability/error-fields';
import { StoreMisconfiguredError } from '../errors';
import { hasCode, MONGO_ERROR } from './error-codes';
import { planIndexes } from './index-plan';
import { ensureLayout } from './store-layout';

export const COLLECTIONS = {
  events: 'Events',
  users: 'Users',
  checkpoints: 'Checkpoints',
  emailClaims: 'EmailClaims',
  idempotentRequests: 'IdempotentRequests',
  dataKeys: 'DataKeys',
  aggregators: 'Aggregators',
  settings: 'Settings',
} as const;

/** One immutable document per event; `_id` is the eventId, so the eventId is unique. */
export interface EventDocument {
  _id: string;
  userId: string;
  version: number;
  partition: number;
  type: UserEventType;
  /** The shape of `data` (domain/upcasting.ts); absent on events stored before it was kept: 1. */
  schemaVersion?: number;
  /** `name` and `email`, when present, are sealed with the user's data key (`personal-data/`). */
  data: Record<string, unknown>;
  occurredAt: Date;
  /** The X-Request-Id of the request that wrote it; absent on events stored before it was kept. */
  requestId?: string | null;
}

/**
 * The snapshot of one user, with the version of the last event folded into it. A deleted user is
 * a tombstone (`deleted: true`, no fields), so that an older snapshot write cannot revive it.
 */
export interface UserDocument {
  _id: string;
  partition: number;
  version: number;
  /**
   * Sealed with the user's data key, as `email`: never the plain value. A sealed record (a
   * binary), or text sealed before records were (`pd1.`); absent when both are in `pd`.
   */
  name?: string | Binary;
  email?: string | Binary;
  /** The sealed record holding both name and email, when one does (sealed-documents.ts). */
  pd?: Binary;
  group?: number;
  deleted?: true;
  /** The projection that saved it; absent when saved before they carried one: 1. */
  projectionVersion?: number;
  /** The generation of the projection (projection-rebuilds.ts); absent before the first rebuild: 0. */
  generation?: number;
}

/**
 * One partition: where its owner can resume its change stream (absent until a first snapshot),
 * and its lease (mongo-partition-leases.ts): who holds it until when, at which fencing epoch.
 */
export interface CheckpointDocument {
  _id: number;
  clusterTime?: Timestamp;
  resumeToken?: ResumeToken | null;
  /** Absent when the partition was never leased, or its last holder released it. */
  holder?: { name: string; url: string };
  /** Goes up by one each time the partition is acquired; kept across releases. */
  epoch?: number;
  expiresAt?: Date;
  /** When a snapshot was last saved under the lease; every fenced save changes it (see the snapshot store). */
  savedAt?: Date;
  /** The projection that saved the checkpoint; absent when saved before they carried one: 1. */
  projectionVersion?: number;
  /** The generation the partition serves; absent before its first rebuild: 0. */
  generation?: number;
  /** Its owner's last report on folding it into another generation (projection-rebuilds.ts). */
  rebuild?: { generation: number; events: number; failure: string | null };
}

/** An aggregator's heartbeat: alive, and reachable at `url`, until `expiresAt`. */
export interface AggregatorDocument {
  _id: string;
  url: string;
  expiresAt: Date;
}

/** The rebuild asked for last (`_id: 'rebuild'`, in Settings): see ProjectionRebuilds. */
export interface RebuildDocument {
  _id: 'rebuild';
  rebuildId: string;
  generation: number;
  requestedAt: Date;
}

/** The store's layout (`_id: 'layout'`), written once by mongo-init: see StoreLayout. */
export interface SettingsDocument {
  _id: 'layout';
  partitions: number;
  storeId: string;
}

/**
 * Which live user holds an email: written in the transaction of every append that changes who
 * holds one (decision 0009). `_id` is the keyed hash of the normalised email that the caller of
 * `append` computed (`emailKey` of the personal-data layer), never the email itself, which is
 * personal data. `_id` makes an email held once; a unique `userId` makes a user hold at most one.
 */
export interface EmailClaimDocument {
  _id: string;
  userId: string;
}

/**
 * A request sent with an Idempotency-Key (`_id`): its attempt in flight, then its outcome. The
 * TTL index deletes it after `expiresAt`.
 */
export interface IdempotentRequestDocument extends KeyRecord {
  _id: string;
}

/**
 * A data key (one per owner, `_id`: a user id, or a key of the system's own), wrapped by the
 * master key `masterKeyId` names; the master key itself is never stored. Deleting the document
 * is what erases its owner's personal data.
 */
export interface DataKeyDocument {
  _id: string;
  keyId: string;
  masterKeyId: string;
  /** A binary (data-key-documents.ts); base64url text in keys stored before. */
  wrapped: string | Binary;
  createdAt: Date;
}

/**
 * The owner of the data key the email claims' `_id`s are hashed with: personal-data's
 * EMAIL_INDEX_OWNER (a test keeps them equal), named here so the store need not import that layer.
 */
export const EMAIL_INDEX_KEY_OWNER = '$email-index';

export const INDEXES: Readonly<Record<string, readonly IndexDescription[]>> = {
  [COLLECTIONS.events]: [
    // The arbiter of concurrent writes: one event per user and version.
    { key: { userId: 1, version: 1 }, name: 'userId_version_unique', unique: true },
    // Serves catching up on a set of partitions, user by user in version order.
    { key: { partition: 1, userId: 1, version: 1 }, name: 'partition_userId_version' },
    // Covers counting events per day and type over a time range: the match and the grouping
    // read only the index.
    { key: { occurredAt: 1, type: 1 }, name: 'occurredAt_type' },
  ],
  [COLLECTIONS.users]: [
    // Serves listing the users of some partitions in id order, a page at a time.
    { key: { partition: 1, _id: 1 }, name: 'partition_id' },
    // The same within one group, and counting one group's users.
    { key: { group: 1, partition: 1, _id: 1 }, name: 'group_partition_id' },
  ],
  [COLLECTIONS.checkpoints]: [],
  // Heartbeats are read by expiry; the TTL monitor only clears out those long gone.
  [COLLECTIONS.aggregators]: [
    { key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 3600 },
  ],
  [COLLECTIONS.settings]: [],
  [COLLECTIONS.emailClaims]: [{ key: { userId: 1 }, name: 'userId_unique', unique: true }],
  // The server's TTL monitor deletes forgotten keys (about once a minute): `begin` checks
  // `expiresAt` itself, so a key is forgotten on time even while its document lingers.
  [COLLECTIONS.idempotentRequests]: [
    { key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 0 },
  ],
  // Serves finding the keys a master key other than the current one wrapped, in owner order a
  // page at a time (the rewrap after a master key rotation): the keys of each other master key
  // are read in `_id` order from their own range of the index.
  [COLLECTIONS.dataKeys]: [{ key: { masterKeyId: 1, _id: 1 }, name: 'masterKeyId_id' }],
};

/**
 * Indexes an earlier mongo-init created that the schema no longer wants, per collection.
 * `Users.partition` is a prefix of `partition_id`, which serves every query it served; it only
 * cost every snapshot save a write.
 */
export const OBSOLETE_INDEXES: Readonly<Record<string, readonly string[]>> = {
  [COLLECTIONS.users]: ['partition'],
};

/**
 * Creates the collections and indexes, changes an index's TTL in place, drops obsolete indexes,
 * and writes the layout (ensureLayout: `partitions` on a first run, checked on every later one);
 * safe to run again on a database that has them. An index whose key or uniqueness
 * differs from the schema's cannot be changed in place (`createIndexes` answers
 * IndexOptionsConflict 85 or IndexKeySpecsConflict 86, which waiting never fixes): that throws
 * StoreMisconfiguredError at once, naming the index, so that mongo-init stops with the reason.
 */
export async function ensureSchema(db: Db, partitions = DEFAULT_PARTITIONS): Promise<void> {
  for (const [name, indexes] of Object.entries(INDEXES)) {
    await db.createCollection(name).catch((error: unknown) => {
      if (!hasCode(error, MONGO_ERROR.NamespaceExists)) throw error;
    });
    const collection = db.collection(name);
    const plan = planIndexes(
      name,
      indexes,
      await collection.listIndexes().toArray(),
      OBSOLETE_INDEXES[name],
    );
    if (plan.conflicts.length > 0) throw schemaConflict(db.databaseName, plan.conflicts);
    for (const { name: index, expireAfterSeconds } of plan.retime) {
      await db.command({ collMod: name, index: { name: index, expireAfterSeconds } });
    }
    if (plan.create.length > 0) {
      await collection.createIndexes([...plan.create]).catch((error: unknown) => {
        // Another mongo-init created a different one in between.
        if (isIndexConflict(error)) throw schemaConflict(db.databaseName, [errorText(error)]);
        throw error;
      });
    }
    for (const index of plan.drop) {
      await collection.dropIndex(index).catch((error: unknown) => {
        if (!hasCode(error, MONGO_ERROR.IndexNotFound)) throw error;
      });
    }
  }
  await ensureLayout(db, partitions);
}

function isIndexConflict(error: unknown): boolean {
  return (
    hasCode(error, MONGO_ERROR.IndexOptionsConflict) ||
    hasCode(error, MONGO_ERROR.IndexKeySpecsConflict)
  );
}

function schemaConflict(database: string, conflicts: readonly string[]): StoreMisconfiguredError {
  return new StoreMisconfiguredError(
    `database "${database}" has indexes mongo-init cannot change in place: ${conflicts.join('; ')}: drop them (db.<collection>.dropIndex("<name>")) and run mongo-init again`,
  );
}

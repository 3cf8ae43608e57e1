import {
  ephemeralMasterKeys,
  PersonalData,
  sealAndAppend,
  sealedKeyId,
} from '@user-service/common/personal-data';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import { randomUUID } from 'node:crypto';
import { BSON, MongoClient } from 'mongodb';

export interface SpaceResult {
  readonly method: string;
  readonly users: number;
  /** The users as a client sends and reads them: plain name and email. */
  readonly usersJsonBytes: number;
  /** The `Users` documents, names and emails sealed. */
  readonly snapshotBytes: number;
  readonly snapshotToJson: number;
  /** A `UserCreated` as stored: name and email sealed, with its request id. */
  readonly bytesPerEvent: number;
  /** A user's data key in `DataKeys`, wrapped by the master key: one per user. */
  readonly dataKeyBytesPerUser: number;
}

/** Sealed text: `pd1.<keyId>.<base64url of a 12-byte IV, a 16-byte tag and the ciphertext>`. */
const SEALED_OVERHEAD_BYTES = 12 + 16;

/**
 * The plain value's length in UTF-8 bytes, from its sealed text alone (AES-GCM's ciphertext is
 * as long as the plaintext): the raw JSON of users stored sealed, without their keys.
 */
function plainBytes(value: unknown): number {
  if (typeof value !== 'string') return 0;
  if (sealedKeyId(value) === undefined) return Buffer.byteLength(value);
  const packed = value.slice(value.indexOf('.', 'pd1.'.length) + 1);
  return Buffer.from(packed, 'base64url').length - SEALED_OVERHEAD_BYTES;
}

/**
 * Without MongoDB: the BSON size of the documents the MongoDB adapter would write, for `users`
 * users of the benchmark's shape (indexes and compression not counted), their names and emails
 * sealed as a gateway seals them (`sealAndAppend`, a data key per user).
 */
export async function estimateSpace(users: number): Promise<SpaceResult> {
  const store = new InMemoryStore();
  const personalData = new PersonalData(store.dataKeys, ephemeralMasterKeys());
  let usersJsonBytes = 0;
  let snapshotBytes = 0;
  let eventBytes = 0;
  let dataKeyBytes = 0;
  for (let n = 0; n < users; n++) {
    const user = {
      id: `bench-${n}`,
      name: `Bench User ${n}`,
      email: `bench${n}@example.com`,
      group: n % 1000,
    };
    usersJsonBytes += Buffer.byteLength(JSON.stringify(user));
    const { id, ...fields } = user;
    const stamped = stampEvents(id, 0, [{ type: 'UserCreated', data: fields }], {
      // A UUIDv7 as the gateway's, the same 36 characters.
      newEventId: randomUUID,
      now: () => new Date(),
      partitionOf: (userId) => partitionOf(userId, 12),
      requestId: randomUUID(),
    });
    await sealAndAppend(store.events, personalData, { version: 0, key: undefined }, stamped);
    const [event] = await store.events.readUserEvents(id);
    if (event?.type !== 'UserCreated') throw new Error('sealing lost the UserCreated');
    const sealed = event.data;
    snapshotBytes += BSON.calculateObjectSize({
      _id: id,
      partition: event.partition,
      version: 1,
      name: sealed.name,
      email: sealed.email,
      group: sealed.group,
    });
    // As the adapter's toEventDocument writes it.
    eventBytes += BSON.calculateObjectSize({
      _id: event.eventId,
      userId: id,
      version: event.version,
      partition: event.partition,
      type: event.type,
      data: { ...sealed },
      occurredAt: event.occurredAt,
      requestId: event.requestId,
    });
    const key = (await store.dataKeys.get([id])).get(id);
    dataKeyBytes += BSON.calculateObjectSize({ _id: id, ...key, createdAt: new Date() });
  }
  return {
    method: 'estimate: BSON size of the documents, names and emails sealed, no indexes',
    users,
    usersJsonBytes,
    snapshotBytes,
    snapshotToJson: snapshotBytes / usersJsonBytes,
    bytesPerEvent: eventBytes / users,
    dataKeyBytesPerUser: dataKeyBytes / users,
  };
}

/**
 * On MongoDB: the collections' own statistics ($collStats), data size without compression. The
 * users' JSON is counted with their names' and emails' plain lengths, read off the sealed text.
 */
export async function measureSpace(mongoUrl: string, database: string): Promise<SpaceResult> {
  const client = await MongoClient.connect(mongoUrl);
  try {
    const db = client.db(database);
    const stats = async (collection: string) => {
      const [result] = await db
        .collection(collection)
        .aggregate([{ $collStats: { storageStats: {} } }])
        .toArray();
      const storage = (result?.storageStats ?? {}) as { size?: number; count?: number };
      return { size: storage.size ?? 0, count: storage.count ?? 0 };
    };
    const users = await stats('Users');
    const events = await stats('Events');
    const dataKeys = await stats('DataKeys');
    let usersJsonBytes = 0;
    for await (const { _id, name, email, group } of db
      .collection('Users')
      .find({ deleted: { $ne: true } })) {
      // `{"id":…,"name":"","email":"","group":…}` plus the two values' plain bytes (no escapes in them).
      usersJsonBytes +=
        Buffer.byteLength(JSON.stringify({ id: _id, name: '', email: '', group })) +
        plainBytes(name) +
        plainBytes(email);
    }
    return {
      method: 'MongoDB $collStats storageStats.size',
      users: users.count,
      usersJsonBytes,
      snapshotBytes: users.size,
      snapshotToJson: users.size / Math.max(usersJsonBytes, 1),
      bytesPerEvent: events.size / Math.max(events.count, 1),
      // One key per user who ever had one, and the email index's.
      dataKeyBytesPerUser: dataKeys.size / Math.max(dataKeys.count, 1),
    };
  } finally {
    await client.close();
  }
}

import {
  ephemeralMasterKeys,
  PersonalData,
  recordFields,
  sealAndAppend,
  SEALED_RECORD_OVERHEAD,
  sealedKeyId,
} from '@user-service/common/personal-data';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import {
  SEALED_SUBTYPE,
  SHARED_RECORD_FIELD,
  toEventDocument,
  toStoredKey,
  toUserDocument,
} from '@user-service/common/store/mongo';
import { InMemoryStore } from '@user-service/common/store/memory';
import { randomUUID } from 'node:crypto';
import { Binary, BSON, MongoClient } from 'mongodb';

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

/** Sealed text, as stored before records: `pd1.<keyId>.<base64url of a 12-byte IV, a 16-byte tag and the ciphertext>`. */
const SEALED_TEXT_OVERHEAD_BYTES = 12 + 16;
/** A record holding both fields has the name's length (2 bytes) ahead of them. */
const NAME_LENGTH_BYTES = 2;

/**
 * The plain value's length in UTF-8 bytes, from its stored form alone (AES-GCM's ciphertext is
 * as long as the plaintext): the raw JSON of users stored sealed, without their keys. A record
 * holding both fields counts both (in `pd`, it stands for them both); one in `name` or `email`
 * alone (set by different events) counts half of its two.
 */
function plainBytes(value: unknown): number {
  if (value instanceof Binary && value.sub_type === SEALED_SUBTYPE) {
    const bytes = Buffer.from(value.read(0, value.length()));
    const ciphertext = bytes.length - SEALED_RECORD_OVERHEAD;
    return recordFields(bytes).length === 2 ? ciphertext - NAME_LENGTH_BYTES : ciphertext;
  }
  if (typeof value !== 'string') return 0;
  if (sealedKeyId(value) === undefined) return Buffer.byteLength(value);
  const packed = value.slice(value.indexOf('.', 'pd1.'.length) + 1);
  return Buffer.from(packed, 'base64url').length - SEALED_TEXT_OVERHEAD_BYTES;
}

function personalBytes(document: Record<string, unknown>): number {
  const shared = document[SHARED_RECORD_FIELD];
  if (shared !== undefined) return plainBytes(shared);
  const twoFieldHalf = (value: unknown) =>
    value instanceof Binary && recordFields(Buffer.from(value.read(0, 1))).length === 2
      ? plainBytes(value) / 2
      : plainBytes(value);
  return twoFieldHalf(document.name) + twoFieldHalf(document.email);
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
    const { name, email, group } = sealed;
    if (name === null || email === null) throw new Error('sealing erased the user');
    // As the MongoDB adapter writes them: the aggregator's snapshot of the user, the event, the key.
    snapshotBytes += BSON.calculateObjectSize(
      toUserDocument({
        userId: id,
        partition: event.partition,
        version: event.version,
        user: { id, name, email, group },
      }),
    );
    eventBytes += BSON.calculateObjectSize(toEventDocument(event));
    const key = (await store.dataKeys.get([id])).get(id);
    if (!key) throw new Error('the user has no data key');
    dataKeyBytes += BSON.calculateObjectSize({
      _id: id,
      ...toStoredKey(key),
      createdAt: new Date(),
    });
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
    for await (const document of db.collection('Users').find({ deleted: { $ne: true } })) {
      const { _id, group } = document;
      // `{"id":…,"name":"","email":"","group":…}` plus the two values' plain bytes (no escapes in them).
      usersJsonBytes +=
        Buffer.byteLength(JSON.stringify({ id: _id, name: '', email: '', group })) +
        personalBytes(document);
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

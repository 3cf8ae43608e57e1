import { BSON, MongoClient } from 'mongodb';

export interface SpaceResult {
  readonly method: string;
  readonly users: number;
  readonly usersJsonBytes: number;
  readonly snapshotBytes: number;
  readonly snapshotToJson: number;
  readonly bytesPerEvent: number;
}

/**
 * Without MongoDB: the BSON size of the documents the MongoDB adapter would write, for `users`
 * users of the benchmark's shape (indexes and compression not counted).
 */
export function estimateSpace(users: number): SpaceResult {
  let usersJsonBytes = 0;
  let snapshotBytes = 0;
  let eventBytes = 0;
  for (let n = 0; n < users; n++) {
    const user = {
      id: `bench-${n}`,
      name: `Bench User ${n}`,
      email: `bench${n}@example.com`,
      group: n % 1000,
    };
    usersJsonBytes += Buffer.byteLength(JSON.stringify(user));
    const { id, ...fields } = user;
    snapshotBytes += BSON.calculateObjectSize({ _id: id, partition: 3, version: 2, ...fields });
    eventBytes += BSON.calculateObjectSize({
      _id: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b',
      userId: id,
      version: 1,
      partition: 3,
      type: 'UserCreated',
      data: fields,
      occurredAt: new Date(),
    });
  }
  return {
    method: 'estimate: BSON size of the documents, no indexes',
    users,
    usersJsonBytes,
    snapshotBytes,
    snapshotToJson: snapshotBytes / usersJsonBytes,
    bytesPerEvent: eventBytes / users,
  };
}

/** On MongoDB: the collections' own statistics ($collStats), data size without compression. */
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
    let usersJsonBytes = 0;
    for await (const { _id, name, email, group } of db.collection('Users').find({})) {
      usersJsonBytes += Buffer.byteLength(JSON.stringify({ id: _id, name, email, group }));
    }
    return {
      method: 'MongoDB $collStats storageStats.size',
      users: users.count,
      usersJsonBytes,
      snapshotBytes: users.size,
      snapshotToJson: users.size / Math.max(usersJsonBytes, 1),
      bytesPerEvent: events.size / Math.max(events.count, 1),
    };
  } finally {
    await client.close();
  }
}

import { createLogger } from '@user-service/common/observability';
import { partitionOf } from '@user-service/common/domain';
import { type SnapshotEntry, StoreMisconfiguredError } from '@user-service/common/store';
import {
  connectMongoWhenReachable,
  COLLECTIONS,
  type EmailClaimDocument,
  ensureSchema,
  INDEXES,
  MongoStore,
} from '@user-service/common/store/mongo';
import { MongoClient } from 'mongodb';
import { MongoMemoryServer } from 'mongodb-memory-server';
import { PassThrough } from 'node:stream';
import { v4 as uuidv4 } from 'uuid';
import { idsInPartition, TEST_PARTITIONS } from '@user-service/test-support';
import { describeWithMongo, describeWithMongoBinary } from '@user-service/test-support';

/** A logger whose lines the test can read back. */
function capturedLogger() {
  const stream = new PassThrough();
  const lines: string[] = [];
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  return { logger: createLogger({ service: 'gateway', level: 'debug', stream }), lines };
}

/** `work`, or a rejection saying it was still going after `ms`: a retry loop shows up as that, not as a hung test. */
function within<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`still going after ${ms} ms: retrying instead of giving up`)),
      ms,
    );
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

// Runs everywhere: no server is involved, because these addresses are refused before any connection.
describe('connecting to MongoDB with an unusable MONGO_URL', () => {
  it.each([
    {
      what: 'a malformed address',
      url: 'mongodb//bad',
      reason: /MONGO_URL cannot be used: .*scheme/,
    },
    {
      what: 'an unsupported option',
      url: 'mongodb://h/?replicaSet=rs0&foo=bar',
      reason: /MONGO_URL cannot be used: .*foo/,
    },
  ])(
    'gives up at once on $what, saying why, instead of waiting for MongoDB forever',
    async ({ url, reason }) => {
      const { logger, lines } = capturedLogger();
      const outcome = within(connectMongoWhenReachable(url, 'users', logger), 2000);
      await expect(outcome).rejects.toBeInstanceOf(StoreMisconfiguredError);
      await expect(outcome).rejects.toThrow(reason);
      // Not one "not reachable yet": waiting cannot make this address work.
      expect(lines).toEqual([]);
    },
  );
});

describeWithMongo('connecting to a database mongo-init has not prepared', (mongoUrl) => {
  let admin: MongoClient;
  const databaseName = `deploy_${uuidv4().replaceAll('-', '')}`;

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });

  afterAll(async () => {
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  // Without the unique index two concurrent writes of one version would both be stored, so a
  // service must refuse to start, naming what is missing and what to run.
  it('refuses to connect until the unique index exists, then connects', async () => {
    const missingIndex = /unique \{ userId: 1, version: 1 \} index on Events[\s\S]*mongo-init/;
    await expect(MongoStore.connect(mongoUrl, databaseName)).rejects.toThrow(
      StoreMisconfiguredError,
    );
    await expect(MongoStore.connect(mongoUrl, databaseName)).rejects.toThrow(missingIndex);

    // As after a mongo-init that stopped between creating the collections and their indexes.
    await admin.db(databaseName).createCollection(COLLECTIONS.events);
    await expect(MongoStore.connect(mongoUrl, databaseName)).rejects.toThrow(missingIndex);

    await ensureSchema(admin.db(databaseName));
    const store = await MongoStore.connect(mongoUrl, databaseName);
    await store.close();
  });
});

describeWithMongo('a database an older mongo-init prepared', (mongoUrl) => {
  let admin: MongoClient;
  const databaseName = `older_${uuidv4().replaceAll('-', '')}`;

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });

  afterAll(async () => {
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  // Before 0009-0011: Events and Users only, with the Users.partition index, and (as after an
  // edit of the schema) a TTL other than the one wanted.
  it('is refused at connect, naming what is missing, and brought up to date by mongo-init', async () => {
    const db = admin.db(databaseName);
    await db.collection(COLLECTIONS.events).createIndexes([...INDEXES[COLLECTIONS.events]!]);
    await db
      .collection(COLLECTIONS.users)
      .createIndexes([
        { key: { partition: 1 }, name: 'partition' },
        ...INDEXES[COLLECTIONS.users]!,
      ]);
    await db
      .collection(COLLECTIONS.idempotentRequests)
      .createIndex({ expiresAt: 1 }, { name: 'expiresAt_ttl', expireAfterSeconds: 3600 });
    await expect(MongoStore.connect(mongoUrl, databaseName)).rejects.toThrow(
      /no unique \{ userId: 1 \} index on EmailClaims[\s\S]*expireAfterSeconds 0 on IdempotentRequests[\s\S]*run mongo-init/,
    );

    await ensureSchema(db);
    const ttl = await db.collection(COLLECTIONS.idempotentRequests).indexes();
    expect(ttl.find((index) => index.name === 'expiresAt_ttl')?.expireAfterSeconds).toBe(0);
    const users = (await db.collection(COLLECTIONS.users).indexes()).map((index) => index.name);
    expect(users).not.toContain('partition');
    const store = await MongoStore.connect(mongoUrl, databaseName);
    await store.close();
  });

  // A partial restore: without the key the claims are hashed with, a new one would be made and
  // no stored claim would match any more, letting two users hold one email.
  it('is refused at connect while it holds email claims without their key', async () => {
    const db = admin.db(databaseName);
    await ensureSchema(db);
    await db
      .collection<EmailClaimDocument>(COLLECTIONS.emailClaims)
      .insertOne({ _id: 'claim-hash', userId: 'u1' });
    const connecting = MongoStore.connect(mongoUrl, databaseName);
    await expect(connecting).rejects.toBeInstanceOf(StoreMisconfiguredError);
    await expect(connecting).rejects.toThrow(/holds email claims .* not the data key/);
    await db.collection(COLLECTIONS.emailClaims).deleteMany({});
    const store = await MongoStore.connect(mongoUrl, databaseName);
    await store.close();
  });
});

describeWithMongoBinary('connecting to a MongoDB that is not a replica set', (binary) => {
  let standalone: MongoMemoryServer;

  beforeAll(async () => {
    standalone = await MongoMemoryServer.create({
      instance: { storageEngine: 'wiredTiger' },
      binary: { systemBinary: binary },
    });
  }, 60_000);

  afterAll(async () => {
    await standalone.stop();
  });

  // Change streams and majority writes need a replica set: on a standalone server the services
  // would connect, then fail every subscription and retry forever without saying why.
  it.each([
    ['without replicaSet= in the URL', ''],
    // The README's form: the driver then leaves the standalone out and only server selection
    // fails, which must not pass for an outage.
    ['with replicaSet=rs0 in the URL', '?replicaSet=rs0'],
  ])('refuses to connect %s, saying that it is not a replica set', async (_, query) => {
    const connecting = MongoStore.connect(`${standalone.getUri()}${query}`, 'users', {
      timeoutMs: 1000,
    });
    await expect(connecting).rejects.toBeInstanceOf(StoreMisconfiguredError);
    await expect(connecting).rejects.toThrow(/not a replica set/);
  });
});

describeWithMongo('two aggregators owning one partition (an overlapping deploy)', (mongoUrl) => {
  let admin: MongoClient;
  let newOwner: MongoStore;
  let oldOwner: MongoStore;
  const databaseName = `owners_${uuidv4().replaceAll('-', '')}`;

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
    await ensureSchema(admin.db(databaseName));
    newOwner = await MongoStore.connect(mongoUrl, databaseName);
    oldOwner = await MongoStore.connect(mongoUrl, databaseName);
  });

  afterAll(async () => {
    await newOwner.close();
    await oldOwner.close();
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  // If the old owner's late write revived the user, the next aggregator restored from this
  // snapshot would answer 200 for a deleted user until it changed again.
  it('does not bring back a deleted user when the old owner saves an older state of it afterwards', async () => {
    const [zombie, alive] = idsInPartition(5, 2, 'owned');
    const partition = partitionOf(zombie!, TEST_PARTITIONS);
    const other: SnapshotEntry = {
      userId: alive!,
      partition,
      version: 1,
      user: { id: alive!, name: 'Alive', email: 'alive@example.com', group: 2 },
    };
    const tombstone: SnapshotEntry = { userId: zombie!, partition, version: 2, user: null };
    const stale: SnapshotEntry = {
      userId: zombie!,
      partition,
      version: 1,
      user: { id: zombie!, name: 'Zed', email: 'zed@example.com', group: 1 },
    };

    await newOwner.snapshots.save({
      partitions: [partition],
      entries: [tombstone, other],
      checkpoint: null,
    });
    await oldOwner.snapshots.save({ partitions: [partition], entries: [stale], checkpoint: null });

    for (const reader of [newOwner, oldOwner]) {
      expect((await reader.snapshots.load([partition])).entries).toEqual([other]);
      expect(await reader.snapshots.loadUser(zombie!)).toEqual(tombstone);
    }
  });
});

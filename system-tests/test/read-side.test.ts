import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { InMemoryStore } from '@user-service/common/store/memory';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo } from '@user-service/test-support';
import { defineReadSideContract } from './read-side-contract';

describe('read side on the in-memory store', () => {
  defineReadSideContract(async () => new InMemoryStore());
});

describeWithMongo('read side on MongoDB', (mongoUrl) => {
  let admin: MongoClient;
  /** Every database a system made: each gets a fresh one, and a shared MONGO_URL server must not keep them. */
  const databases: string[] = [];

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });

  afterAll(async () => {
    // By now every system, and with it its store, has been closed.
    for (const databaseName of databases.splice(0)) await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  defineReadSideContract(async () => {
    const databaseName = `read_side_${uuidv4().replaceAll('-', '')}`;
    databases.push(databaseName);
    await ensureSchema(admin.db(databaseName));
    return MongoStore.connect(mongoUrl, databaseName);
  });
});

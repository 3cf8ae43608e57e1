import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { InMemoryStore } from '@user-service/common/store/memory';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo } from '@user-service/test-support';
import { defineSystemContract } from './system-contract';

describe('system on the in-memory store', () => {
  defineSystemContract(async () => new InMemoryStore());
});

describeWithMongo('system on MongoDB', (mongoUrl) => {
  let admin: MongoClient;
  /** Every database a test made: each test gets a fresh one, and a shared MONGO_URL server must not keep them. */
  const databases: string[] = [];

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });

  afterAll(async () => {
    // By now every test's system, and with it its store, has been closed.
    for (const databaseName of databases.splice(0)) await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  defineSystemContract(async () => {
    const databaseName = `system_${uuidv4().replaceAll('-', '')}`;
    databases.push(databaseName);
    await ensureSchema(admin.db(databaseName));
    return MongoStore.connect(mongoUrl, databaseName);
  });
});

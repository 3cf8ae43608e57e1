import { ensureSchema, InMemoryStore, MongoStore, positionOf } from '@user-service/common';
import { MongoClient, Timestamp } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo } from '../support/mongo';
import { defineStoreContract } from './store-contract';

describe('event store contract: in memory', () => {
  defineStoreContract(async () => {
    const store = new InMemoryStore();
    return {
      store,
      async loseHistorySince(checkpoint) {
        store.events.forgetHistory();
        expect(positionOf(checkpoint)).toBeGreaterThanOrEqual(0);
        return checkpoint;
      },
      dispose: () => store.close(),
    };
  });
});

describeWithMongo('event store contract: MongoDB', (mongoUrl) => {
  let admin: MongoClient;
  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });
  afterAll(async () => {
    await admin.close();
  });

  defineStoreContract(async () => {
    const databaseName = `contract_${uuidv4().replaceAll('-', '')}`;
    await ensureSchema(admin.db(databaseName));
    const store = await MongoStore.connect(mongoUrl, databaseName);
    return {
      store,
      // The oplog of a fresh replica set starts long after the epoch, so time (1, 1) is outside it.
      loseHistorySince: async () => ({ clusterTime: new Timestamp({ t: 1, i: 1 }), resumeToken: null }),
      async dispose() {
        await store.close();
        await admin.db(databaseName).dropDatabase();
      },
    };
  });
});

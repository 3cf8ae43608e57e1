import { ensureSchema, MONGO_ERROR, MongoStore } from '@user-service/common/store/mongo';
import { InMemoryStore, positionOf } from '@user-service/common/store/memory';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo, mongoTestCommandsEnabled } from '@user-service/test-support';
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

  defineStoreContract(
    async () => {
      const databaseName = `contract_${uuidv4().replaceAll('-', '')}`;
      // The failpoint below acts on every client of the server, and other test files run at the
      // same time against the same replica set, some with change streams (aggregates) of their
      // own. Naming this store's client lets the failpoint hit only this store's aggregate.
      const appName = `contract-${uuidv4()}`;
      await ensureSchema(admin.db(databaseName));
      const store = await MongoStore.connect(mongoUrl, databaseName, { client: { appName } });
      let failPointSet = false;
      return {
        store,
        // A fresh oplog never rolls over, and the server does not report history lost for a
        // start before an oplog that was never truncated, so an old checkpoint alone would
        // simply work. Instead the next change-stream aggregate of this store fails the way a
        // rolled-over oplog makes it fail; the checkpoint itself stays as it is.
        async loseHistorySince(checkpoint) {
          if (!mongoTestCommandsEnabled())
            throw new Error('history can only be lost with test commands enabled');
          await admin.db('admin').command({
            configureFailPoint: 'failCommand',
            mode: { times: 1 },
            data: {
              failCommands: ['aggregate'],
              errorCode: MONGO_ERROR.ChangeStreamHistoryLost,
              appName,
            },
          });
          failPointSet = true;
          return checkpoint;
        },
        async dispose() {
          // Off whether or not it fired (a test that failed early never sent its aggregate), so
          // that the server is left as it was found for whatever runs on it next.
          if (failPointSet)
            await admin.db('admin').command({ configureFailPoint: 'failCommand', mode: 'off' });
          await store.close();
          await admin.db(databaseName).dropDatabase();
        },
      };
    },
    { canLoseHistory: mongoTestCommandsEnabled() },
  );
});

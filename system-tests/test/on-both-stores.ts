import type { Store } from '@user-service/common/store';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { InMemoryStore } from '@user-service/common/store/memory';
import { describeWithMongo } from '@user-service/test-support';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { everyDocumentIn, everyStringIn } from './stored-text';

/** Everything a store made by the contract's `createStore` holds, as raw text, for scans. */
export type StoredText = (store: Store) => Promise<string>;

/** Which adapter the contract runs on, for the few waits that differ (a replicated store lags). */
export type StoreKind = 'memory' | 'mongo';

/**
 * Runs a contract on the in-memory store and, where a MongoDB can be had, on MongoDB: each store
 * the contract asks for there is a fresh database, dropped once the contract is done.
 */
export function onBothStores(
  title: string,
  defineContract: (
    createStore: () => Promise<Store>,
    storedText: StoredText,
    kind: StoreKind,
  ) => void,
): void {
  describe(`${title} on the in-memory store`, () => {
    defineContract(
      async () => new InMemoryStore(),
      async (store) => everyStringIn(store),
      'memory',
    );
  });

  describeWithMongo(`${title} on MongoDB`, (mongoUrl) => {
    let admin: MongoClient;
    /** Every database a test made: a shared MONGO_URL server must not keep them. */
    const databases: string[] = [];

    beforeAll(async () => {
      admin = await MongoClient.connect(mongoUrl);
    });

    afterAll(async () => {
      // By now every system, and with it its store, has been closed.
      for (const databaseName of databases.splice(0)) await admin.db(databaseName).dropDatabase();
      await admin.close();
    });

    const databaseOf = new WeakMap<Store, string>();
    defineContract(
      async () => {
        const databaseName = `contract_${uuidv4().replaceAll('-', '')}`;
        databases.push(databaseName);
        await ensureSchema(admin.db(databaseName));
        const store = await MongoStore.connect(mongoUrl, databaseName);
        databaseOf.set(store, databaseName);
        return store;
      },
      async (store) => {
        const databaseName = databaseOf.get(store);
        if (databaseName === undefined) throw new Error('not a store this contract made');
        return everyDocumentIn(admin.db(databaseName));
      },
      'mongo',
    );
  });
}

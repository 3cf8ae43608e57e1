import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { InMemoryStore } from '@user-service/common/store/memory';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo } from '@user-service/test-support';
import { CuttableProxy } from './cuttable-proxy';
import { runStoreOutage } from './store-outage';

describe('store outage: in memory', () => {
  it('answers writes 503 with Retry-After and stores nothing, keeps serving reads, and recovers without restarts', async () => {
    const store = new InMemoryStore();
    await runStoreOutage({
      store,
      setDown: async (down) => store.outage.setDown(down),
      dispose: async () => undefined,
    });
  });
});

describeWithMongo('store outage: MongoDB behind a cut network', (mongoUrl) => {
  it('answers writes 503 with Retry-After and stores nothing, keeps serving reads, and recovers without restarts', async () => {
    const admin = await MongoClient.connect(mongoUrl);
    const databaseName = `outage_${uuidv4().replaceAll('-', '')}`;
    await ensureSchema(admin.db(databaseName));
    // The system talks to the primary only through the proxy, so cutting it is an outage.
    const hello = await admin.db('admin').command({ hello: 1 });
    const [host = '127.0.0.1', port = '27017'] = String(hello.primary ?? hello.me).split(':');
    const proxy = await CuttableProxy.start({ host, port: Number(port) });
    const store = await MongoStore.connect(
      `mongodb://127.0.0.1:${proxy.port}/?directConnection=true`,
      databaseName,
    );
    await runStoreOutage({
      store,
      setDown: async (down) => proxy.setCut(down),
      async dispose() {
        await proxy.close();
        await admin.db(databaseName).dropDatabase();
        await admin.close();
      },
    });
  }, 60_000);
});

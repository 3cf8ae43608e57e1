import { createLogger } from '@user-service/common/observability';
import { COLLECTIONS, INDEXES } from '@user-service/common/store/mongo';
import { MongoClient } from 'mongodb';
import { MongoMemoryServer } from 'mongodb-memory-server';
import { PassThrough } from 'node:stream';
import { initialize } from '../src/initialize';
import { describeWithMongoBinary } from '@user-service/test-support';

describeWithMongoBinary('mongo-init on three fresh mongod processes', (binary) => {
  const replicaSet = 'rs-init-test';
  let members: MongoMemoryServer[] = [];

  beforeAll(async () => {
    members = await Promise.all(
      [0, 1, 2].map(() =>
        MongoMemoryServer.create({
          instance: { replSet: replicaSet, storageEngine: 'wiredTiger' },
          binary: { systemBinary: binary },
        }),
      ),
    );
  }, 60_000);

  afterAll(async () => {
    await Promise.all(members.map((member) => member.stop()));
  });

  it('initiates the set, creates collections, indexes and the service user, and can run again with a rotated password', async () => {
    const config = {
      members: members.map((member) => `127.0.0.1:${member.instanceInfo!.port}`),
      replicaSet,
      database: 'users',
      partitions: 12,
      timeoutMs: 60_000,
      // These mongods run without auth, so there is no root user to log in as.
      rootCredentials: undefined,
      serviceUser: { username: 'users-service', password: 'first' },
    };
    const log = createLogger({ service: 'mongo-init', stream: new PassThrough() });
    await initialize(config, log);
    await initialize(
      { ...config, serviceUser: { username: 'users-service', password: 'rotated' } },
      log,
    );

    const client = await MongoClient.connect(
      `mongodb://${config.members.join(',')}/?replicaSet=${replicaSet}`,
    );
    try {
      const db = client.db('users');
      const collections = (await db.listCollections().toArray()).map(
        (collection) => collection.name,
      );
      expect(collections.sort()).toEqual(Object.values(COLLECTIONS).sort());
      for (const [name, indexes] of Object.entries(INDEXES)) {
        const existing = (await db.collection(name).indexes()).map((index) => index.name);
        for (const index of indexes) expect(existing).toContain(index.name);
      }
      const status = await client.db('admin').command({ replSetGetStatus: 1 });
      expect(status.members).toHaveLength(3);
      const { users } = await client
        .db('admin')
        .command({ usersInfo: { user: 'users-service', db: 'admin' } });
      expect(users).toHaveLength(1);
      expect(users[0].roles).toEqual([{ role: 'readWrite', db: 'users' }]);
      expect(await db.collection(COLLECTIONS.settings).findOne({})).toEqual({
        _id: 'layout',
        partitions: 12,
        storeId: expect.any(String),
      });
      // The count of a database that has one never changes: another stops mongo-init at once.
      await expect(initialize({ ...config, partitions: 16 }, log)).rejects.toThrow(
        'was initialised with 12 partitions, not PARTITIONS=16',
      );
    } finally {
      await client.close();
    }
  }, 120_000);
});

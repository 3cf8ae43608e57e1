import { type Document, MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { ensureServiceUser } from '../src/service-user';
import { isAuthenticationFailure } from '@user-service/common/store/mongo';
import { describeWithMongo } from '@user-service/test-support';

// The test replica set runs without auth, but a login is still checked against the users it
// holds: a wrong password is refused there as it would be in the deployment.
describeWithMongo('the service user on a replica set', (mongoUrl) => {
  let admin: MongoClient;
  const username = `service_${randomUUID().replaceAll('-', '')}`;
  const database = `users_${randomUUID().replaceAll('-', '')}`;

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });

  afterAll(async () => {
    await admin
      .db('admin')
      .command({ dropUser: username })
      .catch(() => undefined);
    await admin.close();
  });

  const command = (doc: Document) => admin.db('admin').command(doc);

  /** Whether MongoDB lets `password` log in as the service user. */
  async function logsIn(password: string): Promise<boolean> {
    const client = new MongoClient(mongoUrl, {
      auth: { username, password },
      serverSelectionTimeoutMS: 5000,
    });
    try {
      await client.connect();
      await client.db('admin').command({ ping: 1 });
      return true;
    } catch (error) {
      if (isAuthenticationFailure(error)) return false;
      throw error;
    } finally {
      await client.close();
    }
  }

  it('exists in admin with exactly readWrite on the database, and takes a rotated password', async () => {
    expect(await ensureServiceUser(command, { username, password: 'first' }, database)).toBe(
      'created',
    );
    expect(await ensureServiceUser(command, { username, password: 'rotated' }, database)).toBe(
      'updated',
    );

    const { users } = await admin
      .db('admin')
      .command({ usersInfo: { user: username, db: 'admin' } });
    expect(users).toHaveLength(1);
    expect(users[0].roles).toEqual([{ role: 'readWrite', db: database }]);
    expect(await logsIn('rotated')).toBe(true);
    expect(await logsIn('first')).toBe(false);
  });
});

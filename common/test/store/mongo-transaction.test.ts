import { type CommandStartedEvent, MongoClient, MongoServerError } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { describeWithMongo } from '@user-service/test-support';
import { runTransaction } from '../../src/store/mongo/transaction';

/**
 * The transaction runner against a real replica set, where the unit tests' fake session cannot
 * stand in for the server: what a racer for one unique key is told, and which commands go out.
 */
describeWithMongo('MongoDB transactions: a lost race for a unique key', (mongoUrl) => {
  let client: MongoClient;
  const started: CommandStartedEvent[] = [];
  const databaseName = `txn_${uuidv4().replaceAll('-', '')}`;

  beforeAll(async () => {
    client = await MongoClient.connect(mongoUrl, {
      monitorCommands: true,
      writeConcern: { w: 'majority' },
      readConcern: { level: 'majority' },
    });
    client.on('commandStarted', (event) => started.push(event));
    await client.db(databaseName).createCollection('Claims');
  });

  afterAll(async () => {
    await client.db(databaseName).dropDatabase();
    await client.close();
  });

  it('runs again after a write conflict, then answers the duplicate key, without ever sending abortTransaction', async () => {
    const claims = client.db(databaseName).collection<{ _id: string; userId: string }>('Claims');
    const winner = client.startSession();
    const loser = client.startSession();
    try {
      // The winner holds the claim in a transaction it has not committed yet.
      winner.startTransaction();
      await claims.replaceOne(
        { _id: 'K', userId: 'win' },
        { userId: 'win' },
        { session: winner, upsert: true },
      );

      const attempts: unknown[] = [];
      const outcome = await runTransaction(
        loser,
        async () => {
          try {
            await claims.replaceOne(
              { _id: 'K', userId: 'lose' },
              { userId: 'lose' },
              { session: loser, upsert: true },
            );
          } catch (error) {
            attempts.push(error);
            throw error;
          }
        },
        {
          attempts: 3,
          budgetMs: 10_000,
          clock: {
            now: Date.now,
            random: () => 0,
            // The pause before the second run lasts until the winner has committed.
            sleep: async () => {
              if (winner.inTransaction()) await winner.commitTransaction();
            },
          },
        },
      ).catch((error: unknown) => error);

      // First a write conflict the server labels transient, then the committed claim's key.
      expect(attempts).toHaveLength(2);
      expect(attempts[0]).toMatchObject({ code: 112 });
      expect((attempts[0] as MongoServerError).hasErrorLabel('TransientTransactionError')).toBe(
        true,
      );
      expect(outcome).toBeInstanceOf(MongoServerError);
      expect(outcome).toMatchObject({ code: 11000 });
      expect(loser.inTransaction()).toBe(false);
      await loser.endSession();
      expect(started.map((event) => event.commandName)).not.toContain('abortTransaction');
      expect(await claims.findOne({ _id: 'K' })).toEqual({ _id: 'K', userId: 'win' });
    } finally {
      await winner.endSession();
      await loser.endSession();
    }
  });
});

import {
  created,
  describeWithMongo,
  eventsFor,
  fieldsFor,
  updated,
} from '@user-service/test-support';
import { ensureSchema } from '@user-service/common/store/mongo';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { CausalClock } from '../../src/store/mongo/causal-clock';
import { MongoEventStore } from '../../src/store/mongo/mongo-event-store';

/**
 * The one-command user read (`stored-user-read.ts`) on a real server, with a page of 3 events
 * where production has 5,000: past a full page, the rest of the events are read after it.
 */
describeWithMongo('MongoDB: a user read with more events than one command carries', (mongoUrl) => {
  let client: MongoClient;
  const databaseName = `user_read_${uuidv4().replaceAll('-', '')}`;

  beforeAll(async () => {
    client = await MongoClient.connect(mongoUrl, {
      writeConcern: { w: 'majority' },
      readConcern: { level: 'majority' },
    });
    await ensureSchema(client.db(databaseName));
  });

  afterAll(async () => {
    await client.db(databaseName).dropDatabase();
    await client.close();
  });

  it('answers every event after the snapshot, once each and in order', async () => {
    const quiet = { error: () => undefined };
    const db = client.db(databaseName);
    const events = new MongoEventStore(client, db, new CausalClock(client), 5000, quiet, 3);
    const history = eventsFor(
      'ann',
      0,
      created(fieldsFor(1)),
      ...Array.from({ length: 7 }, (_, n) => updated({ group: n + 2 })),
    );
    for (const event of history) await events.append('ann', event.version - 1, [event]);
    const stored = await events.readUser('ann');
    expect(stored.events.map(({ version }) => version)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(stored.events.at(-1)?.data).toEqual({ group: 8 });
  });
});

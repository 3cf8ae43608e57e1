import { type Checkpoint, type Subscription } from '@user-service/common/store';
import { type UserEvent } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { created, eventsFor, fieldsFor, idsInPartition } from '@user-service/test-support';
import { describeWithMongo } from '@user-service/test-support';
import { Recorder } from '@user-service/test-support';

const PARTITION = 3;
/** More than the 101 changes of a change stream's first batch, so that getMores follow it. */
const BACKLOG = 150;
/**
 * Oplog entries that match nothing, between the backlog and the last event: far more than one
 * getMore scans in its 500 ms, so that the stream answers "nothing yet" in the middle of them.
 */
const FILLER_DOCUMENTS = 300_000;
const FILLER_BATCH = 10_000;

/** A Recorder that also keeps what had been delivered when the subscription first said it had caught up. */
class FirstCatchUpRecorder extends Recorder {
  deliveredAtFirstCatchUp: UserEvent[] | null = null;

  override onCaughtUp(checkpoint: Checkpoint): void {
    this.deliveredAtFirstCatchUp ??= [...this.events];
    super.onCaughtUp(checkpoint);
  }
}

describeWithMongo('MongoDB subscription: caught up means caught up', (mongoUrl) => {
  let admin: MongoClient;
  let store: MongoStore;
  const subscriptions: Subscription[] = [];
  const databaseName = `caughtup_${uuidv4().replaceAll('-', '')}`;

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
    await ensureSchema(admin.db(databaseName));
    store = await MongoStore.connect(mongoUrl, databaseName);
  });

  afterAll(async () => {
    await Promise.all(subscriptions.map((subscription) => subscription.stop()));
    await store.close();
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  });

  // A restarted aggregator reports ready when its subscription says it has caught up; if that
  // came while events of its partitions were still unread, reads would be served stale.
  it('does not report caught up on an empty wait while unread events lie beyond a long stretch of other writes', async () => {
    const first = new Recorder();
    const firstRun = store.events.subscribe(
      { partitions: [PARTITION], checkpoint: null, knownVersions: new Map() },
      first,
    );
    subscriptions.push(firstRun);
    await first.caughtUpWith(0);
    await firstRun.stop();
    const checkpoint = first.lastCheckpoint;

    const users = idsInPartition(PARTITION, BACKLOG + 1, 'caught');
    const backlog = users.slice(0, BACKLOG);
    for (const [n, userId] of backlog.entries()) {
      await store.events.append(userId, 0, eventsFor(userId, 0, created(fieldsFor(n))));
    }
    const filler = admin.db(databaseName).collection<{ n: number }>('Filler');
    for (let start = 0; start < FILLER_DOCUMENTS; start += FILLER_BATCH) {
      const batch = Array.from({ length: FILLER_BATCH }, (_, k) => ({ n: start + k }));
      await filler.insertMany(batch, { ordered: false });
    }
    const lastUser = users[BACKLOG]!;
    const [last] = eventsFor(lastUser, 0, created(fieldsFor(BACKLOG)));
    await store.events.append(lastUser, 0, [last!]);

    const resumed = new FirstCatchUpRecorder();
    subscriptions.push(
      store.events.subscribe(
        { partitions: [PARTITION], checkpoint, knownVersions: first.heldVersions() },
        resumed,
      ),
    );
    await waitUntil(() => resumed.deliveredAtFirstCatchUp !== null, {
      describe: () => `the resumed subscription to catch up (has ${resumed.events.length} events)`,
      timeoutMs: 90_000,
      intervalMs: 10,
    });

    const delivered = resumed.deliveredAtFirstCatchUp!.map((event) => event.eventId);
    expect(delivered).toContain(last!.eventId);
    expect(delivered).toHaveLength(BACKLOG + 1);
  }, 120_000);
});

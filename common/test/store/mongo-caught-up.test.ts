import {
  type ChangeSource,
  type ChangeTail,
  type Checkpoint,
  type Subscription,
} from '@user-service/common/store';
import { type UserEvent } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { type Collection, MongoClient } from 'mongodb';
import { startCatchUpSubscription } from '../../src/store/catch-up-subscription';
import { v4 as uuidv4 } from 'uuid';
import { created, eventsFor, fieldsFor, idsInPartition } from '@user-service/test-support';
import { describeWithMongo } from '@user-service/test-support';
import { Recorder } from '@user-service/test-support';

const PARTITION = 3;
/** More than the 101 changes of a change stream's first batch, so that getMores follow it. */
const BACKLOG = 150;
/**
 * Documents that match nothing, between the backlog and the last event, which the tail must scan
 * past to deliver it. (They do not make a getMore answer "nothing yet" in the middle of them: on
 * 8.0 an empty batch is always a scan that reached the end. WatchedSource makes the idle answers
 * that stop short of the target.)
 */
const FILLER_DOCUMENTS = 300_000;
const FILLER_BATCH = 10_000;

/** A Recorder that also keeps what had been delivered when the subscription first said it had caught up. */
class FirstCatchUpRecorder extends Recorder {
  deliveredAtFirstCatchUp: UserEvent[] | null = null;
  onEachCatchUp: () => void = () => undefined;

  override onCaughtUp(checkpoint: Checkpoint): void {
    this.deliveredAtFirstCatchUp ??= [...this.events];
    this.onEachCatchUp();
    super.onCaughtUp(checkpoint);
  }
}

type Seen =
  | { readonly kind: 'idle'; readonly position: Checkpoint | null }
  | { readonly kind: 'change' }
  | { readonly kind: 'target'; readonly position: Checkpoint }
  | { readonly kind: 'caughtUp' };

/**
 * The store's own change source, watched: every tail step and every target, in order. Before
 * each target it also writes one document elsewhere, so that the target is past everything the
 * tail can have scanned so far. An empty getMore batch on MongoDB 8.0 is always a scan that
 * reached the end of what it could read (getmore_cmd.cpp: "empty batches are always caused by
 * hitting EOF"), so an idle answer stops short of a target only when something committed between
 * the getMore's read and the target's: this write makes that happen at every target, as other
 * writers do in production.
 */
class WatchedSource implements ChangeSource {
  readonly seen: Seen[] = [];

  constructor(
    private readonly inner: ChangeSource,
    private readonly elsewhere: Collection<{ at: string }>,
  ) {}

  catchUp(partitions: readonly number[]) {
    return this.inner.catchUp(partitions);
  }

  readUserEvents(userId: string, afterVersion: number) {
    return this.inner.readUserEvents(userId, afterVersion);
  }

  reached(position: Checkpoint, target: Checkpoint): boolean {
    return this.inner.reached(position, target);
  }

  async headPosition(): Promise<Checkpoint> {
    await this.elsewhere.insertOne({ at: 'head' }, { writeConcern: { w: 'majority' } });
    const position = await this.inner.headPosition();
    this.seen.push({ kind: 'target', position });
    return position;
  }

  openTail(partitions: readonly number[], from: Checkpoint): ChangeTail {
    const tail = this.inner.openTail(partitions, from);
    return {
      next: async () => {
        const step = await tail.next();
        this.seen.push(
          step.kind === 'idle' ? { kind: 'idle', position: step.position } : { kind: 'change' },
        );
        return step;
      },
      close: () => tail.close(),
    };
  }

  /**
   * The idle answers whose position had not reached the target the subscription compared it
   * with (the one fixed right after it, or else the last one fixed before it), each with what
   * the subscription did next: caught up, or nothing.
   */
  idleBelowTarget(): { readonly thenCaughtUp: boolean }[] {
    return this.seen.flatMap((step, index) => {
      if (step.kind !== 'idle' || !step.position) return [];
      const next = this.seen[index + 1];
      const target =
        next?.kind === 'target'
          ? next
          : this.seen.slice(0, index).findLast((earlier) => earlier.kind === 'target');
      if (target?.kind !== 'target' || this.reached(step.position, target.position)) return [];
      const after = this.seen[next?.kind === 'target' ? index + 2 : index + 1];
      return [{ thenCaughtUp: after?.kind === 'caughtUp' }];
    });
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
    const watched = new WatchedSource(
      store.events,
      admin.db(databaseName).collection<{ at: string }>('Elsewhere'),
    );
    resumed.onEachCatchUp = () => watched.seen.push({ kind: 'caughtUp' });
    const subscription = startCatchUpSubscription(
      watched,
      { partitions: [PARTITION], checkpoint, knownVersions: first.heldVersions() },
      resumed,
    );
    subscriptions.push(subscription);
    await waitUntil(() => resumed.deliveredAtFirstCatchUp !== null, {
      describe: () => `the resumed subscription to catch up (has ${resumed.events.length} events)`,
      timeoutMs: 90_000,
      intervalMs: 10,
    });
    // A few idle steps more: each fixes a new target beyond what the tail has scanned.
    const stepsSoFar = watched.seen.length;
    await waitUntil(() => watched.seen.length >= stepsSoFar + 6, {
      describe: 'more tail steps',
      timeoutMs: 10_000,
      intervalMs: 10,
    });

    const delivered = resumed.deliveredAtFirstCatchUp!.map((event) => event.eventId);
    expect(delivered).toContain(last!.eventId);
    expect(delivered).toHaveLength(BACKLOG + 1);
    // The condition this test is about did happen: the tail answered "nothing now" from a
    // position short of the target, and the subscription did not take that for caught up.
    const belowTarget = watched.idleBelowTarget();
    expect(belowTarget.length).toBeGreaterThan(0);
    expect(belowTarget.filter((step) => step.thenCaughtUp)).toEqual([]);
  }, 120_000);
});

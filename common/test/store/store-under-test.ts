import {
  type AppendResult,
  type Checkpoint,
  type EmailClaim,
  type SnapshotEntry,
  type Store,
  type Subscription,
} from '@user-service/common/store';
import {
  compareIds,
  emailClaimChange,
  foldEvents,
  initialUserState,
  type UserEvent,
  type UserEventBody,
} from '@user-service/common/domain';
import { created, eventsFor, fieldsFor, Recorder, updated } from '@user-service/test-support';

export interface StoreFixture {
  readonly store: Store;
  /**
   * Makes `checkpoint` unusable, as an oplog that rolled over would, and returns what a
   * subscriber holding it would resume from.
   */
  loseHistorySince(checkpoint: Checkpoint): Promise<Checkpoint>;
  dispose(): Promise<void>;
}

/**
 * A fresh store for each test of a contract, and the ways its tests write and subscribe as the
 * service does. `store` stands for the running test's store, so a contract can hold it from the
 * start.
 */
export interface StoreUnderTest {
  readonly store: Store;
  loseHistorySince(checkpoint: Checkpoint): Promise<Checkpoint>;
  /** A subscription stopped after the test. */
  subscribe(
    partitions: readonly number[],
    recorder: Recorder,
    from?: { checkpoint: Checkpoint | null; knownVersions?: ReadonlyMap<string, number> },
  ): Subscription;
  /** A first subscriber that catches up with `count` events, then stops, as before a restart. */
  runUntilCaughtUp(partitions: readonly number[], count: number): Promise<Recorder>;
  /** Appends as the service does: with the claim the events make on their user's email. */
  append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
  ): Promise<AppendResult>;
  /** Appends each event on its own, in order; returns each append's result. */
  appendAll(events: readonly UserEvent[]): Promise<AppendResult[]>;
  /** Creates then updates each user, one append per event; returns every event. */
  seed(userIds: readonly string[], updatesPerUser?: number): Promise<UserEvent[]>;
  /** Every stored event of these users, user by user. */
  readAll(userIds: readonly string[]): Promise<UserEvent[]>;
}

/** Sets up a fresh fixture before each test of the enclosing `describe`, disposed of after it. */
export function storeUnderTest(createFixture: () => Promise<StoreFixture>): StoreUnderTest {
  let fixture: StoreFixture | undefined;
  const subscriptions: Subscription[] = [];

  beforeEach(async () => {
    fixture = await createFixture();
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    await fixture?.dispose();
    fixture = undefined;
  });

  function current(): StoreFixture {
    if (!fixture) throw new Error('the store under test exists only while a test runs');
    return fixture;
  }

  const store: Store = {
    get events() {
      return current().store.events;
    },
    get snapshots() {
      return current().store.snapshots;
    },
    get idempotency() {
      return current().store.idempotency;
    },
    get leases() {
      return current().store.leases;
    },
    get rebuilds() {
      return current().store.rebuilds;
    },
    layout: () => current().store.layout(),
    get dataKeys() {
      return current().store.dataKeys;
    },
    ping: () => current().store.ping(),
    close: () => current().store.close(),
  };

  function subscribe(
    partitions: readonly number[],
    recorder: Recorder,
    from: { checkpoint: Checkpoint | null; knownVersions?: ReadonlyMap<string, number> } = {
      checkpoint: null,
    },
  ): Subscription {
    const subscription = store.events.subscribe(
      { partitions, checkpoint: from.checkpoint, knownVersions: from.knownVersions ?? new Map() },
      recorder,
    );
    subscriptions.push(subscription);
    return subscription;
  }

  async function runUntilCaughtUp(partitions: readonly number[], count: number): Promise<Recorder> {
    const recorder = new Recorder();
    const subscription = subscribe(partitions, recorder);
    await recorder.caughtUpWith(count);
    await subscription.stop();
    return recorder;
  }

  function append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
  ): Promise<AppendResult> {
    return store.events.append(userId, expectedVersion, events, {
      emailClaim: emailClaimOf(events),
    });
  }

  async function appendAll(events: readonly UserEvent[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const event of events)
      results.push(await append(event.userId, event.version - 1, [event]));
    return results;
  }

  async function seed(userIds: readonly string[], updatesPerUser = 1): Promise<UserEvent[]> {
    const all: UserEvent[] = [];
    for (const [n, userId] of userIds.entries()) {
      const bodies = [ownEmail(userId, created(fieldsFor(n)))];
      for (let u = 1; u <= updatesPerUser; u++) bodies.push(updated({ group: n * 100 + u }));
      const events = eventsFor(userId, 0, ...bodies);
      await appendAll(events);
      all.push(...events);
    }
    return all;
  }

  async function readAll(userIds: readonly string[]): Promise<UserEvent[]> {
    const perUser = await Promise.all(userIds.map((userId) => store.events.readUserEvents(userId)));
    return perUser.flat();
  }

  return {
    store,
    loseHistorySince: (checkpoint) => current().loseHistorySince(checkpoint),
    subscribe,
    runUntilCaughtUp,
    append,
    appendAll,
    seed,
    readAll,
  };
}

/** A create with an email made of the user's id, so that users seeded apart never share one. */
export function ownEmail(userId: string, body: UserEventBody): UserEventBody {
  return body.type === 'UserCreated'
    ? { ...body, data: { ...body.data, email: `${userId}.${body.data.email}` } }
    : body;
}

/**
 * The claim the service would pass with these events, the normalised email standing for its
 * keyed hash (`emailKey`): the store treats the key as opaque, so the rule it enforces is the same.
 */
export function emailClaimOf(events: readonly UserEvent[]): EmailClaim | undefined {
  const change = emailClaimChange(events);
  return change?.kind === 'hold' ? { kind: 'hold', key: change.email } : change;
}

/** What a subscriber would save after folding these events: one entry per user. */
export function snapshotOf(events: readonly UserEvent[]): SnapshotEntry[] {
  const byUser = new Map<string, UserEvent[]>();
  for (const event of events)
    byUser.set(event.userId, [...(byUser.get(event.userId) ?? []), event]);
  return [...byUser].map(([userId, userEvents]) => {
    const state = foldEvents(initialUserState, userEvents);
    return {
      userId,
      partition: userEvents[0]!.partition,
      version: state.version,
      user: state.user,
    };
  });
}

export function sortById(entries: readonly SnapshotEntry[]): SnapshotEntry[] {
  return [...entries].sort((a, b) => compareIds(a.userId, b.userId));
}

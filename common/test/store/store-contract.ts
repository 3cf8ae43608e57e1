import {
  type AppendResult,
  type Checkpoint,
  type EmailClaim,
  emailClaimChange,
  EmailTakenError,
  foldEvents,
  type HistoryQuery,
  initialUserState,
  partitionOf,
  type SnapshotEntry,
  type Store,
  type Subscription,
  type UserEvent,
  type UserEventBody,
  VersionConflictError,
  type WrappedDataKey,
} from '@user-service/common';
import {
  created,
  deleted,
  eventsFor,
  eventsWith,
  fieldsFor,
  idsInPartition,
  TEST_PARTITIONS,
  updated,
  userFor,
} from '@user-service/test-support';
import { Recorder } from '@user-service/test-support';

export interface StoreFixture {
  readonly store: Store;
  /**
   * Makes `checkpoint` unusable, as an oplog that rolled over would, and returns what a
   * subscriber holding it would resume from.
   */
  loseHistorySince(checkpoint: Checkpoint): Promise<Checkpoint>;
  dispose(): Promise<void>;
}

export interface StoreContractOptions {
  /**
   * False when the fixture has no way to make a checkpoint fall out of the store's history (a
   * MongoDB server without test commands, whose fresh oplog never rolls over): the one test
   * that needs it is then reported as skipped, rather than run on a checkpoint that still works,
   * where it could only fail, or pass without testing anything if weakened. `loseHistorySince`
   * is never called then.
   */
  readonly canLoseHistory?: boolean;
}

/**
 * The behaviour every event store adapter must have. One definition, run against each adapter,
 * so that the in-memory store used by fast tests cannot drift from the MongoDB one.
 */
export function defineStoreContract(
  createFixture: () => Promise<StoreFixture>,
  { canLoseHistory = true }: StoreContractOptions = {},
): void {
  let fixture: StoreFixture;
  let store: Store;
  const subscriptions: Subscription[] = [];

  beforeEach(async () => {
    fixture = await createFixture();
    store = fixture.store;
  });

  afterEach(async () => {
    await Promise.all(subscriptions.splice(0).map((subscription) => subscription.stop()));
    await fixture.dispose();
  });

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

  /** A first subscriber that catches up with `count` events, then stops, as before a restart. */
  async function runUntilCaughtUp(partitions: readonly number[], count: number): Promise<Recorder> {
    const recorder = new Recorder();
    const subscription = subscribe(partitions, recorder);
    await recorder.caughtUpWith(count);
    await subscription.stop();
    return recorder;
  }

  /** Appends as the service does: with the claim the events make on their user's email. */
  function append(
    userId: string,
    expectedVersion: number,
    events: readonly UserEvent[],
  ): Promise<AppendResult> {
    return store.events.append(userId, expectedVersion, events, emailClaimOf(events));
  }

  /** Appends each event on its own, in order; returns each append's result. */
  async function appendAll(events: readonly UserEvent[]): Promise<AppendResult[]> {
    const results: AppendResult[] = [];
    for (const event of events)
      results.push(await append(event.userId, event.version - 1, [event]));
    return results;
  }

  /** Creates then updates each user, one append per event; returns every event. */
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

  /** A create with an email made of the user's id, so that users seeded apart never share one. */
  function ownEmail(userId: string, body: UserEventBody): UserEventBody {
    return body.type === 'UserCreated'
      ? { ...body, data: { ...body.data, email: `${userId}.${body.data.email}` } }
      : body;
  }

  async function readAll(userIds: readonly string[]): Promise<UserEvent[]> {
    const perUser = await Promise.all(userIds.map((userId) => store.events.readUserEvents(userId)));
    return perUser.flat();
  }

  const versionKey = (event: UserEvent) => `${event.userId}@${event.version}`;

  /** `held`: the versions the subscriber held before these deliveries. */
  function expectExactlyOnceInOrder(
    delivered: readonly UserEvent[],
    expected: readonly UserEvent[],
    held: ReadonlyMap<string, number> = new Map(),
  ): void {
    expect(delivered.map(versionKey).sort()).toEqual(expected.map(versionKey).sort());
    const lastSeen = new Map(held);
    for (const event of delivered) {
      expect(event.version).toBe((lastSeen.get(event.userId) ?? 0) + 1);
      lastSeen.set(event.userId, event.version);
    }
  }

  describe('append and read', () => {
    it('reads back a user’s events in version order, and only those after a given version', async () => {
      const events = eventsFor(
        'alice',
        0,
        created(fieldsFor(1)),
        updated({ name: 'Alice' }),
        deleted(),
      );
      await appendAll(events);
      await appendAll(eventsFor('bob', 0, created(fieldsFor(2))));

      const all = await store.events.readUserEvents('alice');
      expect(all.map((event) => [event.version, event.type])).toEqual([
        [1, 'UserCreated'],
        [2, 'UserUpdated'],
        [3, 'UserDeleted'],
      ]);
      expect(all[1]).toEqual(events[1]);
      expect((await store.events.readUserEvents('alice', 1)).map((event) => event.version)).toEqual(
        [2, 3],
      );
      expect(await store.events.readUserEvents('nobody')).toEqual([]);
    });

    it('stores several events of one append together', async () => {
      const events = eventsFor('carol', 0, created(fieldsFor(3)), updated({ group: 7 }));
      expect((await append('carol', 0, events)).outcome).toBe('appended');
      expect((await store.events.readUserEvents('carol')).map((event) => event.version)).toEqual([
        1, 2,
      ]);
    });

    it('lets exactly one of 20 concurrent appends at the same version win', async () => {
      const contenders = Array.from({ length: 20 }, (_, n) =>
        eventsFor('dave', 0, created(fieldsFor(n))),
      );
      const outcomes = await Promise.allSettled(
        contenders.map((events) => append('dave', 0, events)),
      );

      const winners = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      const losers = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason] : [],
      );
      expect(winners).toHaveLength(1);
      expect(losers).toHaveLength(19);
      for (const error of losers) expect(error).toBeInstanceOf(VersionConflictError);
      expect(await store.events.readUserEvents('dave')).toHaveLength(1);
    });

    it('rejects an append whose expected version is stale', async () => {
      await appendAll(eventsFor('erin', 0, created(fieldsFor(4)), updated({ group: 1 })));
      const stale = eventsFor('erin', 1, updated({ group: 2 }));
      await expect(append('erin', 1, stale)).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store.events.readUserEvents('erin')).toHaveLength(2);
    });

    it('treats appending an already stored eventId as a no-op, even after later events', async () => {
      const [first] = eventsFor('frank', 0, created(fieldsFor(5)));
      await append('frank', 0, [first!]);
      expect((await append('frank', 0, [first!])).outcome).toBe('alreadyStored');
      await appendAll(eventsFor('frank', 1, updated({ group: 9 })));
      expect((await append('frank', 0, [first!])).outcome).toBe('alreadyStored');
      expect(
        (await store.events.readUserEvents('frank')).map((event) => event.eventId),
      ).toHaveLength(2);
    });

    it('rejects an append whose expected version is ahead of the stored head, so versions never have a hole', async () => {
      await appendAll(eventsFor('hank', 0, created(fieldsFor(8))));
      await expect(
        append('hank', 3, eventsFor('hank', 3, updated({ group: 4 }))),
      ).rejects.toBeInstanceOf(VersionConflictError);
      await expect(
        append('ivy', 2, eventsFor('ivy', 2, updated({ group: 1 }))),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store.events.readUserEvents('hank')).toHaveLength(1);
      expect(await store.events.readUserEvents('ivy')).toEqual([]);
    });

    it('answers a ping while it can be reached', async () => {
      await expect(store.ping()).resolves.toBeUndefined();
    });

    it('refuses events that do not follow the expected version', async () => {
      const gap = eventsFor('gina', 1, updated({ group: 1 }));
      await expect(append('gina', 0, gap)).rejects.toThrow(/expected 1/);
      expect(await store.events.readUserEvents('gina')).toEqual([]);
    });
  });

  describe('one live user per email', () => {
    const withEmail = (n: number, email: string) => ({ ...fieldsFor(n), email });

    it('refuses to store a create or an email change that takes an email another live user holds, case aside', async () => {
      await appendAll(eventsFor('ann', 0, created(withEmail(1, 'Shared@Example.org'))));
      await appendAll(eventsFor('ben', 0, created(withEmail(2, 'ben@example.org'))));

      await expect(
        append('cid', 0, eventsFor('cid', 0, created(withEmail(3, 'shared@EXAMPLE.org')))),
      ).rejects.toBeInstanceOf(EmailTakenError);
      await expect(
        append('ben', 1, eventsFor('ben', 1, updated({ email: 'SHARED@example.org' }))),
      ).rejects.toBeInstanceOf(EmailTakenError);
      expect(await store.events.readUserEvents('cid')).toEqual([]);
      expect(await store.events.readUserEvents('ben')).toHaveLength(1);
    });

    it('lets a user keep its own email, in another case too, and change fields other than the email', async () => {
      await appendAll(eventsFor('dan', 0, created(withEmail(1, 'dan@example.org'))));
      await appendAll(
        eventsFor('dan', 1, updated({ email: 'DAN@example.org' }), updated({ group: 5 })),
      );
      expect(await store.events.readUserEvents('dan')).toHaveLength(3);
    });

    it('frees an email once its user is deleted or changes email', async () => {
      await appendAll(eventsFor('eve', 0, created(withEmail(1, 'eve@example.org')), deleted()));
      await appendAll(eventsFor('fay', 0, created(withEmail(2, 'fay@example.org'))));
      await appendAll(eventsFor('fay', 1, updated({ email: 'fay2@example.org' })));

      await appendAll(eventsFor('gus', 0, created(withEmail(3, 'EVE@example.org'))));
      await appendAll(eventsFor('hal', 0, created(withEmail(4, 'fay@example.org'))));
      // The deleted user, created again, finds its old email taken.
      await expect(
        append('eve', 2, eventsFor('eve', 2, created(withEmail(1, 'eve@example.org')))),
      ).rejects.toBeInstanceOf(EmailTakenError);
    });

    it('of 20 concurrent creates of different users with one email, stores exactly one', async () => {
      const ids = Array.from({ length: 20 }, (_, n) => `racer${n}`);
      const outcomes = await Promise.allSettled(
        ids.map((id, n) =>
          append(id, 0, eventsFor(id, 0, created(withEmail(n, `Race@example.org`)))),
        ),
      );
      expect(outcomes.filter((outcome) => outcome.status === 'fulfilled')).toHaveLength(1);
      for (const outcome of outcomes)
        if (outcome.status === 'rejected') expect(outcome.reason).toBeInstanceOf(EmailTakenError);
      expect((await readAll(ids)).map((event) => event.type)).toEqual(['UserCreated']);
    });

    it('answers a retry of a stored append as alreadyStored, even once its email has passed to another user', async () => {
      const first = eventsFor('ida', 0, created(withEmail(1, 'ida@example.org')));
      await appendAll(first);
      await appendAll(eventsFor('ida', 1, updated({ email: 'ida2@example.org' })));
      await appendAll(eventsFor('jon', 0, created(withEmail(2, 'ida@example.org'))));
      expect((await append('ida', 0, first)).outcome).toBe('alreadyStored');
    });

    it('goes by the claim alone, never by the events, whose emails it is given sealed', async () => {
      const creates = (userId: string, n: number, sealedEmail: string) =>
        eventsFor(userId, 0, created(withEmail(n, sealedEmail)));
      const hold = (key: string): EmailClaim => ({ kind: 'hold', key });
      await store.events.append('kai', 0, creates('kai', 1, 'sealed-a'), hold('hash-1'));
      // Other text in the events, the same claim: refused.
      await expect(
        store.events.append('lea', 0, creates('lea', 2, 'sealed-b'), hold('hash-1')),
      ).rejects.toBeInstanceOf(EmailTakenError);
      // The same text in the events, another claim: stored.
      await store.events.append('max', 0, creates('max', 3, 'sealed-a'), hold('hash-2'));
      // No claim: the emails held stay as they were, whatever the events say.
      await store.events.append('kai', 1, eventsFor('kai', 1, updated({ email: 'sealed-c' })));
      await expect(
        store.events.append('lea', 0, creates('lea', 2, 'sealed-b'), hold('hash-1')),
      ).rejects.toBeInstanceOf(EmailTakenError);
      // A release frees the email its user held.
      await store.events.append('kai', 2, eventsFor('kai', 2, deleted()), { kind: 'release' });
      await store.events.append('lea', 0, creates('lea', 2, 'sealed-b'), hold('hash-1'));
      expect((await readAll(['kai', 'lea', 'max'])).map(versionKey)).toEqual([
        'kai@1',
        'kai@2',
        'kai@3',
        'lea@1',
        'max@1',
      ]);
    });
  });

  describe('data keys', () => {
    const wrappedKey = (keyId: string, masterKeyId = 'master-1'): WrappedDataKey => ({
      keyId,
      masterKeyId,
      wrapped: `${keyId} wrapped by ${masterKeyId}`,
    });

    it('of 10 concurrent getOrCreate with different candidates, gives each the one key stored', async () => {
      const candidates = Array.from({ length: 10 }, (_, n) => wrappedKey(`k${n}`));
      const answers = await Promise.all(
        candidates.map((candidate) => store.dataKeys.getOrCreate('ada', candidate)),
      );
      const storedKey = (await store.dataKeys.get(['ada'])).get('ada');
      expect(candidates).toContainEqual(storedKey);
      for (const answer of answers) expect(answer).toEqual(storedKey);
      // And later calls too, whatever their candidate.
      expect(await store.dataKeys.getOrCreate('ada', wrappedKey('late'))).toEqual(storedKey);
    });

    it('gives the keys of the owners that have one, leaving the others out', async () => {
      await store.dataKeys.getOrCreate('ada', wrappedKey('ka'));
      await store.dataKeys.getOrCreate('$email-index', wrappedKey('ki'));
      const found = await store.dataKeys.get(['nobody', 'ada', '$email-index', 'ada']);
      expect(found).toEqual(
        new Map([
          ['ada', wrappedKey('ka')],
          ['$email-index', wrappedKey('ki')],
        ]),
      );
      expect(await store.dataKeys.get(['nobody'])).toEqual(new Map());
      expect(await store.dataKeys.get([])).toEqual(new Map());
    });

    it('destroys a key for good: the next getOrCreate stores its new candidate', async () => {
      await store.dataKeys.getOrCreate('ada', wrappedKey('old'));
      await store.dataKeys.getOrCreate('bob', wrappedKey('kb'));
      await store.dataKeys.destroy('ada');
      expect(await store.dataKeys.get(['ada', 'bob'])).toEqual(
        new Map([['bob', wrappedKey('kb')]]),
      );
      expect(await store.dataKeys.getOrCreate('ada', wrappedKey('new'))).toEqual(wrappedKey('new'));
      expect((await store.dataKeys.get(['ada'])).get('ada')).toEqual(wrappedKey('new'));
    });

    it('resolves when destroying the key of an owner that has none', async () => {
      await expect(store.dataKeys.destroy('nobody')).resolves.toBeUndefined();
      await store.dataKeys.destroy('ada');
      await store.dataKeys.getOrCreate('ada', wrappedKey('ka'));
      await store.dataKeys.destroy('ada');
      await expect(store.dataKeys.destroy('ada')).resolves.toBeUndefined();
    });

    it('lists the keys wrapped by other master keys, in owner order, a page at a time', async () => {
      // By owner as JavaScript compares code units: '$' before capitals before small letters,
      // '-' before '_', digits one by one.
      const others: [string, string][] = [
        ['user-a', 'master-0'],
        ['User-b', 'master-old'],
        ['user_c', 'master-0'],
        ['user-10', 'master-0'],
        ['$email-index', 'master-old'],
        ['user-9', 'master-0'],
      ];
      const current = ['user-5', 'Zed', 'user-b'];
      for (const [owner, masterKeyId] of others)
        await store.dataKeys.getOrCreate(owner, wrappedKey(`k-${owner}`, masterKeyId));
      for (const owner of current)
        await store.dataKeys.getOrCreate(owner, wrappedKey(`k-${owner}`));

      const page = async (after: string | undefined, limit: number) =>
        (await store.dataKeys.wrappedOtherwise('master-1', after, limit)).map(({ owner }) => owner);
      expect(await page(undefined, 3)).toEqual(['$email-index', 'User-b', 'user-10']);
      expect(await page('user-10', 3)).toEqual(['user-9', 'user-a', 'user_c']);
      expect(await page('user_c', 3)).toEqual([]);
      // After an owner without a key, or with a current one: from the next one up.
      expect(await page('user-5', 2)).toEqual(['user-9', 'user-a']);
      expect(await page('Zed', 1)).toEqual(['user-10']);
      expect(await page(undefined, 50)).toHaveLength(others.length);
      expect(await store.dataKeys.wrappedOtherwise('master-1', 'User-b', 1)).toEqual([
        { owner: 'user-10', key: wrappedKey('k-user-10', 'master-0') },
      ]);
      // Every key but those of the master key named.
      const byOld = await store.dataKeys.wrappedOtherwise('master-old', undefined, 50);
      expect(byOld.map(({ owner }) => owner)).toEqual([
        'Zed',
        'user-10',
        'user-5',
        'user-9',
        'user-a',
        'user-b',
        'user_c',
      ]);
    });

    it('rewraps a key that is still the one read, and reads back the new wrapping', async () => {
      const from = wrappedKey('k1', 'master-0');
      const to = wrappedKey('k1', 'master-1');
      await store.dataKeys.getOrCreate('ada', from);
      expect(await store.dataKeys.rewrap('ada', from, to)).toBe(true);
      expect((await store.dataKeys.get(['ada'])).get('ada')).toEqual(to);
      expect(await store.dataKeys.getOrCreate('ada', wrappedKey('k2'))).toEqual(to);
      expect(await store.dataKeys.wrappedOtherwise('master-1', undefined, 10)).toEqual([]);
    });

    it('refuses to rewrap a key that was destroyed, or is no longer the one read', async () => {
      const from = wrappedKey('k1', 'master-0');
      const to = wrappedKey('k1', 'master-1');

      // Destroyed: stays destroyed.
      await store.dataKeys.getOrCreate('ada', from);
      await store.dataKeys.destroy('ada');
      expect(await store.dataKeys.rewrap('ada', from, to)).toBe(false);
      expect(await store.dataKeys.get(['ada'])).toEqual(new Map());

      // Destroyed and created again, by chance wrapped the same way but a new key.
      const recreated = { ...from, keyId: 'k2' };
      await store.dataKeys.getOrCreate('ada', recreated);
      expect(await store.dataKeys.rewrap('ada', from, to)).toBe(false);
      expect((await store.dataKeys.get(['ada'])).get('ada')).toEqual(recreated);

      // Rewrapped first by another process.
      await store.dataKeys.getOrCreate('bob', from);
      const first = { ...from, masterKeyId: 'master-2', wrapped: 'k1 wrapped by master-2' };
      expect(await store.dataKeys.rewrap('bob', from, first)).toBe(true);
      expect(await store.dataKeys.rewrap('bob', from, to)).toBe(false);
      expect((await store.dataKeys.get(['bob'])).get('bob')).toEqual(first);
    });
  });

  describe('reading one event', () => {
    it('finds a stored event by its id, and null for an id never stored', async () => {
      const events = eventsFor('kim', 0, created(fieldsFor(1)), updated({ group: 3 }));
      await appendAll(events);
      expect(await store.events.readEvent(events[1]!.eventId)).toEqual(events[1]);
      expect(await store.events.readEvent('never-stored')).toBeNull();
    });
  });

  describe('idempotency keys', () => {
    const at = (seconds: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, seconds));
    const attempt = (token: string, now: number, fingerprint = 'POST /api/user {}') => ({
      fingerprint,
      token,
      now: at(now),
      leaseUntil: at(now + 10),
      expiresAt: at(now + 50),
    });
    const outcome = { status: 201, headers: { ETag: '"1"' }, body: '{"id":"a"}' };

    it('lets the first attempt start, answers in-flight while its lease runs, and the outcome once finished', async () => {
      const keys = store.idempotency;
      expect(await keys.begin('k1', attempt('t1', 0))).toEqual({ kind: 'started' });
      expect(await keys.begin('k1', attempt('t2', 5))).toEqual({ kind: 'inFlight' });
      await keys.finish('k1', 't1', outcome, at(40));
      expect(await keys.begin('k1', attempt('t3', 6, 'another request'))).toEqual({
        kind: 'completed',
        fingerprint: 'POST /api/user {}',
        outcome,
      });
      expect(await keys.begin('k2', attempt('t4', 6))).toEqual({ kind: 'started' });
    });

    it('hands the key to a new attempt once the holder’s lease runs out; the old holder can then neither finish nor abandon it', async () => {
      const keys = store.idempotency;
      await keys.begin('k1', attempt('dead', 0));
      expect(await keys.begin('k1', attempt('next', 11))).toEqual({ kind: 'started' });
      await keys.finish('k1', 'dead', { ...outcome, status: 200 }, at(40));
      await keys.abandon('k1', 'dead');
      expect(await keys.begin('k1', attempt('third', 12))).toEqual({ kind: 'inFlight' });
      await keys.finish('k1', 'next', outcome, at(40));
      expect(await keys.begin('k1', attempt('fourth', 13))).toMatchObject({ outcome });
    });

    it('forgets an abandoned key at once, and a finished one after it expires', async () => {
      const keys = store.idempotency;
      await keys.begin('k1', attempt('t1', 0));
      await keys.abandon('k1', 't1');
      expect(await keys.begin('k1', attempt('t2', 1))).toEqual({ kind: 'started' });
      await keys.finish('k1', 't2', outcome, at(30));
      expect(await keys.begin('k1', attempt('t3', 29))).toMatchObject({ kind: 'completed' });
      expect(await keys.begin('k1', attempt('t4', 30))).toEqual({ kind: 'started' });
    });

    it('lets exactly one of 10 concurrent first attempts start', async () => {
      const begins = await Promise.all(
        Array.from({ length: 10 }, (_, n) => store.idempotency.begin('k1', attempt(`t${n}`, 0))),
      );
      expect(begins.filter((begin) => begin.kind === 'started')).toHaveLength(1);
      expect(begins.filter((begin) => begin.kind === 'inFlight')).toHaveLength(9);
    });
  });

  describe('request ids', () => {
    it('keeps the request id an event was written with, and null when it had none', async () => {
      const traced = eventsWith('rita', 0, { requestId: 'req-7f3a' }, created(fieldsFor(1)));
      const untraced = eventsFor('rita', 1, updated({ group: 2 }));
      await appendAll([...traced, ...untraced]);

      const read = await store.events.readUserEvents('rita');
      expect(read.map((event) => event.requestId)).toEqual(['req-7f3a', null]);
      expect(read).toEqual([...traced, ...untraced]);
    });
  });

  describe('user history', () => {
    const at = (iso: string) => new Date(iso);
    const t0 = at('2031-05-01T08:00:00.000Z');
    const t1 = at('2031-05-01T09:00:00.000Z');
    const t2 = at('2031-05-02T10:00:00.000Z');
    const t3 = at('2031-05-03T11:00:00.000Z');

    /** Five events of `hilda` at t0 … t3 (two at t3), and as many of `otto` at the same times. */
    async function seedHistory(): Promise<UserEvent[]> {
      const bodies: [Date, UserEventBody][] = [
        [t0, created(fieldsFor(1))],
        [t1, updated({ group: 2 })],
        [t2, updated({ name: 'Hilda' })],
        [t3, deleted()],
        [t3, created(fieldsFor(3))],
      ];
      // Each user with emails of its own: two live users cannot share one.
      const history = (userId: string) =>
        bodies.flatMap(([occurredAt, body], index) =>
          eventsWith(userId, index, { occurredAt }, ownEmail(userId, body)),
        );
      const hilda = history('hilda');
      await appendAll(hilda);
      await appendAll(history('otto'));
      return hilda;
    }

    const versions = (events: readonly UserEvent[]) => events.map((event) => event.version);

    it('reads all of a user’s events, in version order, and none of another user’s', async () => {
      const hilda = await seedHistory();
      expect(await store.events.readUserHistory('hilda', { afterVersion: 0, limit: 50 })).toEqual(
        hilda,
      );
      expect(await store.events.readUserHistory('nobody', { afterVersion: 0, limit: 50 })).toEqual(
        [],
      );
    });

    it('filters by type, by time from inclusive to exclusive to the millisecond, and by version', async () => {
      await seedHistory();
      const history = async (query: Omit<HistoryQuery, 'limit'>) =>
        versions(await store.events.readUserHistory('hilda', { ...query, limit: 50 }));

      expect(await history({ afterVersion: 0, types: ['UserUpdated'] })).toEqual([2, 3]);
      expect(await history({ afterVersion: 0, types: ['UserCreated', 'UserDeleted'] })).toEqual([
        1, 4, 5,
      ]);
      expect(await history({ afterVersion: 0, from: t1, to: t3 })).toEqual([2, 3]);
      expect(
        await history({
          afterVersion: 0,
          from: new Date(t1.getTime() + 1),
          to: new Date(t3.getTime() + 1),
        }),
      ).toEqual([3, 4, 5]);
      expect(await history({ afterVersion: 0, from: t3 })).toEqual([4, 5]);
      expect(await history({ afterVersion: 0, to: t1 })).toEqual([1]);
      expect(await history({ afterVersion: 3 })).toEqual([4, 5]);
      expect(await history({ afterVersion: 1, types: ['UserCreated'], from: t0 })).toEqual([5]);
      expect(await history({ afterVersion: 0, from: t3, to: t3 })).toEqual([]);
    });

    it('gives at most `limit` events, the first ones, so that afterVersion pages through them', async () => {
      await seedHistory();
      const page = async (afterVersion: number, types?: UserEvent['type'][]) =>
        versions(
          await store.events.readUserHistory('hilda', {
            afterVersion,
            limit: 2,
            ...(types && { types }),
          }),
        );
      expect(await page(0)).toEqual([1, 2]);
      expect(await page(2)).toEqual([3, 4]);
      expect(await page(4)).toEqual([5]);
      expect(await page(0, ['UserCreated', 'UserDeleted'])).toEqual([1, 4]);
    });

    it('refuses a limit that is not a positive integer', async () => {
      for (const limit of [0, -1, 1.5])
        await expect(
          store.events.readUserHistory('hilda', { afterVersion: 0, limit }),
        ).rejects.toThrow(/limit/);
    });
  });

  describe('events by day', () => {
    const at = (iso: string) => new Date(iso);

    it('counts events per UTC day and type, from inclusive to exclusive, sorted by day then type', async () => {
      // In log order: neither the days nor the types within a day come in sorted order.
      const log: [string, UserEventBody, string][] = [
        ['ivo', created(fieldsFor(1)), '2031-03-16T00:00:00.000Z'],
        ['ivo', updated({ group: 5 }), '2031-03-15T06:00:00.000Z'],
        ['ulla', created(fieldsFor(2)), '2031-03-15T00:00:00.000Z'],
        ['ulla', deleted(), '2031-03-15T12:00:00.000Z'],
        ['udo', created(fieldsFor(3)), '2031-03-13T23:59:59.999Z'],
        ['uwe', created(fieldsFor(4)), '2031-03-14T00:00:00.000Z'],
        ['uwe', updated({ group: 6 }), '2031-03-15T23:59:59.999Z'],
        ['ute', created(fieldsFor(5)), '2031-03-14T23:59:59.999Z'],
      ];
      const versions = new Map<string, number>();
      for (const [userId, body, occurredAt] of log) {
        const version = versions.get(userId) ?? 0;
        await appendAll(eventsWith(userId, version, { occurredAt: at(occurredAt) }, body));
        versions.set(userId, version + 1);
      }

      expect(
        await store.events.countEventsByDay(
          at('2031-03-14T00:00:00.000Z'),
          at('2031-03-16T00:00:00.000Z'),
        ),
      ).toEqual([
        { day: '2031-03-14', type: 'UserCreated', count: 2 },
        { day: '2031-03-15', type: 'UserCreated', count: 1 },
        { day: '2031-03-15', type: 'UserDeleted', count: 1 },
        { day: '2031-03-15', type: 'UserUpdated', count: 2 },
      ]);
      expect(
        await store.events.countEventsByDay(
          at('2031-03-15T00:00:00.001Z'),
          at('2031-03-16T00:00:00.001Z'),
        ),
      ).toEqual([
        { day: '2031-03-15', type: 'UserDeleted', count: 1 },
        { day: '2031-03-15', type: 'UserUpdated', count: 2 },
        { day: '2031-03-16', type: 'UserCreated', count: 1 },
      ]);
    });

    it('gives no rows for a range without events, or an empty range', async () => {
      const occurredAt = at('2031-07-01T10:00:00.000Z');
      await appendAll(eventsWith('vera', 0, { occurredAt }, created(fieldsFor(1))));
      expect(
        await store.events.countEventsByDay(at('2031-06-01T00:00:00Z'), at('2031-07-01T00:00:00Z')),
      ).toEqual([]);
      expect(await store.events.countEventsByDay(occurredAt, occurredAt)).toEqual([]);
    });
  });

  describe('commit positions', () => {
    /** Remembers the checkpoint each event was delivered with. */
    class CheckpointRecorder extends Recorder {
      readonly checkpointOf = new Map<string, Checkpoint>();
      override onEvent(event: UserEvent, checkpoint: Checkpoint | null): void {
        super.onEvent(event, checkpoint);
        if (checkpoint) this.checkpointOf.set(event.eventId, checkpoint);
      }
    }

    const compare = (a: string, b: string) => store.events.comparePositions(a, b);
    const reached = (checkpoint: Checkpoint, result: AppendResult) =>
      compare(store.events.commitPositionOf(checkpoint), result.position) >= 0;

    it('are reached by the checkpoint of a subscription once it has delivered the append', async () => {
      const [userId] = idsInPartition(10, 1);
      const [first] = await appendAll(eventsFor(userId!, 0, created(fieldsFor(1))));
      const recorder = new CheckpointRecorder();
      subscribe([10], recorder);
      await recorder.caughtUpWith(1);
      const caughtUp = recorder.lastCheckpoint;
      expect(reached(caughtUp, first!)).toBe(true);

      // Live, and several events in one append: the last one's checkpoint reaches its position.
      const live = eventsWith(
        userId!,
        1,
        { requestId: 'req-live' },
        updated({ group: 2 }),
        deleted(),
      );
      const second = await append(userId!, 1, live);
      expect(reached(caughtUp, second)).toBe(false);
      await recorder.caughtUpWith(3);
      expect(recorder.events.slice(1)).toEqual(live);
      expect(reached(recorder.checkpointOf.get(live[1]!.eventId)!, second)).toBe(true);
      expect(reached(recorder.lastCheckpoint, second)).toBe(true);
    });

    it('grow with each append, and a retry’s is never before the first append’s', async () => {
      const [event] = eventsFor('paul', 0, created(fieldsFor(1)));
      const first = await append('paul', 0, [event!]);
      const retry = await append('paul', 0, [event!]);
      const [later] = await appendAll(eventsFor('pia', 0, created(fieldsFor(2))));
      const lateRetry = await append('paul', 0, [event!]);

      expect(retry.outcome).toBe('alreadyStored');
      expect(compare(retry.position, first.position)).toBeGreaterThanOrEqual(0);
      expect(compare(lateRetry.position, first.position)).toBeGreaterThanOrEqual(0);
      expect(compare(later!.position, first.position)).toBeGreaterThan(0);
      expect(compare(first.position, later!.position)).toBeLessThan(0);
      expect(compare(later!.position, later!.position)).toBe(0);
      expect(later!.position).toMatch(/^[A-Za-z0-9._~-]+$/);
    });

    it('refuses to compare text that is not a position of the store', async () => {
      const [{ position }] = (await appendAll(eventsFor('rolf', 0, created(fieldsFor(1))))) as [
        AppendResult,
      ];
      for (const text of ['', 'soon', '-1', ' 1', '1e3'])
        expect(() => compare(text, position)).toThrow();
    });
  });

  describe('subscription', () => {
    it('delivers every stored event of its partitions on a first start, then live ones', async () => {
      const stored = await seed([...idsInPartition(1, 3), ...idsInPartition(2, 3)]);
      const recorder = new Recorder();
      subscribe([1, 2], recorder);
      await recorder.caughtUpWith(stored.length);

      const live = eventsFor(idsInPartition(1, 1)[0]!, 2, updated({ name: 'Live' }));
      await appendAll(live);
      await recorder.caughtUpWith(stored.length + 1);
      expectExactlyOnceInOrder(recorder.events, [...stored, ...live]);
    });

    it('isolates partitions: a subscription sees only the partitions it asked for', async () => {
      const inThree = await seed(idsInPartition(3, 4));
      const inFour = await seed(idsInPartition(4, 4));
      const three = new Recorder();
      const four = new Recorder();
      subscribe([3], three);
      subscribe([4], four);
      await three.caughtUpWith(inThree.length);
      await four.caughtUpWith(inFour.length);

      const moreInFour = eventsFor(idsInPartition(4, 1)[0]!, 2, updated({ group: 44 }));
      await appendAll(moreInFour);
      await four.caughtUpWith(inFour.length + 1);
      expectExactlyOnceInOrder(three.events, inThree);
      expectExactlyOnceInOrder(four.events, [...inFour, ...moreInFour]);
    });

    it('from a checkpoint, delivers exactly the events committed after it', async () => {
      const before = await seed(idsInPartition(5, 5));
      const first = await runUntilCaughtUp([5], before.length);

      const after = [
        ...eventsFor(idsInPartition(5, 1)[0]!, 2, updated({ group: 55 }), deleted()),
        ...eventsFor(idsInPartition(5, 6)[5]!, 0, created(fieldsFor(66))),
      ];
      await appendAll(after);
      const second = new Recorder();
      subscribe([5], second, {
        checkpoint: first.lastCheckpoint,
        knownVersions: first.heldVersions(),
      });
      await second.caughtUpWith(after.length);
      expectExactlyOnceInOrder(second.events, after, first.heldVersions());
    });

    it('neither loses nor doubles events appended while it is starting', async () => {
      const users = idsInPartition(6, 20);
      const stored = await seed(users, 2);
      const recorder = new Recorder();
      subscribe([6], recorder);
      // Concurrent with the subscription's first catch-up.
      const concurrent = users.map((userId) =>
        eventsFor(userId, 3, updated({ name: `Renamed ${userId}` })),
      );
      await Promise.all(concurrent.map((events) => appendAll(events)));

      await recorder.caughtUpWith(stored.length + concurrent.length);
      expectExactlyOnceInOrder(recorder.events, [...stored, ...concurrent.flat()]);
    });

    it('fills a gap: a user missing from what the subscriber holds is delivered from its first event', async () => {
      const [known, forgotten] = idsInPartition(7, 2);
      const stored = await seed([known!, forgotten!]);
      const first = await runUntilCaughtUp([7], stored.length);

      const later = eventsFor(forgotten!, 2, updated({ group: 77 }));
      await appendAll(later);
      const second = new Recorder();
      // As after a restore from a snapshot that lacks the user (a deleted user is not kept).
      subscribe([7], second, {
        checkpoint: first.lastCheckpoint,
        knownVersions: new Map([[known!, 2]]),
      });
      await second.caughtUpWith(3);
      expectExactlyOnceInOrder(second.events, [
        ...stored.filter((event) => event.userId === forgotten),
        ...later,
      ]);
    });

    it('resumes after a restart from a saved snapshot and checkpoint, ending in the same state', async () => {
      const users = idsInPartition(8, 6);
      const partitions = [8];
      await seed(users);
      const first = new Recorder();
      const firstRun = subscribe(partitions, first);
      await first.caughtUpWith(users.length * 2);
      await store.snapshots.save({
        partitions,
        entries: snapshotOf(first.events),
        checkpoint: first.lastCheckpoint,
      });
      await firstRun.stop();

      const later = [
        ...eventsFor(users[0]!, 2, deleted()),
        ...eventsFor(users[1]!, 2, updated({ email: 'new@example.com' })),
        ...eventsFor(idsInPartition(8, 7)[6]!, 0, created(fieldsFor(7))),
      ];
      await appendAll(later);

      const restored = await store.snapshots.load(partitions);
      const knownVersions = new Map(restored.entries.map((entry) => [entry.userId, entry.version]));
      const second = new Recorder();
      subscribe(partitions, second, { checkpoint: restored.checkpoint, knownVersions });
      await second.caughtUpWith(later.length);
      expectExactlyOnceInOrder(second.events, later, knownVersions);
      const resumedState = snapshotOf([...first.events, ...second.events]);
      const referenceState = snapshotOf(await readAll(users.concat(idsInPartition(8, 7)[6]!)));
      expect(sortById(resumedState)).toEqual(sortById(referenceState));
    });

    // Skipped, not weakened, where history cannot be lost on demand: see StoreContractOptions.
    const itLosingHistory = canLoseHistory ? it : it.skip;
    itLosingHistory(
      'falls back to catching up from the store when its checkpoint is no longer in history',
      async () => {
        const stored = await seed(idsInPartition(9, 4));
        const first = await runUntilCaughtUp([9], stored.length);

        const later = eventsFor(idsInPartition(9, 1)[0]!, 2, updated({ group: 99 }));
        await appendAll(later);
        const lost = await fixture.loseHistorySince(first.lastCheckpoint);
        const second = new Recorder();
        subscribe([9], second, { checkpoint: lost, knownVersions: first.heldVersions() });
        await second.caughtUpWith(later.length);

        expect(second.historyLost).toBe(1);
        expectExactlyOnceInOrder(second.events, later, first.heldVersions());
        const more = eventsFor(idsInPartition(9, 2)[1]!, 2, deleted());
        await appendAll(more);
        await second.caughtUpWith(later.length + more.length);
        expectExactlyOnceInOrder(second.events, [...later, ...more], first.heldVersions());
      },
    );
  });

  describe('snapshots', () => {
    const alice: SnapshotEntry = {
      userId: 'alice',
      partition: 0,
      version: 3,
      user: { id: 'alice', name: 'Alice', email: 'alice@example.com', group: 1 },
    };
    const bob: SnapshotEntry = {
      userId: 'bob',
      partition: 1,
      version: 1,
      user: { id: 'bob', name: '$bob {', email: 'bob@example.com', group: 2 },
    };

    async function checkpointAfter(userId: string): Promise<Checkpoint> {
      const recorder = new Recorder();
      const partition = partitionOf(userId, TEST_PARTITIONS);
      const events = await store.events.readUserEvents(userId);
      subscribe([partition], recorder, { checkpoint: null });
      await recorder.caughtUpWith(events.length);
      return recorder.lastCheckpoint;
    }

    it('round-trips users and the checkpoint of their partitions', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      const checkpoint = await checkpointAfter('zed');
      await store.snapshots.save({ partitions: [0, 1], entries: [alice, bob], checkpoint });

      const loaded = await store.snapshots.load([0, 1]);
      expect(sortById(loaded.entries)).toEqual([alice, bob]);
      expect(loaded.checkpoint).toEqual(checkpoint);
      expect((await store.snapshots.load([1])).entries).toEqual([bob]);
      expect(await store.snapshots.loadUser('bob')).toEqual(bob);
      expect(await store.snapshots.loadUser('nobody')).toBeNull();
    });

    it('has no checkpoint unless every partition asked for has one', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      await store.snapshots.save({
        partitions: [0],
        entries: [alice],
        checkpoint: await checkpointAfter('zed'),
      });
      expect((await store.snapshots.load([0, 1])).checkpoint).toBeNull();
      expect((await store.snapshots.load([])).entries).toEqual([]);
    });

    it('only moves forward: an older entry never replaces a newer one, and deletes remove users', async () => {
      await store.snapshots.save({ partitions: [0, 1], entries: [alice, bob], checkpoint: null });
      const olderAlice = { ...alice, version: 2, user: { ...alice.user!, name: 'Old' } };
      const deletedBob: SnapshotEntry = { ...bob, version: 2, user: null };
      await store.snapshots.save({
        partitions: [0, 1],
        entries: [olderAlice, deletedBob],
        checkpoint: null,
      });

      expect((await store.snapshots.load([0, 1])).entries).toEqual([alice]);
      const recreatedBob = { ...bob, version: 3 };
      await store.snapshots.save({ partitions: [1], entries: [recreatedBob], checkpoint: null });
      expect(await store.snapshots.loadUser('bob')).toEqual(recreatedBob);
    });

    it('keeps a deleted user as a tombstone: a late, older entry does not bring it back', async () => {
      const deletedBob: SnapshotEntry = { ...bob, version: 2, user: null };
      await store.snapshots.save({ partitions: [1], entries: [deletedBob], checkpoint: null });
      // As from a second owner of the partition (a zombie, an overlapping deploy) that is behind.
      await store.snapshots.save({ partitions: [1], entries: [bob], checkpoint: null });

      expect((await store.snapshots.load([1])).entries).toEqual([]);
      expect(await store.snapshots.loadUser('bob')).toEqual(deletedBob);
    });

    describe('listing users', () => {
      /** Live users over partitions 0 to 2 and groups 1 and 2, saved out of id order. */
      const live: SnapshotEntry[] = [
        ['user-a', 0, 1],
        ['User-b', 1, 2],
        ['user_c', 0, 2],
        ['user-10', 2, 1],
        ['user-9', 0, 1],
      ].map(([id, partition, group]) => ({
        userId: id as string,
        partition: partition as number,
        version: 1,
        user: { ...userFor(id as string, group as number) },
      }));
      /** By id as JavaScript compares code units: capitals before small letters, '-' before '_', digits one by one. */
      const inIdOrder = ['User-b', 'user-10', 'user-9', 'user-a', 'user_c'];

      async function saveUsers(): Promise<void> {
        const gone: SnapshotEntry = { userId: 'user-0', partition: 0, version: 2, user: null };
        const leaving: SnapshotEntry = {
          userId: 'user-1',
          partition: 1,
          version: 1,
          user: userFor('user-1', 1),
        };
        await store.snapshots.save({
          partitions: [0, 1, 2],
          entries: [...live, gone, leaving],
          checkpoint: null,
        });
        await store.snapshots.save({
          partitions: [1],
          entries: [{ ...leaving, version: 2, user: null }],
          checkpoint: null,
        });
      }

      const ids = (users: readonly { id: string }[]) => users.map((user) => user.id);

      it('lists the live users of the partitions in id order, as saved', async () => {
        await saveUsers();
        const all = await store.snapshots.listUsers([0, 1, 2], { limit: 50 });
        expect(ids(all)).toEqual(inIdOrder);
        expect(all[0]).toEqual(live[1]!.user);
        expect(ids(await store.snapshots.listUsers([0], { limit: 50 }))).toEqual([
          'user-9',
          'user-a',
          'user_c',
        ]);
        expect(ids(await store.snapshots.listUsers([1, 2], { group: 1, limit: 50 }))).toEqual([
          'user-10',
        ]);
        expect(await store.snapshots.listUsers([3], { limit: 50 })).toEqual([]);
      });

      it('finds the few users of a partition among thousands of others saved in any id order', async () => {
        const others: SnapshotEntry[] = Array.from({ length: 2500 }, (_, n) => ({
          userId: `other-${(n * 7919) % 2500}`,
          partition: 0,
          version: 1,
          user: userFor(`other-${(n * 7919) % 2500}`, 1),
        }));
        const few = ['other-0a', 'other-1249a', 'zed'].map((id) => ({
          userId: id,
          partition: 2,
          version: 1,
          user: userFor(id, 2),
        }));
        await store.snapshots.save({
          partitions: [0, 2],
          entries: [...few, ...others],
          checkpoint: null,
        });
        expect(ids(await store.snapshots.listUsers([2], { limit: 10 }))).toEqual([
          'other-0a',
          'other-1249a',
          'zed',
        ]);
        expect(ids(await store.snapshots.listUsers([2], { after: 'other-0a', limit: 1 }))).toEqual([
          'other-1249a',
        ]);
      });

      it('pages: at most `limit`, after a given id, within a group', async () => {
        await saveUsers();
        const page = async (after: string | undefined, group?: number) =>
          ids(
            await store.snapshots.listUsers([0, 1, 2], {
              limit: 2,
              ...(after !== undefined && { after }),
              ...(group !== undefined && { group }),
            }),
          );
        expect(await page(undefined)).toEqual(['User-b', 'user-10']);
        expect(await page('user-10')).toEqual(['user-9', 'user-a']);
        expect(await page('user-a')).toEqual(['user_c']);
        expect(await page('user_c')).toEqual([]);
        // After an id that is not stored: from the next one up.
        expect(await page('user-5')).toEqual(['user-9', 'user-a']);
        expect(await page(undefined, 2)).toEqual(['User-b', 'user_c']);
        expect(await page('User-b', 1)).toEqual(['user-10', 'user-9']);
        await expect(store.snapshots.listUsers([0], { limit: 0 })).rejects.toThrow(/limit/);
      });

      it('counts the live users of the partitions per group, or of one group', async () => {
        await saveUsers();
        expect(await store.snapshots.countUsersByGroup([0, 1, 2])).toEqual(
          new Map([
            [1, 3],
            [2, 2],
          ]),
        );
        expect(await store.snapshots.countUsersByGroup([0])).toEqual(
          new Map([
            [1, 2],
            [2, 1],
          ]),
        );
        expect(await store.snapshots.countUsersByGroup([0, 1, 2], 2)).toEqual(new Map([[2, 2]]));
        expect(await store.snapshots.countUsersByGroup([2], 2)).toEqual(new Map());
        expect(await store.snapshots.countUsersByGroup([])).toEqual(new Map());
      });
    });

    it('keeps the newer checkpoint, and loads the oldest one of several partitions', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      const older = await checkpointAfter('zed');
      await appendAll(eventsFor('zed', 1, updated({ group: 5 })));
      const newer = await checkpointAfter('zed');

      await store.snapshots.save({ partitions: [0, 1], entries: [], checkpoint: newer });
      await store.snapshots.save({ partitions: [0], entries: [], checkpoint: older });
      expect((await store.snapshots.load([0])).checkpoint).toEqual(newer);
      await store.snapshots.save({ partitions: [2], entries: [], checkpoint: older });
      expect((await store.snapshots.load([0, 1, 2])).checkpoint).toEqual(older);
    });
  });
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
function snapshotOf(events: readonly UserEvent[]): SnapshotEntry[] {
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

function sortById(entries: readonly SnapshotEntry[]): SnapshotEntry[] {
  return [...entries].sort((a, b) => a.userId.localeCompare(b.userId));
}

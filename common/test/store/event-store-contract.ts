import {
  type AppendResult,
  type ChangeSource,
  type Checkpoint,
  type AppendEffects,
  EmailTakenError,
  type HistoryQuery,
  VersionConflictError,
} from '@user-service/common/store';
import { type UserEvent, type UserEventBody } from '@user-service/common/domain';
import { isAfterInCatchUpOrder } from '../../src/store/change-source';
import {
  created,
  deleted,
  erased,
  eventsFor,
  eventsWith,
  fieldsFor,
  idsInPartition,
  Recorder,
  updated,
  userFor,
} from '@user-service/test-support';
import { ownEmail, snapshotOf, sortById, type StoreUnderTest } from './store-under-test';

/**
 * What every event store adapter promises (`EventStore`, common/src/store/event-store.ts):
 * appends and reads, one live user per email, history, commit positions and subscriptions.
 */
export function defineEventStoreContract(
  {
    store,
    subscribe,
    runUntilCaughtUp,
    append,
    appendAll,
    seed,
    readAll,
    loseHistorySince,
  }: StoreUnderTest,
  { canLoseHistory }: { readonly canLoseHistory: boolean },
): void {
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
      const hold = (key: string): AppendEffects => ({ emailClaim: { kind: 'hold', key } });
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
      await store.events.append('kai', 2, eventsFor('kai', 2, deleted()), {
        emailClaim: { kind: 'release' },
      });
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

  describe('one user in one call', () => {
    const key = { keyId: 'k-1', masterKeyId: 'm-1', wrapped: 'wrapped-1' };

    it('reads a user never written as nothing at all', async () => {
      expect(await store.events.readUser('nobody')).toEqual({
        snapshot: null,
        events: [],
        dataKey: null,
      });
    });

    it('reads the snapshot, the events after it, and the key together', async () => {
      const events = eventsFor('lou', 0, created(fieldsFor(1)), updated({ group: 2 }));
      const [first] = events;
      await store.events.append('lou', 0, [first!], {
        dataKey: { kind: 'create', key },
      });
      await append('lou', 1, events.slice(1));
      const entry = {
        userId: 'lou',
        partition: first!.partition,
        version: 1,
        user: userFor('lou', 1),
      };
      await store.snapshots.save({ partitions: [], entries: [entry], checkpoint: null });

      expect(await store.events.readUser('lou')).toEqual({
        snapshot: entry,
        events: events.slice(1),
        dataKey: key,
      });
    });

    it('does not start from a tombstone: every event is read', async () => {
      const events = eventsFor('mia', 0, created(fieldsFor(1)), deleted());
      await appendAll(events);
      const tombstone = { userId: 'mia', partition: events[0]!.partition, version: 2, user: null };
      await store.snapshots.save({ partitions: [], entries: [tombstone], checkpoint: null });

      const read = await store.events.readUser('mia');
      expect(read.snapshot).toBeNull();
      expect(read.events).toEqual(events);
    });
  });

  describe('what else an append changes, in the same step', () => {
    const key = { keyId: 'k-1', masterKeyId: 'm-1', wrapped: 'wrapped-1' };
    const other = { keyId: 'k-2', masterKeyId: 'm-1', wrapped: 'wrapped-2' };

    it('stores a new user’s key with its first event', async () => {
      await store.events.append('ned', 0, eventsFor('ned', 0, created(fieldsFor(1))), {
        dataKey: { kind: 'create', key },
      });
      expect((await store.dataKeys.get(['ned'])).get('ned')).toEqual(key);
    });

    it('refuses a new key for a user that has one as a conflict, storing nothing', async () => {
      await store.dataKeys.getOrCreate('ola', key);
      await expect(
        store.events.append('ola', 0, eventsFor('ola', 0, created(fieldsFor(1))), {
          dataKey: { kind: 'create', key: other },
        }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect(await store.events.readUserEvents('ola')).toEqual([]);
      expect((await store.dataKeys.get(['ola'])).get('ola')).toEqual(key);
    });

    it('stores neither the key nor the claim of a create whose email is taken', async () => {
      const claim = { kind: 'hold', key: 'hash-shared' } as const;
      await store.events.append('pam', 0, eventsFor('pam', 0, created(fieldsFor(1))), {
        emailClaim: claim,
      });
      await expect(
        store.events.append('quin', 0, eventsFor('quin', 0, created(fieldsFor(2))), {
          emailClaim: claim,
          dataKey: { kind: 'create', key },
        }),
      ).rejects.toBeInstanceOf(EmailTakenError);
      expect(await store.dataKeys.get(['quin'])).toEqual(new Map());
    });

    it('destroys the user’s key with an erasure’s event, and only if the event is stored', async () => {
      await store.events.append('rex', 0, eventsFor('rex', 0, created(fieldsFor(1))), {
        dataKey: { kind: 'create', key },
      });
      await expect(
        store.events.append('rex', 0, eventsFor('rex', 0, erased()), {
          dataKey: { kind: 'destroy' },
        }),
      ).rejects.toBeInstanceOf(VersionConflictError);
      expect((await store.dataKeys.get(['rex'])).get('rex')).toEqual(key);
      await store.events.append('rex', 1, eventsFor('rex', 1, erased()), {
        dataKey: { kind: 'destroy' },
      });
      expect(await store.dataKeys.get(['rex'])).toEqual(new Map());
    });

    it('remembers the outcome of the keyed request carrying the events, if that attempt still holds its key', async () => {
      const now = new Date();
      const later = (ms: number) => new Date(now.getTime() + ms);
      const begin = (token: string) =>
        store.idempotency.begin('key-1', {
          fingerprint: 'PUT /api/user/sal',
          token,
          now,
          leaseUntil: later(10_000),
          expiresAt: later(60_000),
        });
      const outcome = { status: 201, headers: {}, body: '{"id":"sal"}' };
      await begin('t1');
      await store.events.append('sal', 0, eventsFor('sal', 0, created(fieldsFor(1))), {
        outcome: { key: 'key-1', token: 't1', outcome, expiresAt: later(60_000) },
      });
      expect(await begin('t2')).toMatchObject({ kind: 'completed', outcome });
      // Another attempt's token remembers nothing.
      await store.events.append('tia', 0, eventsFor('tia', 0, created(fieldsFor(2))), {
        outcome: { key: 'key-2', token: 'not-holding', outcome, expiresAt: later(60_000) },
      });
      expect(
        await store.idempotency.begin('key-2', {
          fingerprint: 'x',
          token: 't3',
          now,
          leaseUntil: later(10_000),
          expiresAt: later(60_000),
        }),
      ).toEqual({ kind: 'started', fresh: true });
    });
  });

  describe('reading one event', () => {
    it('finds a stored event by its id, with a position at or after its commit, and null for an id never stored', async () => {
      const events = eventsFor('kim', 0, created(fieldsFor(1)), updated({ group: 3 }));
      const [, second] = await appendAll(events);
      const found = await store.events.readEvent(events[1]!.eventId);
      expect(found?.event).toEqual(events[1]);
      expect(
        store.events.comparePositions(found?.position ?? '', second?.position ?? ''),
      ).toBeGreaterThanOrEqual(0);
      expect(await store.events.readEvent('never-stored')).toBeNull();
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

  describe('catching up from the store', () => {
    const source = (): ChangeSource => {
      const events: unknown = store.events;
      if (!isChangeSource(events)) throw new Error('the event store is not a change source');
      return events;
    };
    const readAllOf = async (events: AsyncIterable<UserEvent>) => {
      const read: UserEvent[] = [];
      for await (const event of events) read.push(event);
      return read;
    };

    it('reads the partitions in catch-up order, and read again after any event it gave, gives exactly the ones after it', async () => {
      const stored = await seed([...idsInPartition(2, 3), ...idsInPartition(1, 3)], 2);
      await seed(idsInPartition(3, 2));
      const catchUp = await source().catchUp([2, 1]);
      try {
        const all = await readAllOf(catchUp.read(null));
        expect(all.map((event) => event.eventId).sort()).toEqual(
          stored.map((event) => event.eventId).sort(),
        );
        for (const [n, event] of all.entries()) {
          if (n > 0) expect(isAfterInCatchUpOrder(event, all[n - 1]!)).toBe(true);
          expect((await readAllOf(catchUp.read(event))).map(({ eventId }) => eventId)).toEqual(
            all.slice(n + 1).map(({ eventId }) => eventId),
          );
        }
      } finally {
        await catchUp.close();
      }
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
        const lost = await loseHistorySince(first.lastCheckpoint);
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

function isChangeSource(events: unknown): events is ChangeSource {
  return typeof events === 'object' && events !== null && 'catchUp' in events;
}

import { isDeepStrictEqual } from 'node:util';
import {
  aggregatorOf,
  compareIds,
  partitionOf,
  partitionsOwnedBy,
  type User,
  type UserFields,
} from '@user-service/common/domain';
import { type Store } from '@user-service/common/store';
import { waitUntil } from '@user-service/common/lifecycle';
import type { InProcessCluster } from '@user-service/launcher';
import { idsWhere, ownedBy, testPersonalData } from '@user-service/test-support';
import { type Answer, type ApiClient, apiClient } from './http-client';
import type { StoreKind, StoredText } from './on-both-stores';
import { recordSnapshots } from './recording-store';
import { startTestSystem, untilAggregatorsReady } from './test-system';

const PARTITIONS = 12;
const AGGREGATORS = 3;
const DEADLINE_MS = 10_000;
const DAY_MS = 86_400_000;
const RFC3339_MS_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
/**
 * How many times a read expected `exact` is sent while it answers `snapshot`. In memory once: an
 * aggregator applies a write before the gateway's next request can reach it, so the first answer
 * must be exact. On MongoDB a few: the aggregator waits only POSITION_WAIT_MS (50 ms,
 * aggregator/src/internal-lists.ts) for the asking gateway's write to arrive through its change
 * stream, and one applying a snapshot save (a w:majority bulkWrite every 100 events) or a busy
 * CI host can take longer; each attempt waits that long again. A snapshot answer says so
 * (`X-Consistency: snapshot`), so asking again checks the same promise with a longer wait.
 */
const EXACT_ATTEMPTS: Readonly<Record<StoreKind, number>> = { memory: 1, mongo: 10 };

interface HistoryEvent {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly data: unknown;
  readonly requestId: string | null;
}

interface DayCount {
  readonly day: string;
  readonly type: string;
  readonly count: number;
}

/**
 * The fields of user `n` of id `id`, in one of a few groups so that groups have many members;
 * the email is made of the id, since two live users cannot share one.
 */
function fields(id: string, n: number, group = n % 4): UserFields {
  return { name: `User ${n}`, email: `${id}.${n}@example.com`, group };
}

function byId(a: { id: string }, b: { id: string }): number {
  return compareIds(a.id, b.id);
}

function ownerOf(id: string): number {
  return aggregatorOf(partitionOf(id, PARTITIONS), AGGREGATORS);
}

/** `count` ids `<prefix><n>`, as many of each aggregator's partitions, interleaved. */
function spreadIds(count: number, prefix: string): string[] {
  const perAggregator = [0, 1, 2].map((index) =>
    idsWhere(Math.ceil(count / AGGREGATORS), ownedBy(index, AGGREGATORS), {
      prefix,
    }),
  );
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++)
    ids.push(perAggregator[n % AGGREGATORS]![Math.floor(n / AGGREGATORS)]!);
  return ids;
}

/** A small seeded generator, so a "random" run is the same run every time. */
function seeded(seed: number): (below: number) => number {
  let state = seed >>> 0;
  return (below) => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % below;
  };
}

function nextLink(answer: Answer): string | null {
  const link = answer.headers.get('link');
  if (link === null) return null;
  const match = /^<([^>]+)>; rel="next"$/.exec(link);
  if (!match?.[1]) throw new Error(`not a Link next: ${link}`);
  return match[1];
}

function day(time: number): string {
  return new Date(time).toISOString().slice(0, 10);
}

/** The first value `attempt` gives, looking again until it gives one. */
async function until<T>(what: string, attempt: () => Promise<T | undefined>): Promise<T> {
  let value: T | undefined;
  await waitUntil(async () => (value = await attempt()) !== undefined, {
    describe: what,
    timeoutMs: DEADLINE_MS,
    intervalMs: 10,
  });
  return value as T;
}

/**
 * The read side's contract (history, as-of reads, conditional reads, lists, counts and
 * statistics), exercised through the HTTP API of the whole system; `createStore` decides what it
 * runs on.
 */
export function defineReadSideContract(
  createStore: () => Promise<Store>,
  _storedText?: StoredText,
  kind: StoreKind = 'memory',
): void {
  let system: InProcessCluster;
  let store: Store;
  let api: ApiClient;
  /** The live users as the API acknowledged them: what every exact list and count answers. */
  let reference: Map<string, User>;

  async function startSystem(snapshotEvery = 100, lagMs = 0): Promise<void> {
    store = await createStore();
    system = await startTestSystem({
      // lagMs holds back each event on its way to the aggregators, as a busy one falls behind.
      store: lagMs > 0 ? recordSnapshots(store, lagMs).store : store,
      aggregatorCount: AGGREGATORS,
      snapshotEvery,
    });
    api = apiClient(system.gateway.url);
    reference = new Map();
    await untilReady([0, 1, 2]);
  }

  const untilReady = (indexes: number[]) => untilAggregatorsReady(system, indexes);

  // Writes, each kept in the reference once acknowledged.

  async function create(id: string, given: UserFields, headers?: Record<string, string>) {
    const answer = await api.create({ id, ...given }, headers);
    expect({ id, status: answer.status }).toEqual({ id, status: 201 });
    reference.set(id, { id, ...given });
    return answer;
  }

  async function update(id: string, patch: Partial<UserFields>, headers?: Record<string, string>) {
    const answer = await api.update({ id, ...patch }, headers);
    expect({ id, status: answer.status }).toEqual({ id, status: 200 });
    reference.set(id, { ...reference.get(id)!, ...patch });
    return answer;
  }

  async function remove(id: string, headers?: Record<string, string>) {
    const answer = await api.send('DELETE', `/api/user/${id}`, headers ? { headers } : {});
    expect({ id, status: answer.status }).toEqual({ id, status: 204 });
    reference.delete(id);
    return answer;
  }

  // What the reference says.

  function live(users: Iterable<User> = reference.values(), group?: number): User[] {
    return [...users].filter((user) => group === undefined || user.group === group).sort(byId);
  }

  function perGroup(users: Iterable<User> = reference.values()): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const { group } of users) counts[String(group)] = (counts[String(group)] ?? 0) + 1;
    return counts;
  }

  // Reads.

  function expectAnswer(answer: Answer, consistency: 'exact' | 'snapshot', body: unknown): void {
    expect({
      status: answer.status,
      consistency: answer.headers.get('x-consistency'),
      body: answer.body,
    }).toEqual({ status: 200, consistency, body });
  }

  /** GET `path`, sent again while it answers `snapshot`, up to the store's EXACT_ATTEMPTS. */
  async function readExact(path: string): Promise<Answer> {
    let answer = await api.send('GET', path);
    for (
      let attempt = 1;
      attempt < EXACT_ATTEMPTS[kind] && answer.headers.get('x-consistency') === 'snapshot';
      attempt++
    ) {
      answer = await api.send('GET', path);
    }
    return answer;
  }

  /** GET `path` answers 200 with `body`, exact (read as `readExact` reads) or snapshot. */
  async function expectRead(path: string, consistency: 'exact' | 'snapshot', body: unknown) {
    const answer = consistency === 'exact' ? await readExact(path) : await api.send('GET', path);
    expectAnswer(answer, consistency, body);
  }

  /** Every page from `path` on, following `Link: rel="next"`. */
  async function walk(path: string): Promise<{ pages: Answer[]; users: User[]; paths: string[] }> {
    const pages: Answer[] = [];
    const paths: string[] = [];
    for (let next: string | null = path; next !== null; next = nextLink(pages.at(-1)!)) {
      if (pages.length > 1000) throw new Error('too many pages');
      paths.push(next);
      pages.push(await api.send('GET', next));
    }
    return { pages, paths, users: pages.flatMap((page) => page.body as User[]) };
  }

  /** The list, the counts and the statistics all answer the reference, exactly. */
  async function expectReadSideMatches(
    users: User[] = live(),
    consistency: 'exact' | 'snapshot' = 'exact',
  ) {
    await expectRead('/api/user?limit=1000', consistency, users);
    await expectRead('/api/user/count', consistency, { count: users.length });
    await expectRead('/api/stats/users', consistency, {
      total: users.length,
      byGroup: perGroup(users),
    });
  }

  async function history(id: string, query = ''): Promise<HistoryEvent[]> {
    const answer = await api.send('GET', `/api/user/${id}/events${query}`);
    expect(answer.status).toBe(200);
    return answer.body as HistoryEvent[];
  }

  describe('lists and counts reading their own writes', () => {
    beforeAll(() => startSystem());
    afterAll(() => system.close());

    it('lists and counts a user at once after its 201, exact, for users of every aggregator', async () => {
      for (const [n, id] of spreadIds(24, 'new-').entries()) {
        await create(id, fields(id, n));
        await expectReadSideMatches();
        await expectRead(`/api/user/count?group=${reference.get(id)!.group}`, 'exact', {
          count: live(undefined, reference.get(id)!.group).length,
        });
      }
    });

    it('drops a user from lists and counts at once after its 204, exact', async () => {
      const ids = spreadIds(15, 'gone-');
      for (const [n, id] of ids.entries()) await create(id, fields(id, n));
      for (const id of ids) {
        await remove(id);
        await expectReadSideMatches();
      }
    });

    it('moves an updated user between groups in the very next list and count', async () => {
      const ids = spreadIds(12, 'mover-');
      for (const [n, id] of ids.entries()) await create(id, fields(id, n, 1));
      for (const [n, id] of ids.entries()) {
        const to = 10 + (n % 3);
        await update(id, { group: to, name: `Moved ${n}` });
        await expectRead(`/api/user?group=${to}&limit=1000`, 'exact', live(undefined, to));
        await expectRead('/api/user?group=1&limit=1000', 'exact', live(undefined, 1));
        await expectRead(`/api/user/count?group=${to}`, 'exact', {
          count: live(undefined, to).length,
        });
        expect((await readExact('/api/user?limit=1000')).body).toContainEqual(reference.get(id));
      }
    });

    it('lists and counts every one of 60 concurrent creates, then none of their concurrent deletes, at once', async () => {
      const ids = spreadIds(60, 'burst-');
      const created = await Promise.all(
        ids.map((id, n) => api.create({ id, ...fields(id, n) }).then((answer) => answer.status)),
      );
      expect(created).toEqual(ids.map(() => 201));
      for (const [n, id] of ids.entries()) reference.set(id, { id, ...fields(id, n) });
      await expectReadSideMatches();
      const deleted = await Promise.all(
        ids.map((id) => api.remove(id).then((answer) => answer.status)),
      );
      expect(deleted).toEqual(ids.map(() => 204));
      for (const id of ids) reference.delete(id);
      await expectReadSideMatches();
    });

    it('matches the reference after every write of a seeded mix of creates, updates, deletes and re-creates', async () => {
      const random = seeded(12);
      const ids = spreadIds(30, 'Mix_');
      const seen = new Set<string>();
      let recreated = 0;
      for (let step = 0; step < 80; step++) {
        const id = ids[random(ids.length)]!;
        if (!reference.has(id)) {
          if (seen.has(id)) recreated += 1;
          await create(id, fields(id, step, random(5)));
          seen.add(id);
        } else if (random(3) === 0) {
          await remove(id);
        } else {
          await update(
            id,
            random(2) === 0 ? { group: random(5) } : { email: `step${step}@example.com` },
          );
        }
        const group = random(5);
        await expectRead(`/api/user?group=${group}&limit=1000`, 'exact', live(undefined, group));
        await expectRead(`/api/user/count?group=${group}`, 'exact', {
          count: live(undefined, group).length,
        });
        if (step % 10 === 9) await expectReadSideMatches();
      }
      expect({ seen: seen.size > 15, recreated: recreated > 0 }).toEqual({
        seen: true,
        recreated: true,
      });
      await expectReadSideMatches();
    });
  });

  describe('lists and counts with aggregators lagging behind the store', () => {
    beforeAll(() => startSystem(100, 10));
    afterAll(() => system.close());

    it('waits for the writes it acknowledged: exact, with a create, update or delete made just before', async () => {
      for (const [n, id] of spreadIds(12, 'lag-').entries()) {
        await create(id, fields(id, n));
        await expectReadSideMatches();
        await update(id, { group: 40 + (n % 2) });
        await expectRead(
          `/api/user?group=${40 + (n % 2)}&limit=1000`,
          'exact',
          live(undefined, 40 + (n % 2)),
        );
        if (n % 3 === 0) {
          await remove(id);
          await expectReadSideMatches();
        }
      }
    });
  });

  describe('pages of users', () => {
    beforeAll(async () => {
      await startSystem();
      // Users of every aggregator, ids across the ASCII classes, a few deleted among them.
      const ids = [
        ...spreadIds(27, 'p-'),
        ...spreadIds(9, 'P'),
        ...spreadIds(9, '0'),
        ...spreadIds(9, '_q'),
        ...spreadIds(9, 'Z-'),
      ];
      for (const [n, id] of ids.entries()) await create(id, fields(id, n));
      for (const id of ids.filter((_, n) => n % 7 === 3)) await remove(id);
    });
    afterAll(() => system.close());

    it.each([
      '/api/user?limit=7',
      '/api/users?limit=7',
      '/api/users/?limit=7',
      '/api/user/?limit=7',
    ])(
      'walks Link next from %s through every live user exactly once, in id order',
      async (path) => {
        const { pages, paths, users } = await walk(path);
        expect(users).toEqual(live());
        expect(pages.length).toBe(Math.ceil(live().length / 7));
        for (const page of pages) {
          expect(page.headers.get('x-consistency')).toBe('exact');
          expect((page.body as User[]).length).toBeLessThanOrEqual(7);
        }
        const base = path.split('?', 1)[0]!;
        for (const next of paths.slice(1)) {
          expect(next.split('?', 1)[0]).toBe(base);
          expect(new URLSearchParams(next.split('?', 2)[1]).get('limit')).toBe('7');
        }
        expect(pages.at(-1)!.headers.get('link')).toBeNull();
      },
    );

    it.each([0, 1, 2, 3])(
      'walks the pages of group %s only, keeping group in every Link',
      async (group) => {
        const { paths, users } = await walk(`/api/user?group=${group}&limit=7`);
        expect(users).toEqual(live(undefined, group));
        for (const next of paths.slice(1))
          expect(new URLSearchParams(next.split('?', 2)[1]).get('group')).toBe(String(group));
      },
    );

    it('answers no Link when the last page is exactly full', async () => {
      const all = live();
      const exact = await api.send('GET', `/api/user?limit=${all.length}`);
      expectAnswer(exact, 'exact', all);
      expect(exact.headers.get('link')).toBeNull();
      const short = await api.send('GET', `/api/user?limit=${all.length - 1}`);
      expect(nextLink(short)).not.toBeNull();
      const rest = await api.send('GET', nextLink(short)!);
      expectAnswer(rest, 'exact', all.slice(-1));
      expect(rest.headers.get('link')).toBeNull();
    });

    it('answers 100 users by default, with a Link when more follow', async () => {
      for (let n = 0; live().length <= 100; n++) await create(`more-${n}`, fields(`more-${n}`, n));
      const first = await api.send('GET', '/api/user');
      expectAnswer(first, 'exact', live().slice(0, 100));
      const next = nextLink(first)!;
      expect(new URLSearchParams(next.split('?', 2)[1]).get('after')).toBe(live()[99]!.id);
      await expectRead(next, 'exact', live().slice(100, 200));
    });

    it.each([0, 1, 5, 13, 40])(
      'skips %s users with offset, its Link continuing right after the page',
      async (offset) => {
        const all = live();
        const page = await api.send('GET', `/api/user?offset=${offset}&limit=5`);
        expectAnswer(page, 'exact', all.slice(offset, offset + 5));
        const next = nextLink(page)!;
        const params = new URLSearchParams(next.split('?', 2)[1]);
        expect(params.has('offset')).toBe(false);
        expect(params.get('after')).toBe(all[offset + 4]!.id);
        await expectRead(next, 'exact', all.slice(offset + 5, offset + 10));
      },
    );

    it('applies offset after group and after', async () => {
      const ofGroup = live(undefined, 2);
      const after = ofGroup[3]!.id;
      await expectRead(
        `/api/user?group=2&after=${after}&offset=2&limit=3`,
        'exact',
        ofGroup.slice(6, 9),
      );
    });

    it('answers [] without a Link for an offset past the last user', async () => {
      const past = await api.send('GET', `/api/user?offset=${live().length}`);
      expectAnswer(past, 'exact', []);
      expect(past.headers.get('link')).toBeNull();
    });

    it('starts after the given id, whether or not a user has it', async () => {
      const all = live();
      await expectRead(`/api/user?after=${all[10]!.id}&limit=3`, 'exact', all.slice(11, 14));
      // between two users: `P` ids sort before `Z-` ids and after digits
      await expectRead(
        '/api/user?after=O&limit=1000',
        'exact',
        all.filter((user) => user.id > 'O'),
      );
      await expectRead('/api/user?after=zzz', 'exact', []);
      // a deleted user's id
      const deleted = spreadIds(27, 'p-')[3]!;
      expect(reference.has(deleted)).toBe(false);
      await expectRead(
        `/api/user?after=${deleted}&limit=2`,
        'exact',
        all.filter((user) => user.id > deleted).slice(0, 2),
      );
    });

    it('counts agree with the list and the reference: in total, per group and in stats/users', async () => {
      const listed = (await walk('/api/user?limit=7')).users;
      expect(listed).toEqual(live());
      await expectRead('/api/user/count', 'exact', { count: listed.length });
      await expectRead('/api/users/count/', 'exact', { count: listed.length });
      const stats = await api.send('GET', '/api/stats/users');
      expectAnswer(stats, 'exact', { total: listed.length, byGroup: perGroup(listed) });
      for (const group of [0, 1, 2, 3, 4, 99]) {
        const count = await api.send('GET', `/api/user/count?group=${group}`);
        expectAnswer(count, 'exact', { count: live(undefined, group).length });
        expect((count.body as { count: number }).count).toBe(
          (stats.body as { byGroup: Record<string, number> }).byGroup[String(group)] ?? 0,
        );
      }
    });

    it('answers an empty page and zero counts for a group nobody is in', async () => {
      await expectRead('/api/user?group=2147483647', 'exact', []);
      await expectRead('/api/user/count?group=2147483647', 'exact', {
        count: 0,
      });
    });

    it('refuses count as a user id, answering GET /api/user/count with the count', async () => {
      const byBody = await api.create({ id: 'count', ...fields('count', 1) });
      expect(byBody.status).toBe(400);
      expect((byBody.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
        'id',
      ]);
      const byPath = await api.send('PUT', '/api/user/count', { json: { group: 1 } });
      expect(byPath.status).toBe(400);
      expect((byPath.body as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(
        'id',
      );
      await expectRead('/api/user/count', 'exact', { count: live().length });
    });
  });

  describe('history, as-of and conditional reads', () => {
    beforeAll(() => startSystem());
    afterAll(() => system.close());

    /** Writes ada's life with a request id per write; the state after each version, 0 first. */
    async function lifeOf(id: string): Promise<(User | null)[]> {
      const states: (User | null)[] = [null];
      const after = () => states.push(reference.get(id) ?? null);
      await create(id, fields(id, 1), { 'x-request-id': `${id}-create` });
      after();
      await update(id, { name: 'Ada L.' }, { 'x-request-id': `${id}-rename` });
      after();
      await update(id, { group: 7, email: 'ada@example.org' }, { 'x-request-id': `${id}-move` });
      after();
      await remove(id, { 'x-request-id': `${id}-delete` });
      after();
      await create(id, fields(id, 2), { 'x-request-id': `${id}-again` });
      after();
      await update(id, { group: 9 }, { 'x-request-id': `${id}-last` });
      after();
      return states;
    }

    it('answers a user’s events oldest first, each with the X-Request-Id of the request that wrote it', async () => {
      await lifeOf('ada');
      const events = await history('ada');
      expect(
        events.map(({ type, version, data, requestId }) => ({ type, version, data, requestId })),
      ).toEqual([
        { type: 'UserCreated', version: 1, data: fields('ada', 1), requestId: 'ada-create' },
        { type: 'UserUpdated', version: 2, data: { name: 'Ada L.' }, requestId: 'ada-rename' },
        {
          type: 'UserUpdated',
          version: 3,
          data: { group: 7, email: 'ada@example.org' },
          requestId: 'ada-move',
        },
        { type: 'UserDeleted', version: 4, data: {}, requestId: 'ada-delete' },
        { type: 'UserCreated', version: 5, data: fields('ada', 2), requestId: 'ada-again' },
        { type: 'UserUpdated', version: 6, data: { group: 9 }, requestId: 'ada-last' },
      ]);
      for (const event of events) {
        expect(Object.keys(event).sort()).toEqual([
          'data',
          'eventId',
          'occurredAt',
          'requestId',
          'type',
          'version',
        ]);
        expect(event.occurredAt).toMatch(RFC3339_MS_Z);
        expect(event.eventId).toEqual(expect.any(String));
      }
      expect(new Set(events.map((event) => event.eventId)).size).toBe(events.length);
      const times = events.map((event) => Date.parse(event.occurredAt));
      expect(times).toEqual([...times].sort((a, b) => a - b));
      // the write answered with the request id the event keeps
      const made = await api.create({ id: 'no-request-id', ...fields('no-request-id', 3) });
      const [first] = await history('no-request-id');
      expect(first?.requestId).toBe(made.headers.get('x-request-id'));
      expect(first?.requestId).toEqual(expect.any(String));
      reference.set('no-request-id', { id: 'no-request-id', ...fields('no-request-id', 3) });
    });

    it('keeps a deleted user’s history, through /api/users too, while the user reads 404', async () => {
      await create('gone', fields('gone', 4));
      await update('gone', { name: 'Going' });
      await remove('gone');
      expect((await api.get('gone')).status).toBe(404);
      const events = await history('gone');
      expect(events.map((event) => [event.type, event.data])).toEqual([
        ['UserCreated', fields('gone', 4)],
        ['UserUpdated', { name: 'Going' }],
        ['UserDeleted', {}],
      ]);
      expect((await api.send('GET', '/api/users/gone/events/')).body).toEqual(events);
    });

    it('answers 404 for the history of an id without events, and [] when a filter matches none of a user’s', async () => {
      const none = await api.send('GET', '/api/user/never-written/events');
      expect(none.status).toBe(404);
      expect(none.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      await create('quiet', fields('quiet', 5));
      expect(await history('quiet', '?type=UserDeleted')).toEqual([]);
      expect(await history('quiet', '?after=1')).toEqual([]);
    });

    it('filters by type, by time (from <= occurredAt < to) and by version, as the whole history says', async () => {
      await lifeOf('filtered');
      const all = await history('filtered');
      for (const types of [
        'UserUpdated',
        'UserCreated,UserDeleted',
        'UserDeleted,UserUpdated,UserCreated',
      ]) {
        expect(await history('filtered', `?type=${types}`)).toEqual(
          all.filter((event) => types.split(',').includes(event.type)),
        );
      }
      for (const after of [0, 1, 3, 5, 6, 99])
        expect(await history('filtered', `?after=${after}`)).toEqual(
          all.filter((event) => event.version > after),
        );
      const times = [...new Set(all.map((event) => Date.parse(event.occurredAt)))];
      const edges = [times[0]! - 1, ...times, ...times.map((time) => time + 1)];
      for (const from of edges) {
        for (const to of edges) {
          const query = `?from=${new Date(from).toISOString()}&to=${new Date(to).toISOString()}`;
          expect({ query, events: await history('filtered', query) }).toEqual({
            query,
            events: all.filter((event) => {
              const at = Date.parse(event.occurredAt);
              return from <= at && at < to;
            }),
          });
        }
      }
      // An offset names the same instant as Z does.
      const second = all[1]!.occurredAt;
      const shifted = new Date(Date.parse(second) + 2 * 3_600_000)
        .toISOString()
        .replace('Z', '+02:00');
      expect(await history('filtered', `?from=${encodeURIComponent(shifted)}`)).toEqual(
        all.filter((event) => Date.parse(event.occurredAt) >= Date.parse(second)),
      );
      expect(
        await history('filtered', `?type=UserUpdated&after=2&to=${all.at(-1)!.occurredAt}`),
      ).toEqual(
        all.filter(
          (event) =>
            event.type === 'UserUpdated' &&
            event.version > 2 &&
            Date.parse(event.occurredAt) < Date.parse(all.at(-1)!.occurredAt),
        ),
      );
    });

    it('pages a history with Link next by version, keeping the filters, the last page without a Link', async () => {
      await create('paged', fields('paged', 6));
      for (let n = 0; n < 8; n++) await update('paged', { group: 100 + n });
      const all = await history('paged');
      expect(all).toHaveLength(9);
      for (const [limit, query, expected] of [
        [2, '', all],
        [3, '', all],
        [9, '', all],
        [2, '&type=UserUpdated', all.filter((event) => event.type === 'UserUpdated')],
        [4, '&after=3', all.slice(3)],
        [
          2,
          `&from=${encodeURIComponent(all[2]!.occurredAt)}&to=9999-01-01T00:00:00Z`,
          all.filter((event) => Date.parse(event.occurredAt) >= Date.parse(all[2]!.occurredAt)),
        ],
      ] as const) {
        const { pages, paths } = await walk(`/api/users/paged/events?limit=${limit}${query}`);
        expect(pages.flatMap((page) => page.body as HistoryEvent[])).toEqual(expected);
        expect(pages.length).toBe(Math.max(1, Math.ceil(expected.length / limit)));
        for (const next of paths.slice(1)) {
          expect(next.startsWith('/api/users/paged/events?')).toBe(true);
          const params = new URLSearchParams(next.split('?', 2)[1]);
          expect(params.get('limit')).toBe(String(limit));
          if (query.includes('type')) expect(params.get('type')).toBe('UserUpdated');
          if (query.includes('to=')) expect(params.get('to')).toBe('9999-01-01T00:00:00Z');
        }
        expect(pages.at(-1)!.headers.get('link')).toBeNull();
      }
      // 100 by default
      for (let n = 0; n < 95; n++) await update('paged', { group: 200 + n });
      const first = await api.send('GET', '/api/user/paged/events');
      expect((first.body as HistoryEvent[]).map((event) => event.version)).toEqual(
        Array.from({ length: 100 }, (_, n) => n + 1),
      );
      expect(new URLSearchParams(nextLink(first)!.split('?', 2)[1]).get('after')).toBe('100');
      expect((await api.send('GET', nextLink(first)!)).body).toEqual(
        expect.arrayContaining([expect.objectContaining({ version: 104 })]),
      );
    });

    it('reads the user as it was right after each version, with that version as ETag; 404 when not live then', async () => {
      const states = await lifeOf('versioned');
      for (let version = 1; version < states.length + 2; version++) {
        const answer = await api.send('GET', `/api/user/versioned?version=${version}`);
        const state = states[version];
        expect({
          version,
          status: answer.status,
          body: answer.body,
          etag: answer.headers.get('etag'),
        }).toEqual(
          state
            ? { version, status: 200, body: state, etag: `"${version}"` }
            : { version, status: 404, body: expect.objectContaining({ status: 404 }), etag: null },
        );
      }
    });

    it('reads the user as of a time: the state after its last event at or before it, with that version as ETag', async () => {
      const states = await lifeOf('timed');
      const events = await history('timed');
      const times = events.map((event) => Date.parse(event.occurredAt));
      const instants = [
        times[0]! - 1,
        ...times,
        ...times.map((time) => time - 1),
        ...times.map((t) => t + 1),
      ];
      for (const at of [...new Set(instants), Date.parse('9999-12-31T23:59:59.999Z')]) {
        const version = times.filter((time) => time <= at).length;
        const state = states[version];
        const answer = await api.send('GET', `/api/user/timed?at=${new Date(at).toISOString()}`);
        expect({
          at,
          status: answer.status,
          body: answer.body,
          etag: answer.headers.get('etag'),
        }).toEqual(
          state
            ? { at, status: 200, body: state, etag: `"${version}"` }
            : { at, status: 404, body: expect.objectContaining({ status: 404 }), etag: null },
        );
      }
      const last = new Date(times.at(-1)! - 3_600_000).toISOString().replace('Z', '-01:00');
      expect(
        (await api.send('GET', `/api/user/timed?at=${encodeURIComponent(last)}`)).headers.get(
          'etag',
        ),
      ).toBe(`"${events.length}"`);
      const both = await api.send('GET', `/api/user/timed?version=1&at=${events[0]!.occurredAt}`);
      expect(both.status).toBe(400);
      expect(
        (both.body as { errors: { field: string }[] }).errors.map((e) => e.field).sort(),
      ).toEqual(['at', 'version']);
    });

    it('answers 304 with the ETag and no body to an If-None-Match naming the current version, and 200 once an update changed it', async () => {
      await create('cached', fields('cached', 8));
      const conditional = (tag: string, query = '') =>
        api.send('GET', `/api/user/cached${query}`, { headers: { 'if-none-match': tag } });
      for (const tag of ['"1"', '*', '"7", "1"', 'W/"1"', ' "1" ']) {
        const answer = await conditional(tag);
        expect({
          tag,
          status: answer.status,
          etag: answer.headers.get('etag'),
          text: answer.text,
        }).toEqual({
          tag,
          status: 304,
          etag: '"1"',
          text: '',
        });
      }
      expect((await conditional('"2"')).status).toBe(200);
      await update('cached', { name: 'Cached again' });
      const stale = await conditional('"1"');
      expect({ status: stale.status, etag: stale.headers.get('etag'), body: stale.body }).toEqual({
        status: 200,
        etag: '"2"',
        body: reference.get('cached'),
      });
      // read-your-writes: the new tag matches at once
      expect((await conditional('"2"')).status).toBe(304);
      // an as-of read compares with the version it answers
      expect((await conditional('"1"', '?version=1')).status).toBe(304);
      expect((await conditional('"2"', '?version=1')).status).toBe(200);
      // no user, nothing to match: 404 even for *
      await remove('cached');
      expect((await conditional('*')).status).toBe(404);
      expect((await conditional('"2"')).status).toBe(404);
    });
  });

  describe('event statistics', () => {
    beforeAll(() => startSystem());
    afterAll(() => system.close());

    async function eventsByDay(query: string): Promise<DayCount[]> {
      const answer = await api.send('GET', `/api/stats/events${query}`);
      expect(answer.status).toBe(200);
      return answer.body as DayCount[];
    }

    function perType(counts: DayCount[]): Record<string, number> {
      const totals: Record<string, number> = {};
      for (const { type, count } of counts) totals[type] = (totals[type] ?? 0) + count;
      return totals;
    }

    it('counts the events written today per type, as a row per UTC day and type', async () => {
      const firstDay = day(Date.now());
      const before = perType(await eventsByDay(`?from=${firstDay}&to=${firstDay}`));
      const ids = spreadIds(6, 'stat-');
      for (const [n, id] of ids.entries()) await create(id, fields(id, n));
      for (const id of ids.slice(0, 4)) await update(id, { group: 50 });
      await update(ids[0]!, { name: 'Twice' });
      for (const id of ids.slice(0, 2)) await remove(id);
      const lastDay = day(Date.now());
      const rows = await eventsByDay(`?from=${firstDay}&to=${lastDay}`);
      const after = perType(rows);
      expect({
        UserCreated: (after.UserCreated ?? 0) - (before.UserCreated ?? 0),
        UserUpdated: (after.UserUpdated ?? 0) - (before.UserUpdated ?? 0),
        UserDeleted: (after.UserDeleted ?? 0) - (before.UserDeleted ?? 0),
      }).toEqual({ UserCreated: 6, UserUpdated: 5, UserDeleted: 2 });
      for (const row of rows) {
        expect(Object.keys(row).sort()).toEqual(['count', 'day', 'type']);
        expect(row.day >= firstDay && row.day <= lastDay).toBe(true);
      }
      const keys = rows.map((row) => `${row.day} ${row.type}`);
      expect(keys).toEqual([...new Set(keys)].sort());
      // The default range is today and the 29 days before it.
      const today = Date.now();
      const byDefault = await eventsByDay('');
      const explicit = await eventsByDay(`?from=${day(today - 29 * DAY_MS)}&to=${day(today)}`);
      if (day(Date.now()) === day(today)) expect(byDefault).toEqual(explicit);
      expect(byDefault.filter((row) => row.day === day(today))).toEqual(
        await eventsByDay(`?from=${day(today)}&to=${day(today)}`),
      );
      expect((await api.send('GET', '/api/stats/events/')).body).toEqual(byDefault);
      await expectRead('/api/stats/users/', 'exact', {
        total: live().length,
        byGroup: perGroup(),
      });
    });

    it('counts nothing on days without events, and refuses a reversed or too long range', async () => {
      expect(await eventsByDay('?from=2001-01-01&to=2001-12-31')).toEqual([]);
      const tomorrow = day(Date.now() + DAY_MS);
      expect(await eventsByDay(`?from=${tomorrow}&to=${tomorrow}`)).toEqual([]);
      for (const query of ['?from=2026-03-02&to=2026-03-01', '?from=2024-01-01&to=2025-01-01']) {
        const answer = await api.send('GET', `/api/stats/events${query}`);
        expect({ query, status: answer.status }).toEqual({ query, status: 400 });
      }
      // 366 days, both counted, is the longest range
      expect(await eventsByDay('?from=2024-01-01&to=2024-12-31')).toEqual([]);
    });
  });

  describe('while an aggregator is down', () => {
    afterEach(() => system.close());

    /** Waits until aggregator `index`'s partitions hold in the snapshot what the reference does. */
    async function untilSnapshotSaved(index: number): Promise<User[]> {
      const partitions = partitionsOwnedBy(index, AGGREGATORS, PARTITIONS);
      const expected = live().filter((user) => ownerOf(user.id) === index);
      return until(`aggregator ${index}'s snapshot`, async () => {
        const sealed = await store.snapshots.listUsers(partitions, { limit: 100_000 });
        const saved = (await testPersonalData(store).openUsers(sealed)).filter(
          (user) => user !== null,
        );
        return isDeepStrictEqual(saved.map((user) => ({ ...user })).sort(byId), expected)
          ? expected
          : undefined;
      });
    }

    async function writeMany(prefix: string, count: number): Promise<void> {
      for (const [n, id] of spreadIds(count, prefix).entries()) {
        await create(id, fields(id, n));
        if (n % 3 === 1) await update(id, { group: 20 + (n % 2) });
        if (n % 5 === 2) await remove(id);
      }
    }

    it('answers lists, counts and stats 200 from the snapshot of a crashed aggregator’s partitions, marked snapshot', async () => {
      await startSystem(1);
      await writeMany('before-', 30);
      const saved = await untilSnapshotSaved(1);
      expect(saved.length).toBeGreaterThan(3);
      await system.stopAggregator(1, 'crash');
      const expected = () =>
        live([...reference.values()].filter((user) => ownerOf(user.id) !== 1).concat(saved));

      await expectReadSideMatches(expected(), 'snapshot');
      // Writes go on; the down aggregator's partitions still answer what its snapshot holds.
      const [own1, own2] = idsWhere(2, ownedBy(1, AGGREGATORS), {
        prefix: 'during-',
        partitions: PARTITIONS,
      });
      await create(own1!, fields(own1!, 1));
      await update(saved[0]!.id, { group: 77 });
      await remove(saved[1]!.id);
      await create(own2!, fields(own2!, 2));
      const [during0] = idsWhere(1, ownedBy(0, AGGREGATORS), { prefix: 'during-' });
      const [during2] = idsWhere(1, ownedBy(2, AGGREGATORS), { prefix: 'during-' });
      await create(during0!, fields(during0!, 3));
      await create(during2!, fields(during2!, 4));
      await expectReadSideMatches(expected(), 'snapshot');
      const { pages, users } = await walk('/api/user?limit=7');
      expect(users).toEqual(expected());
      for (const page of pages) expect(page.headers.get('x-consistency')).toBe('snapshot');
      for (const group of [0, 1, 2, 3, 20, 21, 77]) {
        const ofGroup = expected().filter((user) => user.group === group);
        expectAnswer(
          await api.send('GET', `/api/user?group=${group}&limit=1000`),
          'snapshot',
          ofGroup,
        );
        expectAnswer(await api.send('GET', `/api/user/count?group=${group}`), 'snapshot', {
          count: ofGroup.length,
        });
      }
    });

    it('is exact again once the aggregator is back and ready, with every write made while it was down', async () => {
      await startSystem(1);
      await writeMany('before-', 24);
      await untilSnapshotSaved(0);
      await system.stopAggregator(0, 'crash');
      await writeMany('during-', 12);
      for (let n = 0; n < 5; n++)
        expect((await api.send('GET', '/api/user/count')).headers.get('x-consistency')).toBe(
          'snapshot',
        );

      await system.startAggregator(0);
      await untilReady([0]);
      // The gateway may give a restarted aggregator a moment (its circuit) before asking it again.
      await until('an exact list', async () => {
        const answer = await api.send('GET', '/api/user?limit=1000');
        return answer.headers.get('x-consistency') === 'exact' ? answer : undefined;
      });
      await expectReadSideMatches();
      const [own] = idsWhere(1, ownedBy(0, AGGREGATORS), {
        prefix: 'after-',
        partitions: PARTITIONS,
      });
      await create(own!, fields(own!, 5));
      await expectReadSideMatches();
    });

    it('answers from the snapshot even with every aggregator down', async () => {
      await startSystem(1);
      await writeMany('all-', 30);
      for (const index of [0, 1, 2]) await untilSnapshotSaved(index);
      for (const index of [0, 1, 2]) await system.stopAggregator(index, 'crash');
      await expectReadSideMatches(live(), 'snapshot');
      expectAnswer(
        await api.send('GET', '/api/user?group=1&limit=3&offset=1'),
        'snapshot',
        live(undefined, 1).slice(1, 4),
      );
    });

    it('answers from the final snapshot of a gracefully stopped aggregator, holding every write', async () => {
      await startSystem(1000);
      await writeMany('graceful-', 30);
      await system.stopAggregator(2, 'graceful');
      await expectReadSideMatches(live(), 'snapshot');
    });
  });
}

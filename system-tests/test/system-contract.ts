import {
  aggregatorOf,
  compareIds,
  partitionOf,
  partitionsOwnedBy,
  type User,
} from '@user-service/common/domain';
import { type SnapshotBatch, type Store } from '@user-service/common/store';
import { waitUntil } from '@user-service/common/lifecycle';
import { type Answer, type ApiClient, apiClient } from './http-client';
import { recordSnapshots } from './recording-store';
import type { InProcessCluster } from '@user-service/launcher';
import { startTestSystem, untilAggregatorsReady } from './test-system';
import { fieldsFor, idsInPartition } from '@user-service/test-support';

const PARTITIONS = 12;
const AGGREGATORS = 3;
/** How long an aggregator may take to save a snapshot it is due to save. */
const SNAPSHOT_WAIT = { timeoutMs: 10_000, intervalMs: 10 };

function expectProblem(answer: Answer, status: number): void {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toEqual(
    expect.objectContaining({
      type: expect.any(String),
      title: expect.any(String),
      status,
      detail: expect.any(String),
    }),
  );
}

/**
 * The running system's contract, exercised through its HTTP API with real HTTP between the
 * gateway and the aggregators; `createStore` decides what it runs on.
 */
export function defineSystemContract(createStore: () => Promise<Store>): void {
  let system: InProcessCluster;
  let api: ApiClient;
  let snapshots: SnapshotBatch[];
  /** What every read must answer: the users as the API acknowledged them. */
  let reference: Map<string, { user: User; version: number }>;

  async function startSystem(snapshotEvery = 100, lagMs = 0): Promise<void> {
    const recorded = recordSnapshots(await createStore(), lagMs);
    snapshots = recorded.batches;
    system = await startTestSystem({
      store: recorded.store,
      aggregatorCount: AGGREGATORS,
      snapshotEvery,
    });
    api = apiClient(system.gateway.url);
    reference = new Map();
    await untilReady([0, 1, 2]);
  }

  const untilReady = (indexes: number[]) => untilAggregatorsReady(system, indexes);

  async function created(id: string, n: number): Promise<void> {
    const answer = await api.create({ id, ...fieldsFor(n) });
    expect(answer.status).toBe(201);
    reference.set(id, { user: { id, ...fieldsFor(n) }, version: 1 });
  }

  async function updated(id: string, patch: Partial<User>): Promise<void> {
    const answer = await api.update({ id, ...patch });
    expect(answer.status).toBe(200);
    const known = reference.get(id)!;
    reference.set(id, {
      user: { ...known.user, ...patch },
      version: Number(JSON.parse(answer.headers.get('etag')!)),
    });
  }

  async function expectReadsMatchReference(): Promise<void> {
    for (const [id, { user, version }] of reference) {
      const answer = await api.get(id);
      expect({
        id,
        status: answer.status,
        body: answer.body,
        etag: answer.headers.get('etag'),
      }).toEqual({
        id,
        status: 200,
        body: user,
        etag: `"${version}"`,
      });
    }
  }

  /** Compared opened, as the aggregator answers them: it holds them sealed. */
  async function expectAggregatorMatchesReference(index: number): Promise<void> {
    const { aggregator } = system.aggregator(index);
    const sealed = aggregator.liveUsers();
    const opened = await aggregator.opened.open(sealed.map((entry) => entry.user!));
    const held = sealed.map((entry, n) => ({ ...entry, user: opened[n] }));
    const expected = [...reference]
      .filter(([id]) => aggregatorOf(partitionOf(id, PARTITIONS), AGGREGATORS) === index)
      .map(([id, { user, version }]) => ({ userId: id, version, user }));
    const actual = held.map(({ userId, version, user }) => ({ userId, version, user }));
    const byId = (a: { userId: string }, b: { userId: string }) => compareIds(a.userId, b.userId);
    expect(actual.sort(byId)).toEqual(expected.sort(byId));
  }

  afterEach(async () => {
    await system.close();
  });

  describe('HTTP contract', () => {
    beforeEach(() => startSystem());

    it('creates a user: 201, the user with exactly its four keys, Location and ETag', async () => {
      const answer = await api.create({
        id: '13AE742',
        name: '  Ada  ',
        email: 'ada@example.com',
        group: 1,
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        id: '13AE742',
        name: 'Ada',
        email: 'ada@example.com',
        group: 1,
      });
      expect(answer.headers.get('location')).toBe('/api/user/13AE742');
      expect(answer.headers.get('etag')).toBe('"1"');
    });

    it('makes up a UUID when the create has no id', async () => {
      const answer = await api.create(fieldsFor(1));
      expect(answer.status).toBe(201);
      const { id } = answer.body as User;
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      expect((await api.get(id)).body).toEqual({ id, ...fieldsFor(1) });
    });

    it('refuses a second create of a live id with 409, keeping the first', async () => {
      await created('dup', 1);
      expectProblem(await api.create({ id: 'dup', ...fieldsFor(2) }), 409);
      expect((await api.get('dup')).body).toEqual({ id: 'dup', ...fieldsFor(1) });
    });

    it('creates a deleted id again, continuing its version', async () => {
      await created('dup', 1);
      expect((await api.remove('dup')).status).toBe(204);
      const again = await api.create({ id: 'dup', ...fieldsFor(3) });
      expect(again.status).toBe(201);
      expect(again.headers.get('etag')).toBe('"3"');
      expect((await api.get('dup')).body).toEqual({ id: 'dup', ...fieldsFor(3) });
    });

    it('reads a user with its ETag', async () => {
      await created('reader', 1);
      const answer = await api.get('reader');
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ id: 'reader', ...fieldsFor(1) });
      expect(answer.headers.get('etag')).toBe('"1"');
    });

    it('answers a read of an unknown user 404', async () => {
      expectProblem(await api.get('nobody'), 404);
    });

    it.each(['bad%20id', 'x'.repeat(65)])(
      'answers a read of the malformed id %s 400',
      async (id) => {
        expectProblem(await api.get(id), 400);
      },
    );

    it('updates part of a user and answers the whole user with its new ETag', async () => {
      await created('upd', 1);
      const answer = await api.update({ id: 'upd', group: 42 });
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({ id: 'upd', ...fieldsFor(1), group: 42 });
      expect(answer.headers.get('etag')).toBe('"2"');
    });

    it('updates through PUT /api/user/{id}, taking the id from the path', async () => {
      await created('upd', 1);
      const viaPath = await api.send('PUT', '/api/user/upd', { json: { name: 'Renamed' } });
      expect(viaPath.status).toBe(200);
      expect(viaPath.body).toEqual({ id: 'upd', ...fieldsFor(1), name: 'Renamed' });
      expect(viaPath.headers.get('etag')).toBe('"2"');
    });

    it('answers an update of an unknown user 404', async () => {
      expectProblem(await api.update({ id: 'ghost', group: 1 }), 404);
    });

    it('answers 400 to a body id that differs from the path id', async () => {
      await created('guarded', 1);
      expectProblem(
        await api.send('PUT', '/api/user/guarded', { json: { id: 'other', group: 1 } }),
        400,
      );
    });

    it('answers 400 to an update without any field', async () => {
      await created('guarded', 1);
      expectProblem(await api.update({ id: 'guarded' }), 400);
    });

    it('answers 412 to an If-Match that is not the current version', async () => {
      await created('guarded', 1);
      expectProblem(await api.update({ id: 'guarded', group: 2 }, { 'if-match': '"7"' }), 412);
    });

    it('updates when If-Match is the current version', async () => {
      await created('guarded', 1);
      const matching = await api.update({ id: 'guarded', group: 2 }, { 'if-match': '"1"' });
      expect(matching.status).toBe(200);
      expect(matching.headers.get('etag')).toBe('"2"');
    });

    it('answers 400 to a malformed If-Match', async () => {
      await created('guarded', 1);
      expectProblem(await api.update({ id: 'guarded', group: 3 }, { 'if-match': 'garbage' }), 400);
    });

    it('deletes with 204 and no body', async () => {
      await created('gone', 1);
      const answer = await api.remove('gone');
      expect(answer.status).toBe(204);
      expect(answer.text).toBe('');
    });

    it('treats a deleted user as unknown: deleting, reading or updating it again is 404', async () => {
      await created('gone', 1);
      expect((await api.remove('gone')).status).toBe(204);
      expectProblem(await api.remove('gone'), 404);
      expectProblem(await api.get('gone'), 404);
      expectProblem(await api.update({ id: 'gone', group: 5 }), 404);
    });

    it('answers under /api/users too, with or without a trailing slash', async () => {
      expect(
        (await api.send('POST', '/api/users', { json: { id: 'alias', ...fieldsFor(1) } })).status,
      ).toBe(201);
      expect((await api.send('GET', '/api/users/alias/')).status).toBe(200);
      expect((await api.send('GET', '/api/user/alias/')).status).toBe(200);
      expect(
        (await api.send('PUT', '/api/users/', { json: { id: 'alias', group: 9 } })).status,
      ).toBe(200);
      expect((await api.send('DELETE', '/api/users/alias/')).status).toBe(204);
    });

    it('answers a create with invalid fields 400, naming every one of them', async () => {
      const validation = await api.create({ name: '', email: 'nope', group: -1, role: 'admin' });
      expectProblem(validation, 400);
      expect(
        (validation.body as { errors: { field: string }[] }).errors
          .map((error) => error.field)
          .sort(),
      ).toEqual(['email', 'group', 'name', 'role']);
    });

    it.each<
      [
        string,
        string,
        string,
        { json?: unknown; body?: string; headers?: Record<string, string> },
        number,
      ]
    >([
      [
        'malformed JSON',
        'POST',
        '/api/user',
        { body: '{"name":', headers: { 'content-type': 'application/json' } },
        400,
      ],
      [
        'a body that is not JSON',
        'POST',
        '/api/user',
        { body: 'name=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } },
        415,
      ],
      [
        'a body over 16 KiB',
        'POST',
        '/api/user',
        { json: { ...fieldsFor(1), name: 'x'.repeat(17 * 1024) } },
        413,
      ],
      ['an unknown route', 'GET', '/api/nothing-here', {}, 404],
      ['a wrong method', 'POST', '/api/user/abc', {}, 405],
      ['a method that is not HTTP’s own', 'PROPFIND', '/api/user/abc', {}, 501],
      ['a path in other case (paths are case-sensitive)', 'GET', '/API/USER/abc', {}, 404],
      ['a body that is not an object', 'POST', '/api/user', { json: ['a list'] }, 400],
    ])('answers %s as problem+json with its status', async (_, method, path, options, status) => {
      expectProblem(await api.send(method, path, options), status);
    });

    it.each([
      ['/api/user', 'GET, HEAD, POST, PUT, OPTIONS'],
      ['/api/users/', 'GET, HEAD, POST, PUT, OPTIONS'],
      ['/api/user/count', 'GET, HEAD, OPTIONS'],
      ['/api/user/abc', 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
      ['/api/user/abc/personal-data', 'DELETE, OPTIONS'],
      ['/api/stats/events', 'GET, HEAD, OPTIONS'],
      ['/metrics', 'GET, HEAD, OPTIONS'],
    ])('answers OPTIONS %s 204 with Allow: %s', async (path, allow) => {
      const answer = await api.send('OPTIONS', path);
      expect({ status: answer.status, allow: answer.headers.get('allow') }).toEqual({
        status: 204,
        allow,
      });
    });

    it('carries the client’s request id back', async () => {
      const given = await api.send('GET', '/api/user/nobody', {
        headers: { 'x-request-id': 'trace-123' },
      });
      expect(given.headers.get('x-request-id')).toBe('trace-123');
    });

    it('makes up a request id when the client sends none', async () => {
      const made = await api.get('nobody');
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });

    it('reports liveness and readiness', async () => {
      expect((await api.send('GET', '/healthz')).status).toBe(200);
      expect((await api.send('GET', '/readyz')).status).toBe(200);
    });

    it('labels metrics with route templates, never raw ids, the /api/users alias as /api/user', async () => {
      await created('metered-user', 1);
      await api.get('metered-user');
      expect((await api.send('GET', '/api/users/metered-user')).status).toBe(200);
      const metrics = (await api.send('GET', '/metrics')).text;
      expect(metrics).toMatch(
        /^http_request_duration_seconds_count\{method="GET",route="\/api\/user\/:id",status="200"\}/m,
      );
      expect(metrics).not.toContain('metered-user');
      expect(metrics).not.toContain('/api/users');
      expect(metrics).toContain('gateway_aggregator_forwards_total');
    });

    it('touches one aggregator per read and appends once per write', async () => {
      await created('counted', 1);
      const counters = async () => {
        const text = (await api.send('GET', '/metrics')).text;
        const total = (pattern: RegExp) =>
          [...text.matchAll(pattern)].reduce((sum, match) => sum + Number(match[1]), 0);
        return {
          forwards: total(/^gateway_aggregator_forwards_total\{[^}]*\} (\d+)$/gm),
          appends: total(
            /^gateway_store_operations_total\{[^}]*operation="append"[^}]*\} (\d+)$/gm,
          ),
        };
      };
      const before = await counters();
      for (let n = 0; n < 10; n++) {
        expect((await api.update({ id: 'counted', group: 100 + n })).status).toBe(200);
        expect((await api.get('counted')).status).toBe(200);
      }
      const after = await counters();
      expect({
        forwards: after.forwards - before.forwards,
        appends: after.appends - before.appends,
      }).toEqual({
        forwards: 10,
        appends: 10,
      });
    });

    it('lands all of 50 concurrent partial updates of one user', async () => {
      await created('busy', 0);
      const answers = await Promise.all(
        Array.from({ length: 50 }, (_, n) => api.update({ id: 'busy', group: n + 1 })),
      );
      expect(answers.map((answer) => answer.status)).toEqual(Array(50).fill(200));
      const final = await api.get('busy');
      expect(final.headers.get('etag')).toBe('"51"');
      const etags = new Set(answers.map((answer) => answer.headers.get('etag')));
      expect(etags.size).toBe(50);
    });

    it('gives one 201 to 20 concurrent creates of one id, and 409 to the rest', async () => {
      const answers = await Promise.all(
        Array.from({ length: 20 }, (_, n) => api.create({ id: 'race', ...fieldsFor(n) })),
      );
      const statuses = answers.map((answer) => answer.status).sort();
      expect(statuses).toEqual([201, ...Array(19).fill(409)]);
      const winner = answers.find((answer) => answer.status === 201)!;
      expect((await api.get('race')).body).toEqual(winner.body);
    });
  });

  describe('with aggregators lagging behind the store', () => {
    beforeEach(() => startSystem(100, 15));

    it('reads its own writes: never a 404 right after a 201, never an older version after an update', async () => {
      for (let n = 0; n < 30; n++) {
        const id = `ryw${n}`;
        expect((await api.create({ id, ...fieldsFor(n) })).status).toBe(201);
        expect((await api.get(id)).status).toBe(200);
        expect((await api.update({ id, group: 1000 + n })).status).toBe(200);
        const read = await api.get(id);
        expect(read.headers.get('etag')).toBe('"2"');
        expect((read.body as User).group).toBe(1000 + n);
        expect((await api.remove(id)).status).toBe(204);
        expect((await api.get(id)).status).toBe(404);
      }
    });
  });

  describe('aggregators stopping and coming back', () => {
    // Frequent snapshots, so that a restart restores from one and replays only what followed.
    beforeEach(() => startSystem(10));

    /** Users of one test count on from here: each has fields (and so an email) of its own. */
    let serial = 0;

    async function writeSome(prefix: string, count: number): Promise<void> {
      for (let n = 0; n < count; n++) {
        const id = `${prefix}${n}`;
        await created(id, serial++);
        if (n % 2 === 0) await updated(id, { name: `Changed ${n}` });
      }
    }

    it('keeps answering every read exactly with one, then two aggregators down, and writes go on', async () => {
      await writeSome('a', 30);
      await system.stopAggregator(1, 'crash');
      await expectReadsMatchReference();
      await writeSome('b', 15);
      await system.stopAggregator(2, 'crash');
      await expectReadsMatchReference();
      await writeSome('c', 15);
      await expectReadsMatchReference();
      expectProblem(await api.get('never-created'), 404);

      await system.startAggregator(1);
      await system.startAggregator(2);
      await untilReady([1, 2]);
      for (const index of [0, 1, 2]) await expectAggregatorMatchesReference(index);
      await expectReadsMatchReference();
    });

    it('restores a crashed aggregator from snapshot plus replay, equal to the reference', async () => {
      // Enough that one of its partitions reaches 10 events of its own, and snapshots.
      await writeSome('r', 120);
      const ofAggregator0 = partitionsOwnedBy(0, AGGREGATORS, PARTITIONS);
      await waitUntil(
        () =>
          snapshots.some(
            (batch) =>
              batch.partitions.some((partition) => ofAggregator0.includes(partition)) &&
              batch.checkpoint !== null,
          ),
        {
          describe: 'a snapshot of one of aggregator 0’s partitions with a checkpoint',
          ...SNAPSHOT_WAIT,
        },
      );
      await system.stopAggregator(0, 'crash');
      await writeSome('s', 30);
      await system.startAggregator(0);
      await untilReady([0]);
      await expectAggregatorMatchesReference(0);
      await expectReadsMatchReference();
    });

    it('restores a gracefully stopped aggregator from its final snapshot alone', async () => {
      await writeSome('g', 40);
      await system.stopAggregator(2, 'graceful');
      const saved = snapshots.at(-1)!;
      expect(saved.checkpoint).not.toBeNull();
      await system.startAggregator(2);
      await untilReady([2]);
      await expectAggregatorMatchesReference(2);
    });
  });

  describe('snapshots', () => {
    beforeEach(() => startSystem(100));

    it('writes one every 100 events applied to a partition, holding only the users changed since the last', async () => {
      const [first, second, ...rest] = idsInPartition(0, 52, 'snap');
      for (const [n, id] of [first!, second!, ...rest].entries()) await created(id, n);
      for (let n = 0; n < 48; n++)
        await updated(n % 2 === 0 ? first! : second!, { group: 500 + n });
      await waitUntil(() => snapshots.some((batch) => batch.partitions.includes(0)), {
        describe: 'the first snapshot of partition 0',
        ...SNAPSHOT_WAIT,
      });

      const ofAggregator0 = snapshots.filter((batch) => batch.partitions.includes(0));
      expect(ofAggregator0).toHaveLength(1);
      expect(ofAggregator0[0]!.entries.map((entry) => entry.userId).sort()).toEqual(
        [first!, second!, ...rest].sort(),
      );

      for (let n = 0; n < 100; n++)
        await updated(n % 2 === 0 ? first! : second!, { group: 600 + n });
      await waitUntil(
        () => snapshots.filter((batch) => batch.partitions.includes(0)).length === 2,
        { describe: 'the second snapshot of partition 0', ...SNAPSHOT_WAIT },
      );
      const latest = snapshots.filter((batch) => batch.partitions.includes(0))[1]!;
      expect(latest.entries.map((entry) => entry.userId).sort()).toEqual([first!, second!].sort());
      expect(latest.entries.find((entry) => entry.userId === first)!.version).toBe(
        reference.get(first!)!.version,
      );
    });
  });
}

import { appendSealed, TEST_INTERNAL_TOKEN } from '@user-service/test-support';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { AggregatorNode } from '../src/aggregator-node';
import { fetchInternal, startTestAggregator } from './test-aggregator';
import { until } from './node-probes';

describe('aggregator internal API', () => {
  let store: InMemoryStore;
  let node: AggregatorNode;

  beforeEach(async () => {
    store = new InMemoryStore();
    node = await startTestAggregator(store);
  });

  afterEach(() => node.crash());

  const untilReady = () => until(() => node.aggregator.isReady, 'the aggregator to be ready');

  async function append(userId: string, version: number, group: number): Promise<void> {
    const body =
      version === 1
        ? ({
            type: 'UserCreated',
            data: { name: 'Ann', email: `${userId}@example.com`, group },
          } as const)
        : ({ type: 'UserUpdated', data: { group } } as const);
    const events = stampEvents(userId, version - 1, [body], {
      newEventId: () => `${userId}-${version}`,
      now: () => new Date(),
      partitionOf: (id) => partitionOf(id, 12),
    });
    await appendSealed(store, userId, version - 1, events);
  }

  const get = (path: string) => fetchInternal(`${node.url}${path}`);

  it('serves a user with its version once applied, and 404 for others', async () => {
    await untilReady();
    await append('ann', 1, 5);
    const answer = await get('/internal/users/ann?minVersion=1');
    expect(answer.status).toBe(200);
    expect(await answer.json()).toEqual({
      user: { id: 'ann', name: 'Ann', email: 'ann@example.com', group: 5 },
      version: 1,
    });
    expect((await get('/internal/users/bob')).status).toBe(404);
  });

  it('answers 409 when it does not reach the version asked for in time', async () => {
    await untilReady();
    await append('ann', 1, 5);
    const answer = await get('/internal/users/ann?minVersion=2');
    expect(answer.status).toBe(409);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('answers 404 at once after the caller’s own delete, even without knowing the version', async () => {
    await untilReady();
    expect((await get('/internal/users/forgotten?minVersion=3&deleted=true')).status).toBe(404);
    expect((await get('/internal/users/forgotten?minVersion=3')).status).toBe(409);
  });

  it.each([
    ['/internal/users/ann?deleted=yes', 400],
    ['/internal/users/has%20space', 400],
    ['/internal/users/ann?minVersion=-1', 400],
    ['/internal/users/ann?minVersion=abc', 400],
    ['/internal/users/ann?minVersion=1&minVersion=2', 400],
    ['/internal/users/ann?minVersion=1.5', 400],
    ['/internal/users/ann?deleted=true&deleted=true', 400],
    ['/internal/users/ann?maxVersion=1', 400],
    ['/internal/nothing', 404],
  ])('answers %s with %i', async (path, status) => {
    await untilReady();
    expect((await get(path)).status).toBe(status);
  });

  it('answers /internal/* only to a caller with its token, and health, readiness and metrics to anyone', async () => {
    await untilReady();
    await append('ann', 1, 5);
    const read = (headers: Record<string, string>) =>
      fetch(`${node.url}/internal/users/ann`, { headers });
    for (const headers of [
      {},
      { authorization: `Bearer ${TEST_INTERNAL_TOKEN.slice(1)}` },
      { authorization: `Bearer ${TEST_INTERNAL_TOKEN}x` },
      { authorization: TEST_INTERNAL_TOKEN },
      { authorization: 'Bearer ' },
    ]) {
      const refused = await read(headers);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await refused.text()).not.toContain('ann@');
    }
    for (const path of [
      '/internal/users',
      '/internal/user-counts',
      '/internal/user-reads?reads=ann:0',
    ])
      expect((await fetch(`${node.url}${path}`)).status).toBe(401);
    expect((await get('/internal/users/ann?minVersion=1')).status).toBe(200);
    for (const path of ['/healthz', '/readyz', '/metrics'])
      expect((await fetch(`${node.url}${path}`)).status).toBe(200);
  });

  it('will not start without a token, which would let in anyone who sends an empty one', async () => {
    await expect(startTestAggregator(new InMemoryStore(), { internalToken: '' })).rejects.toThrow(
      'the internal API needs a token (INTERNAL_TOKEN)',
    );
  });

  it('reports ready only once restored, and 503 for reads before that', async () => {
    await node.crash();
    const failing = new InMemoryStore();
    failing.snapshots.load = () => Promise.reject(new Error('store down'));
    node = await startTestAggregator(failing);
    expect((await get('/readyz')).status).toBe(503);
    expect((await get('/internal/users/ann')).status).toBe(503);
    // A batch answers for each of its reads: each one refused as not ready.
    const batch = await get('/internal/user-reads?reads=ann:0,bob:0');
    expect(batch.status).toBe(200);
    const { answers } = (await batch.json()) as { answers: { status: number }[] };
    expect(answers.map((answer) => answer.status)).toEqual([503, 503]);
    expect((await get('/healthz')).status).toBe(200);
  });

  describe('several reads in one exchange', () => {
    it('answers each as its own read would be answered, in order, none waiting for its version', async () => {
      await untilReady();
      await append('ann', 1, 5);
      await append('bob', 1, 6);
      await until(() => node.aggregator.users.get('bob').version === 1, 'bob to be applied');
      const answer = await get(
        '/internal/user-reads?reads=bob:1,eve:0,ann:12,gone:3:deleted,nobody:3',
      );
      expect(answer.status).toBe(200);
      const { answers } = (await answer.json()) as { answers: { status: number; body: unknown }[] };
      // nobody:3 is 409: without `:deleted`, no such user here may only be behind the caller.
      expect(answers.map(({ status }) => status)).toEqual([200, 404, 409, 404, 409]);
      expect(answers[0]?.body).toEqual({
        user: { id: 'bob', name: 'Ann', email: 'bob@example.com', group: 6 },
        version: 1,
      });
      expect(answers[2]?.body).toMatchObject({ type: '/problems/version-not-applied' });
    });

    it('names the `reads` parameter in the problem of a batch it cannot read', async () => {
      await untilReady();
      const answer = await get('/internal/user-reads?reads=ann:0&limit=1');
      expect(answer.status).toBe(400);
      expect(await answer.json()).toMatchObject({
        errors: [{ field: 'reads', message: expect.stringContaining('`reads`') }],
      });
    });

    it('takes as many reads as a gateway sends at most', async () => {
      await untilReady();
      const reads = Array.from({ length: 64 }, (_, n) => `u${n}:0`);
      const answer = await get(`/internal/user-reads?reads=${reads.join(',')}`);
      expect(answer.status).toBe(200);
      const { answers } = (await answer.json()) as { answers: { status: number }[] };
      expect(answers.map(({ status }) => status)).toEqual(reads.map(() => 404));
    });

    it.each([
      ['/internal/user-reads', 400],
      ['/internal/user-reads?reads=', 400],
      ['/internal/user-reads?reads=ann', 400],
      ['/internal/user-reads?reads=ann:-1', 400],
      ['/internal/user-reads?reads=ann:1.5', 400],
      ['/internal/user-reads?reads=ann:1e3', 400],
      ['/internal/user-reads?reads=ann:0x1', 400],
      ['/internal/user-reads?reads=ann:1:gone', 400],
      ['/internal/user-reads?reads=ann:1:deleted:x', 400],
      ['/internal/user-reads?reads=has%20space:0', 400],
      ['/internal/user-reads?reads=ann:0&reads=bob:0', 400],
      ['/internal/user-reads?reads=ann:0&limit=1', 400],
      ['/internal/user-reads?limit=1', 400],
      [
        `/internal/user-reads?reads=${Array.from({ length: 65 }, (_, n) => `u${n}:0`).join(',')}`,
        400,
      ],
      ['/internal/user-readsx?reads=ann:0', 404],
    ])('answers %s with %i', async (path, status) => {
      await untilReady();
      expect((await get(path)).status).toBe(status);
    });
  });
});

import { createLogger } from '@user-service/common/observability';
import { NOT_READY_TYPE, USER_UNREADABLE_TYPE } from '@user-service/common/http';
import type { LeaseHolder } from '@user-service/common/store';
import { TEST_INTERNAL_TOKEN, userFor } from '@user-service/test-support';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { AggregatorClient } from '../src/aggregator-client';
import { createGatewayMetrics } from '../src/gateway-metrics';

type Answer = (res: ServerResponse) => void;

const json =
  (status: number, body: unknown): Answer =>
  (res) => {
    res.writeHead(status, {
      'content-type': status < 400 ? 'application/json' : 'application/problem+json',
    });
    res.end(JSON.stringify(body));
  };

/** A stand-in aggregator on a free port: answers every request with `answer`, and remembers them. */
class FakeAggregator {
  answer: Answer = json(404, { type: '/problems/user-not-found' });
  readonly requests: IncomingMessage[] = [];
  private readonly server: Server = createServer((req, res) => {
    this.requests.push(req);
    this.answer(res);
  });

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }
}

const ada = userFor('ada', 1);
const read = { userId: 'ada', ownWrite: { version: 0, deleted: false }, requestId: 'test' };

describe('aggregator client', () => {
  let aggregator: FakeAggregator;
  let client: AggregatorClient;
  let owner: LeaseHolder;

  beforeEach(async () => {
    aggregator = new FakeAggregator();
    owner = { name: 'aggregator-0', url: await aggregator.start() };
    const log = createLogger({
      service: 'gateway',
      level: 'error',
      stream: new PassThrough().resume(),
    });
    client = new AggregatorClient(
      { timeoutMs: 1000, resetMs: 10, internalToken: TEST_INTERNAL_TOKEN },
      createGatewayMetrics(new Registry()),
      log,
    );
  });

  afterEach(async () => {
    await client.close();
    await aggregator.stop();
  });

  it('answers the user and version an aggregator found', async () => {
    aggregator.answer = json(200, { user: ada, version: 3 });
    expect(await client.read(owner, read)).toEqual({ kind: 'found', user: ada, version: 3 });
  });

  it('asks for at least the version this gateway wrote, and says when that write was a delete', async () => {
    await client.read(owner, { ...read, ownWrite: { version: 4, deleted: true } });
    expect(aggregator.requests.map((request) => request.url)).toEqual([
      '/internal/users/ada?minVersion=4&deleted=true',
    ]);
  });

  it.each([
    ['a user without an email', { user: { id: 'ada', name: 'Ada', group: 1 }, version: 1 }],
    ['a version that is not a number', { user: ada, version: '1' }],
    ['no user at all', { version: 1 }],
    ['not an object', ['ada']],
  ])('does not trust a 200 with %s: the read goes to the store', async (_, body) => {
    aggregator.answer = json(200, body);
    expect(await client.read(owner, read)).toEqual({ kind: 'unanswered', reason: 'failed' });
  });

  it.each([
    ['404', json(404, { type: '/problems/user-not-found' }), { kind: 'notFound' }],
    [
      '409 (behind the version asked for)',
      json(409, { type: '/problems/behind' }),
      { kind: 'unanswered', reason: 'behind' },
    ],
    [
      '503 user-unreadable',
      json(503, { type: USER_UNREADABLE_TYPE }),
      { kind: 'unanswered', reason: 'parked' },
    ],
    [
      '503 not-ready (restoring or catching up a partition)',
      json(503, { type: NOT_READY_TYPE }),
      { kind: 'unanswered', reason: 'not-ready' },
    ],
    [
      '421 (the partition is owned elsewhere now)',
      json(421, { type: '/problems/not-owner' }),
      { kind: 'unanswered', reason: 'not-owner' },
    ],
    [
      '503 for another reason',
      json(503, { type: '/problems/store-unavailable' }),
      { kind: 'unanswered', reason: 'failed' },
    ],
    [
      '500',
      json(500, { type: '/problems/internal-error' }),
      { kind: 'unanswered', reason: 'failed' },
    ],
  ])('reads an answer %s as it means', async (_, answer, expected) => {
    aggregator.answer = answer;
    expect(await client.read(owner, read)).toEqual(expected);
  });

  it('stops asking a failing aggregator once its circuit opens, and asks again once it recovers', async () => {
    aggregator.answer = json(500, { type: '/problems/internal-error' });
    for (let n = 0; n < 3; n++)
      expect(await client.read(owner, read)).toEqual({ kind: 'unanswered', reason: 'failed' });

    expect(await client.read(owner, read)).toEqual({ kind: 'unanswered', reason: 'circuit-open' });
    expect(aggregator.requests).toHaveLength(3);

    aggregator.answer = json(200, { user: ada, version: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20)); // past resetMs: one trial read goes through
    expect(await client.read(owner, read)).toEqual({ kind: 'found', user: ada, version: 1 });
    expect(await client.read(owner, read)).toEqual({ kind: 'found', user: ada, version: 1 });
    expect(aggregator.requests).toHaveLength(5);
  });

  it('does not open the circuit for answers that say nothing about the aggregator’s health', async () => {
    aggregator.answer = json(409, { type: '/problems/behind' });
    for (let n = 0; n < 5; n++) await client.read(owner, read);
    expect(aggregator.requests).toHaveLength(5);
  });

  it('presents the internal token on every call: a read alone, reads together, a page, a count', async () => {
    await client.read(owner, read);
    await Promise.all(['ada', 'bob'].map((userId) => client.read(owner, { ...read, userId })));
    aggregator.answer = json(200, { users: [] });
    await client.list(owner, { partitions: [0], positions: new Map(), requestId: 'test' });
    aggregator.answer = json(200, { byGroup: {} });
    await client.countByGroup(owner, { partitions: [0], positions: new Map(), requestId: 'test' });
    expect(aggregator.requests).toHaveLength(4);
    for (const request of aggregator.requests)
      expect(request.headers.authorization).toBe(`Bearer ${TEST_INTERNAL_TOKEN}`);
  });

  describe('reads of one turn', () => {
    const reads = ['ada', 'bob', 'eve'].map((userId, index) => ({
      userId,
      ownWrite: { version: index, deleted: userId === 'eve' },
      requestId: `r-${userId}`,
    }));
    const batchOf = (answers: unknown[]) => json(200, { answers });

    it('go to the aggregator in one exchange, each with its version floor, and get their own answers', async () => {
      aggregator.answer = batchOf([
        { status: 200, body: { user: ada, version: 3 } },
        { status: 404, body: { type: '/problems/user-not-found' } },
        { status: 503, body: { type: USER_UNREADABLE_TYPE } },
      ]);
      expect(await Promise.all(reads.map((one) => client.read(owner, one)))).toEqual([
        { kind: 'found', user: ada, version: 3 },
        { kind: 'notFound' },
        { kind: 'unanswered', reason: 'parked' },
      ]);
      expect(aggregator.requests.map((request) => request.url)).toEqual([
        '/internal/user-reads?reads=ada:0,bob:1,eve:2:deleted',
      ]);
      expect(aggregator.requests[0]?.headers['x-request-id']).toBe('r-ada');
    });

    it('ask again alone for a read whose aggregator had not reached its version, which may wait there', async () => {
      aggregator.answer = (res) => {
        const alone = aggregator.requests.length > 1;
        if (alone) json(200, { user: userFor('bob', 1), version: 1 })(res);
        else
          batchOf([
            { status: 200, body: { user: ada, version: 3 } },
            { status: 409, body: { type: '/problems/version-not-applied' } },
          ])(res);
      };
      const [first, second] = await Promise.all(
        reads.slice(0, 2).map((one) => client.read(owner, one)),
      );
      expect(first).toEqual({ kind: 'found', user: ada, version: 3 });
      expect(second).toEqual({ kind: 'found', user: userFor('bob', 1), version: 1 });
      expect(aggregator.requests.map((request) => request.url)).toEqual([
        '/internal/user-reads?reads=ada:0,bob:1',
        '/internal/users/bob?minVersion=1',
      ]);
    });

    it.each([
      ['an answer of another length', batchOf([{ status: 404 }])],
      ['an answer it cannot read', batchOf([{ status: 200, body: {} }, { status: 404 }])],
      ['a batch refused', json(503, { type: '/problems/not-ready' })],
      ['a batch answered 409 as a whole', json(409, { type: '/problems/version-not-applied' })],
    ])('all go to the store after %s', async (_, answer) => {
      aggregator.answer = answer;
      const answers = await Promise.all(reads.slice(0, 2).map((one) => client.read(owner, one)));
      expect(answers).toEqual([
        { kind: 'unanswered', reason: 'failed' },
        { kind: 'unanswered', reason: 'failed' },
      ]);
    });
  });

  describe('warm-up at start', () => {
    it('opens a connection to each aggregator, which its next read reuses', async () => {
      await client.warmUp([owner]);
      expect(aggregator.requests.map((request) => request.url)).toEqual(['/healthz']);
      // undici frees a connection for the next request once its answer's end has been handled.
      await new Promise((resolve) => setImmediate(resolve));
      aggregator.answer = json(200, { user: ada, version: 1 });
      await client.read(owner, read);
      const [warm, first] = aggregator.requests;
      expect(first?.socket).toBe(warm?.socket);
    });

    it('counts an aggregator that is down against no circuit, and gives up within the forward timeout', async () => {
      await aggregator.stop();
      await client.warmUp([owner]);
      for (let failed = 0; failed < 2; failed++) await client.read(owner, read);
      // Two failed reads stay under the circuit's volume threshold of 3: the warm-up was not a third.
      expect(await client.read(owner, read)).toEqual({ kind: 'unanswered', reason: 'failed' });
    });

    it('gives up on an aggregator that accepts but never answers, after the forward timeout', async () => {
      aggregator.answer = () => undefined;
      const patient = new AggregatorClient(
        { timeoutMs: 50, internalToken: TEST_INTERNAL_TOKEN },
        createGatewayMetrics(new Registry()),
        createLogger({ service: 'gateway', level: 'error', stream: new PassThrough().resume() }),
      );
      await patient.warmUp([owner]); // resolves: without the bound it would wait for ever
      expect(aggregator.requests.map((request) => request.url)).toEqual(['/healthz']);
      await patient.close();
    });
  });

  describe('lists and counts', () => {
    const query = { partitions: [0, 3], positions: new Map([[3, '17']]), requestId: 'test' };

    it('asks for a page of the owner’s partitions, with the positions the answer must include, and answers it', async () => {
      aggregator.answer = json(200, { users: [ada], unopenable: ['bob'] });
      const page = await client.list(owner, { ...query, group: 1, after: 'a b', limit: 3 });
      expect(page).toEqual({ kind: 'answered', value: { users: [ada], unopenable: ['bob'] } });
      expect(aggregator.requests.map((request) => request.url)).toEqual([
        '/internal/users?group=1&after=a+b&limit=3&partitions=0%2C3&positions=3%3A17',
      ]);
      // An aggregator of an earlier release names no unopenable users.
      aggregator.answer = json(200, { users: [ada] });
      expect(await client.list(owner, query)).toEqual({
        kind: 'answered',
        value: { users: [ada], unopenable: [] },
      });
    });

    it('leaves the positions out when nothing was written there', async () => {
      aggregator.answer = json(200, { byGroup: { '1': 2 } });
      expect(
        await client.countByGroup(owner, {
          partitions: [1],
          positions: new Map(),
          requestId: 'test',
        }),
      ).toEqual({ kind: 'answered', value: { '1': 2 } });
      expect(aggregator.requests.map((request) => request.url)).toEqual([
        '/internal/user-counts?partitions=1',
      ]);
    });

    it.each([
      ['users that are not users', () => client.list(owner, query), { users: [{ id: 'ada' }] }],
      ['no users', () => client.list(owner, query), { byGroup: {} }],
      [
        'a count that is not a count',
        () => client.countByGroup(owner, query),
        { byGroup: { 1: -1 } },
      ],
      ['counts in a list', () => client.countByGroup(owner, query), { byGroup: [3] }],
    ])(
      'does not trust a 200 with %s: that aggregator’s partitions come from the snapshot',
      async (_, ask, body) => {
        aggregator.answer = json(200, body);
        expect(await ask()).toEqual({ kind: 'unanswered', reason: 'failed' });
      },
    );

    it('reads a 409 as behind this gateway’s writes, which leaves the circuit closed', async () => {
      aggregator.answer = json(409, { type: '/problems/version-not-applied' });
      for (let n = 0; n < 5; n++)
        expect(await client.list(owner, query)).toEqual({ kind: 'unanswered', reason: 'behind' });
      expect(aggregator.requests).toHaveLength(5);
    });
  });
});

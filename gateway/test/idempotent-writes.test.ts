import {
  type AppendResult,
  type Store,
  StoreUnavailableError,
  wrapStore,
} from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import {
  apiSpecification,
  created,
  eventsFor,
  fieldsFor,
  problemTypeOf,
  TEST_INTERNAL_TOKEN,
  TEST_MASTER_KEYS,
  leaseEveryPartition,
} from '@user-service/test-support';
import { createServer as createHttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { type GatewayNode, startGatewayNode } from '../src/gateway-node';
import { type HangingUpAggregator, hangingUpAggregator, startGateway } from './gateway-under-test';

const ada = fieldsFor(1);
const HOUR_MS = 3_600_000;
const LEASE_MS = 10_000;

interface Sent {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** Gateways on one store with a clock the test moves; every answer with its raw text. */
class Fixture {
  readonly store = new InMemoryStore();
  private readonly gateways: GatewayNode[] = [];
  private time = Date.UTC(2026, 10, 22, 12);

  constructor(private readonly aggregatorUrl: string) {}

  async gateway(around: (store: Store) => Store = (store) => store): Promise<GatewayNode> {
    await leaseEveryPartition(this.store, { name: 'hanging-up', url: this.aggregatorUrl });
    const node = await startGatewayNode({
      store: around(this.store),
      masterKeys: TEST_MASTER_KEYS,
      port: 0,
      forwardTimeoutMs: 1000,
      internalToken: TEST_INTERNAL_TOKEN,
      storeTimeoutMs: 1000,
      logLevel: 'error',
      logStream: new PassThrough().resume(),
      idempotencyTtlMs: 24 * HOUR_MS,
      idempotencyLeaseMs: LEASE_MS,
      now: () => new Date(this.time),
    });
    this.gateways.push(node);
    return node;
  }

  advance(ms: number): void {
    this.time += ms;
  }

  async close(): Promise<void> {
    await Promise.all(this.gateways.map((gateway) => gateway.close()));
  }
}

async function send(
  gateway: GatewayNode,
  method: string,
  path: string,
  options: { key?: string; json?: unknown; headers?: Record<string, string> } = {},
): Promise<Sent> {
  const response = await fetch(`${gateway.url}${path}`, {
    method,
    headers: {
      ...options.headers,
      ...(options.key === undefined ? {} : { 'idempotency-key': options.key }),
      ...(options.json === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.json === undefined ? {} : { body: JSON.stringify(options.json) }),
  });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** What a replay must repeat of the first answer, and whether it says it is one. */
function seen(answer: Sent) {
  return {
    status: answer.status,
    text: answer.text,
    etag: answer.headers.get('etag'),
    location: answer.headers.get('location'),
    contentType: answer.headers.get('content-type'),
    replayed: answer.headers.get('idempotent-replayed'),
  };
}

const typeOf = (answer: Sent): unknown => problemTypeOf(JSON.parse(answer.text));

describe('Idempotency-Key on writes', () => {
  let aggregator: HangingUpAggregator;
  let fixture: Fixture;

  beforeAll(async () => {
    aggregator = await hangingUpAggregator();
  });
  afterAll(() => aggregator.close());
  beforeEach(() => {
    fixture = new Fixture(aggregator.url);
  });
  afterEach(() => fixture.close());

  describe('the key itself', () => {
    const spec = () => apiSpecification(startGateway(aggregator.url));

    it.each([
      ['empty', ''],
      ['256 characters', 'k'.repeat(256)],
      ['a space', 'a b'],
      ['a character above ~', 'clé'],
      ['a bare key holding "', 'a"b'],
      ['an unterminated string', '"k'],
      ['a string with parameters', '"k";a=1'],
      ['an empty string', '""'],
      ['a string of 256 characters', `"${'k'.repeat(256)}"`],
      ['two strings', '"k", "l"'],
    ])('answers a key that is %s 400 bad-idempotency-key, storing nothing', async (_, key) => {
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: ada, headers: { 'idempotency-key': key } })
        .then({ status: 400, problem: '/problems/bad-idempotency-key' });
    });

    it('takes a structured-field string as the IETF draft defines the field, spaces and escapes included', async () => {
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          json: ada,
          headers: { 'idempotency-key': '"a b \\"c\\""' },
        })
        .then({ status: 201 }, { type: 'UserCreated', data: ada });
    });

    it('takes 255 characters from ! to ~', async () => {
      const key = '!~'.repeat(127) + 'x';
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: ada, headers: { 'idempotency-key': key } })
        .then(
          { status: 201, headers: { 'idempotent-replayed': null } },
          { type: 'UserCreated', data: ada },
        );
    });
  });

  it('replays a create: the same status, body, ETag and Location, marked replayed, and no second event', async () => {
    const gateway = await fixture.gateway();
    const first = await send(gateway, 'POST', '/api/user', { key: 'k-1', json: ada });
    const again = await send(gateway, 'POST', '/api/users/', { key: 'k-1', json: { ...ada } });

    expect(first.status).toBe(201);
    expect(seen(again)).toEqual({ ...seen(first), replayed: 'true' });
    expect(seen(first).replayed).toBeNull();
    const { id } = JSON.parse(first.text) as { id: string };
    expect(await fixture.store.events.readUserEvents(id)).toHaveLength(1);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toMatch(
      /^gateway_idempotent_requests_total\{[^}]*outcome="carried_out"[^}]*\} 1$/m,
    );
    expect(metrics).toMatch(
      /^gateway_idempotent_requests_total\{[^}]*outcome="replayed"[^}]*\} 1$/m,
    );
  });

  it('derives the id of a create without one from the key and the request, under a key of the store’s own', async () => {
    const idOf = (sent: Sent) => (JSON.parse(sent.text) as { id: string }).id;
    const one = await send(await fixture.gateway(), 'POST', '/api/user', { key: 'k', json: ada });
    // The key's record expires; a retry on another gateway of the same store derives the same id,
    // and finds the user its first attempt created rather than creating another.
    fixture.advance(25 * HOUR_MS);
    const again = await send(await fixture.gateway(), 'POST', '/api/user', { key: 'k', json: ada });
    expect(idOf(again)).toBe(idOf(one));
    const another = await send(await fixture.gateway(), 'POST', '/api/user', {
      key: 'k2',
      json: fieldsFor(2),
    });
    expect(idOf(another)).not.toBe(idOf(one));
    // Another store holds another key: the same request there derives another id, so an id
    // cannot be recomputed from a guessed body without that key (crypto review M1).
    const elsewhere = new Fixture(aggregator.url);
    try {
      const there = await send(await elsewhere.gateway(), 'POST', '/api/user', {
        key: 'k',
        json: ada,
      });
      expect(idOf(there)).not.toBe(idOf(one));
    } finally {
      await elsewhere.close();
    }
  });

  it('replays an outcome a release before keyed fingerprints remembered, found by the plain fingerprint it stored', async () => {
    const gateway = await fixture.gateway();
    // What that release stored for `POST /api/user` with this body (idempotency-key.test.ts
    // pins the value): the plain SHA-256 of the request.
    const plain = 'MEAwSyH1-kCGeHPo1HDjQAW8uo2PfOik3a4xk4Lp0CA';
    const now = new Date(Date.UTC(2026, 10, 22, 12));
    const expiresAt = new Date(now.getTime() + 24 * HOUR_MS);
    const leaseUntil = new Date(now.getTime() + LEASE_MS);
    const attempt = { fingerprint: plain, token: 'old', now, leaseUntil, expiresAt };
    await fixture.store.idempotency.begin('old-key', attempt);
    const outcome = { status: 201, headers: { Location: '/api/user/remembered' }, body: '' };
    await fixture.store.idempotency.finish('old-key', 'old', outcome, expiresAt);

    const body = { name: 'Ada', email: 'ada@example.com', group: 1 };
    const retried = await send(gateway, 'POST', '/api/user', { key: 'old-key', json: body });
    const other = await send(gateway, 'POST', '/api/user', {
      key: 'old-key',
      json: { ...body, group: 2 },
    });

    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(retried.headers.get('location')).toBe('/api/user/remembered');
    expect(other.status).toBe(422);
  });

  it('takes a body equal as JSON, in another key order, and the /api/users alias as the same request', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { key: 'k', json: { id: 'ada', ...ada } });
    const reordered = { group: ada.group, email: ada.email, name: ada.name, id: 'ada' };
    const again = await send(gateway, 'POST', '/api/users', { key: 'k', json: reordered });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('takes "k" and the bare k as the same key: a retry in the other spelling is replayed', async () => {
    const gateway = await fixture.gateway();
    const first = await send(gateway, 'POST', '/api/user', { key: '"q-k"', json: ada });
    const retry = await send(gateway, 'POST', '/api/user', { key: 'q-k', json: ada });
    expect(seen(retry)).toEqual({ ...seen(first), replayed: 'true' });
    expect(await fixture.store.events.readUserEvents(JSON.parse(first.text).id)).toHaveLength(1);
  });

  it('counts the preconditions in the request: a retry correcting a stale If-Match is 422, never the remembered 412', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { json: { id: 'ada', ...ada } });
    const stale = await send(gateway, 'PUT', '/api/user/ada', {
      key: 'k',
      json: { group: 9 },
      headers: { 'if-match': '"7"' },
    });
    const corrected = await send(gateway, 'PUT', '/api/user/ada', {
      key: 'k',
      json: { group: 9 },
      headers: { 'if-match': '"1"' },
    });
    expect([
      { status: stale.status, type: typeOf(stale) },
      { status: corrected.status, type: typeOf(corrected) },
    ]).toEqual([
      { status: 412, type: '/problems/version-mismatch' },
      { status: 422, type: '/problems/idempotency-key-reused' },
    ]);
    expect(await fixture.store.events.readUserEvents('ada')).toHaveLength(1);
  });

  it('takes the same preconditions, spelled otherwise, as the same request', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { json: { id: 'ada', ...ada } });
    const first = await send(gateway, 'PUT', '/api/user/ada', {
      key: 'k',
      json: { group: 9 },
      headers: { 'if-match': '"1", "5"' },
    });
    const retry = await send(gateway, 'PUT', '/api/user/ada', {
      key: 'k',
      json: { group: 9 },
      headers: { 'if-match': ' "5" ,"1",, "1"' },
    });
    expect(seen(retry)).toEqual({ ...seen(first), replayed: 'true' });
    const withCondition = await send(gateway, 'PUT', '/api/user/ada', {
      key: 'k',
      json: { group: 9 },
      headers: { 'if-match': '"1", "5"', 'if-none-match': '"9"' },
    });
    expect(withCondition.status).toBe(422);
  });

  it('answers the key with another request 422 idempotency-key-reused, and writes nothing', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { key: 'k', json: { id: 'ada', ...ada } });
    const otherBody = await send(gateway, 'POST', '/api/user', {
      key: 'k',
      json: { id: 'ada', ...ada, group: 9 },
    });
    const otherMethod = await send(gateway, 'PUT', '/api/user/ada', {
      key: 'k',
      json: { group: 9 },
    });
    const otherPath = await send(gateway, 'DELETE', '/api/user/ada', { key: 'k' });

    for (const answer of [otherBody, otherMethod, otherPath]) {
      expect({ status: answer.status, type: typeOf(answer) }).toEqual({
        status: 422,
        type: '/problems/idempotency-key-reused',
      });
    }
    expect(await fixture.store.events.readUserEvents('ada')).toHaveLength(1);
  });

  it('remembers a 4xx: the retry gets the same 404 even once the user exists', async () => {
    const gateway = await fixture.gateway();
    const first = await send(gateway, 'PUT', '/api/user/ada', { key: 'k', json: { group: 3 } });
    await send(gateway, 'POST', '/api/user', { json: { id: 'ada', ...ada } });
    const again = await send(gateway, 'PUT', '/api/user/ada', { key: 'k', json: { group: 3 } });

    expect(first.status).toBe(404);
    expect(seen(again)).toEqual({ ...seen(first), replayed: 'true' });
    expect(await fixture.store.events.readUserEvents('ada')).toHaveLength(1);
  });

  it('replays a delete as 204, marked replayed', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { json: { id: 'ada', ...ada } });
    expect((await send(gateway, 'DELETE', '/api/user/ada', { key: 'd' })).status).toBe(204);
    const again = await send(gateway, 'DELETE', '/api/user/ada', { key: 'd' });
    expect({ status: again.status, replayed: again.headers.get('idempotent-replayed') }).toEqual({
      status: 204,
      replayed: 'true',
    });
    expect(await fixture.store.events.readUserEvents('ada')).toHaveLength(2);
  });

  it('replays an erasure as 204, marked replayed, and stores one UserErased', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { json: { id: 'ada', ...ada } });
    const first = await send(gateway, 'DELETE', '/api/user/ada/personal-data', { key: 'e' });
    const again = await send(gateway, 'DELETE', '/api/user/ada/personal-data', { key: 'e' });
    expect([first.status, again.status, again.headers.get('idempotent-replayed')]).toEqual([
      204,
      204,
      'true',
    ]);
    const events = await fixture.store.events.readUserEvents('ada');
    expect(events.map((event) => event.type)).toEqual(['UserCreated', 'UserErased']);
  });

  it('gives creates without an id sent with different keys different users', async () => {
    const gateway = await fixture.gateway();
    const one = await send(gateway, 'POST', '/api/user', { key: 'k-1', json: ada });
    const two = await send(gateway, 'POST', '/api/user', { key: 'k-2', json: fieldsFor(2) });
    expect([one.status, two.status]).toEqual([201, 201]);
    const ids = [one, two].map((answer) => (JSON.parse(answer.text) as { id: string }).id);
    expect(new Set(ids).size).toBe(2);
  });

  it('answers a key reused for the same change to another user 422 idempotency-key-reused', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { json: { id: 'ada', ...ada } });
    await send(gateway, 'POST', '/api/user', { json: { id: 'bob', ...fieldsFor(2) } });
    await send(gateway, 'PUT', '/api/user/ada', { key: 'k', json: { group: 9 } });
    const toBob = await send(gateway, 'PUT', '/api/user/bob', { key: 'k', json: { group: 9 } });
    expect({ status: toBob.status, type: typeOf(toBob) }).toEqual({
      status: 422,
      type: '/problems/idempotency-key-reused',
    });
    expect(await fixture.store.events.readUserEvents('bob')).toHaveLength(1);
  });

  it('forgets a 5xx, so the retry runs again', async () => {
    let failAppends = true;
    const gateway = await fixture.gateway((store) =>
      wrapStore(store, {
        events: {
          append: (...args) =>
            failAppends
              ? Promise.reject(new StoreUnavailableError('down'))
              : store.events.append(...args),
        },
      }),
    );
    const first = await send(gateway, 'POST', '/api/user', {
      key: 'k',
      json: { id: 'ada', ...ada },
    });
    failAppends = false;
    const again = await send(gateway, 'POST', '/api/user', {
      key: 'k',
      json: { id: 'ada', ...ada },
    });

    expect([first.status, again.status]).toEqual([503, 201]);
    expect(again.headers.get('idempotent-replayed')).toBeNull();
  });

  it('after an unknown outcome (stored, then 503), the retry answers the create and stores no second user', async () => {
    let loseAnswers = true;
    const gateway = await fixture.gateway((store) =>
      wrapStore(store, {
        events: {
          append: async (...args): Promise<AppendResult> => {
            const result = await store.events.append(...args);
            if (loseAnswers) throw new StoreUnavailableError('the answer was lost');
            return result;
          },
        },
      }),
    );
    const first = await send(gateway, 'POST', '/api/user', { key: 'k', json: ada });
    loseAnswers = false;
    const again = await send(gateway, 'POST', '/api/user', { key: 'k', json: ada });

    expect(first.status).toBe(503);
    expect(again.status).toBe(201);
    const { id } = JSON.parse(again.text) as { id: string };
    expect(again.headers.get('location')).toBe(`/api/user/${id}`);
    expect(await fixture.store.events.readUserEvents(id)).toHaveLength(1);
    const third = await send(gateway, 'POST', '/api/user', { key: 'k', json: ada });
    expect(seen(third)).toEqual({ ...seen(again), replayed: 'true' });
  });

  it('answers 409 idempotency-key-in-flight with Retry-After while the first request runs', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let appending: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (appending = resolve));
    const gateway = await fixture.gateway((store) =>
      wrapStore(store, {
        events: {
          append: async (...args) => {
            appending();
            await held;
            return store.events.append(...args);
          },
        },
      }),
    );
    const first = send(gateway, 'POST', '/api/user', { key: 'k', json: { id: 'ada', ...ada } });
    await reached;
    const during = await send(gateway, 'PUT', '/api/user/ada', { key: 'k', json: { group: 2 } });
    release();

    expect({
      status: during.status,
      type: typeOf(during),
      retryAfter: during.headers.get('retry-after'),
    }).toEqual({ status: 409, type: '/problems/idempotency-key-in-flight', retryAfter: '1' });
    expect((await first).status).toBe(201);
  });

  it('holds across gateways, and lets a retry take over a key whose gateway died once its lease runs out', async () => {
    const one = await fixture.gateway();
    const two = await fixture.gateway();
    await send(one, 'POST', '/api/user', { key: 'k', json: { id: 'ada', ...ada } });
    const onTwo = await send(two, 'POST', '/api/user', { key: 'k', json: { id: 'ada', ...ada } });
    expect(onTwo.headers.get('idempotent-replayed')).toBe('true');

    // A gateway that began "k2" and died before finishing it.
    const now = new Date(Date.UTC(2026, 10, 22, 12));
    await fixture.store.idempotency.begin('k2', {
      fingerprint: 'whatever the dead gateway was doing',
      token: 'dead',
      now,
      leaseUntil: new Date(now.getTime() + LEASE_MS),
      expiresAt: new Date(now.getTime() + 24 * HOUR_MS),
    });
    const bob = { json: { id: 'bob', ...fieldsFor(2) }, key: 'k2' };
    expect((await send(two, 'POST', '/api/user', bob)).status).toBe(409);
    fixture.advance(LEASE_MS);
    expect((await send(two, 'POST', '/api/user', bob)).status).toBe(201);
  });

  it('forgets an outcome after IDEMPOTENCY_TTL_HOURS: the key then starts a new request', async () => {
    const gateway = await fixture.gateway();
    await send(gateway, 'POST', '/api/user', { key: 'k', json: { id: 'ada', ...ada } });
    fixture.advance(24 * HOUR_MS - 1);
    const within = await send(gateway, 'PUT', '/api/user/ada', { key: 'k', json: { group: 5 } });
    fixture.advance(1);
    const after = await send(gateway, 'PUT', '/api/user/ada', { key: 'k', json: { group: 5 } });
    expect([within.status, after.status]).toEqual([422, 200]);
  });
});

describe('a replayed answer, as read-your-writes', () => {
  it('makes the replaying gateway’s next read of the user ask for at least the replayed version', async () => {
    // An aggregator that records what it is asked, and answers nothing useful: a 404.
    const asked: string[] = [];
    const aggregator = createHttpServer((req, res) => {
      asked.push(req.url ?? '');
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => aggregator.listen(0, '127.0.0.1', resolve));
    const { port } = aggregator.address() as AddressInfo;
    const fixture = new Fixture(`http://127.0.0.1:${port}`);
    try {
      const first = await fixture.gateway();
      const created = await send(first, 'POST', '/api/user', {
        key: 'k-ada',
        json: { id: 'ada', ...ada },
      });
      expect(created.status).toBe(201);
      // The client lost that answer, and retries through another gateway, then reads there.
      const second = await fixture.gateway();
      const replay = await send(second, 'POST', '/api/user', {
        key: 'k-ada',
        json: { id: 'ada', ...ada },
      });
      expect(replay.headers.get('idempotent-replayed')).toBe('true');
      asked.length = 0;
      await send(second, 'GET', '/api/user/ada');
      expect(asked.find((url) => url.startsWith('/internal/users/ada'))).toMatch(/minVersion=1\b/);
    } finally {
      await fixture.close();
      await new Promise((resolve) => aggregator.close(resolve));
    }
  });
});

describe('one live user per email, at the gateway', () => {
  let aggregator: HangingUpAggregator;
  beforeAll(async () => {
    aggregator = await hangingUpAggregator();
  });
  afterAll(() => aggregator.close());
  const spec = () => apiSpecification(startGateway(aggregator.url));

  it('answers a create with a live user’s email, in any case, 409 email-taken naming the email field', async () => {
    const outcome = await spec()
      .given(...eventsFor('ada', 0, created(ada)))
      .when({
        method: 'POST',
        path: '/api/user',
        json: { id: 'bob', ...fieldsFor(2), email: ada.email.toUpperCase() },
      })
      .then({ status: 409, problem: '/problems/email-taken' });
    expect(outcome.body).toMatchObject({ errors: [{ field: 'email' }] });
  });

  it('answers an update to a live user’s email 409 email-taken, and lets a user keep its own', async () => {
    await spec()
      .given(...eventsFor('ada', 0, created(ada)), ...eventsFor('bob', 0, created(fieldsFor(2))))
      .when({ method: 'PUT', path: '/api/user/bob', json: { email: ada.email } })
      .then({ status: 409, problem: '/problems/email-taken' });
    await spec()
      .given(...eventsFor('ada', 0, created(ada)))
      .when({ method: 'PUT', path: '/api/user/ada', json: { email: ada.email, group: 4 } })
      .then({ status: 200 }, { type: 'UserUpdated', data: { group: 4 } });
  });
});

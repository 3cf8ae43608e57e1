import { InMemoryStore, positionOf } from '@user-service/common/store/memory';
import fc from 'fast-check';
import { apiClient } from '../http-client';
import { rawExchange, rawRequest } from './raw-http';
import type { InProcessCluster } from '@user-service/launcher';
import { startTestSystem } from '../test-system';

const HEADERS_TIMEOUT_MS = 300;
const TOKEN = 'hostile-test-secret';

describe('hostile input', () => {
  let system: InProcessCluster;
  let store: InMemoryStore;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

  beforeAll(async () => {
    store = new InMemoryStore();
    system = await startTestSystem({
      store,
      aggregatorCount: 2,
      snapshotEvery: 10,
      internalToken: TOKEN,
      slowClientLimits: {
        headersTimeoutMs: HEADERS_TIMEOUT_MS,
        requestTimeoutMs: 2 * HEADERS_TIMEOUT_MS,
      },
    });
    const api = apiClient(system.gateway.url);
    for (const id of ['alice', 'bob'])
      await api.create({ id, name: id, email: `${id}@example.com`, group: 1 });
  });

  afterAll(() => system.close());

  async function storedEvents(): Promise<number> {
    return positionOf((await store.events.catchUp([])).livePosition);
  }

  const segment = fc.oneof(
    fc.string({ maxLength: 80 }),
    fc.constantFrom(
      '%2F',
      'a%2Fb',
      '%00',
      'a%00b',
      '$where',
      '{"$gt":""}',
      '__proto__',
      'constructor',
      '..',
      '%',
      '%E0%A4%A',
      'alice',
    ),
    fc.string({ minLength: 65, maxLength: 5000 }).map((text) => encodeURIComponent(text)),
  );
  const method = fc.constantFrom(
    'GET',
    'POST',
    'PUT',
    'DELETE',
    'PATCH',
    'OPTIONS',
    'HEAD',
    'TRACE',
    'PROPFIND',
  );
  const contentType = fc.constantFrom(
    undefined,
    'application/json',
    'application/json; charset=utf-16',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/problem+json',
    '*/*',
    'garbage',
  );
  const nested = (depth: number, open: string, close: string) =>
    open.repeat(depth) + close.repeat(depth);
  const body = fc.oneof(
    fc.string({ maxLength: 300 }),
    fc.jsonValue({ maxDepth: 6 }).map((value) => JSON.stringify(value)),
    fc
      .record({
        id: fc.oneof(fc.constant('alice'), fc.string()),
        name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
        email: fc.oneof(fc.emailAddress(), fc.string(), fc.constant({ $ne: null })),
        group: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(-1)),
      })
      .map((value) => JSON.stringify(value)),
    fc.integer({ min: 1, max: 5000 }).map((depth) => nested(depth, '[', ']')),
    fc
      .integer({ min: 1, max: 3000 })
      .map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
    fc.constant(`{"name":"${'x'.repeat(17 * 1024)}"}`),
    fc.constant('{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}'),
  );

  it('answers anything sent to the gateway with a non-5xx status, and changes nothing by refusing it', async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        fc.constantFrom('/api/user/', '/api/users/', '/api/', '/'),
        segment,
        contentType,
        body,
        async (verb, base, tail, type, payload) => {
          const before = await storedEvents();
          const sendsBody = verb !== 'GET' && verb !== 'HEAD';
          let answer;
          try {
            answer = await rawRequest(system.gateway.url, {
              method: verb,
              path: `${base}${tail}`.replace(/[^\x21-\x7e]/g, encodeURIComponent),
              headers: type ? { 'content-type': type } : {},
              ...(sendsBody ? { body: payload } : {}),
            });
          } catch (error) {
            // node's own client refuses some requests before sending them; nothing reached the server.
            if (
              error instanceof TypeError ||
              (error as { code?: string }).code === 'ERR_UNESCAPED_CHARACTERS'
            )
              return;
            throw error;
          }
          expect(answer.status).toBeLessThan(500);
          if (answer.status >= 400) expect(await storedEvents()).toBe(before);
        },
      ),
      { numRuns: 300 },
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // Still serving normally afterwards.
    const api = apiClient(system.gateway.url);
    expect(
      (await api.create({ id: 'after-fuzz', name: 'A', email: 'a@example.com', group: 1 })).status,
    ).toBe(201);
    expect((await api.get('after-fuzz')).status).toBe(200);
  });

  it('answers anything sent to an aggregator’s internal API with a non-5xx status', async () => {
    const [aggregator] = system.aggregatorUrls;
    await fc.assert(
      fc.asyncProperty(
        method,
        segment,
        fc.string({ maxLength: 40 }),
        fc.boolean(),
        async (verb, tail, query, authorized) => {
          const answer = await rawRequest(aggregator!, {
            method: verb,
            path: `/internal/users/${tail}?minVersion=${encodeURIComponent(query)}`.replace(
              /[^\x21-\x7e]/g,
              encodeURIComponent,
            ),
            headers: authorized ? { authorization: `Bearer ${TOKEN}` } : {},
          }).catch(() => ({ status: 0, body: '' }));
          if (answer.status === 0) return; // refused by node's own client
          expect(answer.status).toBeLessThan(500);
          if (!authorized) expect(answer.status).toBe(401);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('refuses requests with oversized headers, and malformed HTTP, without a 5xx', async () => {
    const huge = await rawExchange(
      system.gateway.url,
      `GET /api/user/alice HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    expect(huge.reply).toMatch(/^HTTP\/1\.1 431/);
    const garbage = await rawExchange(system.gateway.url, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage.reply).toMatch(/^HTTP\/1\.1 400/);
  });

  it('closes the socket of a client that sends its headers too slowly (slowloris)', async () => {
    // The server's deadline is HEADERS_TIMEOUT_MS; the client would wait far longer.
    const slow = await rawExchange(
      system.gateway.url,
      'GET /api/user/alice HTTP/1.1\r\nHost: x\r\nX-Slow: ',
      20 * HEADERS_TIMEOUT_MS,
    );
    expect(slow.closedBy).toBe('server');
    expect(slow.reply === '' || /^HTTP\/1\.1 408/.test(slow.reply)).toBe(true);
  });
});

import { InMemoryStore, positionOf } from '@user-service/common/store/memory';
import { problemTypeOf } from '@user-service/test-support';
import fc from 'fast-check';
import { connect } from 'node:net';
import { type Answer, apiClient } from '../http-client';
import { rawExchange, rawRequest } from './raw-http';
import type { InProcessCluster } from '@user-service/launcher';
import { startTestSystem } from '../test-system';
import {
  body as hostileBody,
  contentType,
  idempotencyKey,
  method,
  parameterName,
  parameterValue,
  readRoutes,
  segment,
} from '@user-service/bench/hostile-requests';

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

  // The bench's tail sends the same kinds of request at a rate: one set of arbitraries for both.
  const body = hostileBody.map(([, text]) => text);

  it('answers anything sent to the gateway with a non-5xx status, and changes nothing by refusing it', async () => {
    await fc.assert(
      fc.asyncProperty(
        method,
        fc.constantFrom('/api/user/', '/api/users/', '/api/', '/'),
        segment,
        contentType,
        body,
        idempotencyKey,
        async (verb, base, tail, type, payload, key) => {
          const before = await storedEvents();
          const sendsBody = verb !== 'GET' && verb !== 'HEAD';
          let answer;
          try {
            answer = await rawRequest(system.gateway.url, {
              method: verb,
              path: `${base}${tail}`.replace(/[^\x21-\x7e]/g, encodeURIComponent),
              headers: {
                ...(type ? { 'content-type': type } : {}),
                ...(key === undefined ? {} : { 'idempotency-key': key }),
              },
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
          // 501 is no fault: the answer to a method that is not HTTP's own, wherever it is sent.
          if (verb === 'PROPFIND') expect(answer.status).toBe(501);
          else expect(answer.status).toBeLessThan(500);
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

  describe('query parameters and conditions of the read side', () => {
    const api = () => apiClient(system.gateway.url);
    /** A user of this describe's own: the fuzzing above may have deleted alice. */
    const READER = 'hostile-reader';

    beforeAll(async () => {
      const created = await api().create({
        id: READER,
        name: 'Reader',
        email: 'reader@example.com',
        group: 3,
      });
      expect(created.status).toBe(201);
    });

    function expectRefused(
      answer: Answer,
      status = 400,
      type = '/problems/validation-error',
    ): void {
      expect({
        status: answer.status,
        contentType: answer.headers.get('content-type'),
        type: problemTypeOf(answer.body),
      }).toEqual({
        status,
        contentType: expect.stringMatching(/^application\/problem\+json/),
        type,
      });
    }

    function fieldsOf(answer: Answer): string[] {
      return ((answer.body as { errors?: { field: string }[] }).errors ?? [])
        .map((error) => error.field)
        .sort();
    }

    const day = (offsetDays: number) =>
      new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

    // Each: a request, and the parameters its 400 validation-error must name.
    const refused: [string, string[]][] = [
      // limit
      ...['0', '1001', '-1', '1.5', 'abc', '1e3', '0x10', '99999999999999999999999', '', '%2B5']
        .concat(['%205', '5%00', 'Infinity', 'NaN', '%', '%ZZ', '%C3%28', '%EF%BC%95'])
        .map((value): [string, string[]] => [`/api/user?limit=${value}`, ['limit']]),
      ['/api/user?limit', ['limit']],
      [`/api/user/${READER}/events?limit=1001`, ['limit']],
      [`/api/user/${READER}/events?limit=-5`, ['limit']],
      // offset
      ...['-1', '100001', '2.5', 'x', '1e5', '99999999999999999', '', '%FF'].map(
        (value): [string, string[]] => [`/api/user?offset=${value}`, ['offset']],
      ),
      // version
      ...[
        '0',
        '-1',
        '1.0',
        'abc',
        '9007199254740992',
        '99999999999999999999',
        '',
        '0x1',
        '%E0%A4%A',
      ].map((value): [string, string[]] => [`/api/user/${READER}?version=${value}`, ['version']]),
      // group
      ...['-1', '2147483648', '1.5', 'one', '1e2', '%31%2E%35', '', '99999999999999999999'].flatMap(
        (value): [string, string[]][] => [
          [`/api/user?group=${value}`, ['group']],
          [`/api/user/count?group=${value}`, ['group']],
        ],
      ),
      // after
      ...[
        '',
        'a+b',
        'x'.repeat(65),
        '%C3%28',
        '%ED%A0%80',
        '%FF',
        '%00',
        '..%2Fetc',
        '%ZZ',
        '%',
      ].map((value): [string, string[]] => [`/api/user?after=${value}`, ['after']]),
      ...['-1', 'x', '1.5', '%FF'].map((value): [string, string[]] => [
        `/api/user/${READER}/events?after=${value}`,
        ['after'],
      ]),
      // type
      ...[
        '',
        'usercreated',
        'UserCreated,',
        ',UserCreated',
        'UserCreated,,UserUpdated',
        'UserCreated%2CUserExploded',
        'UserCreated%00',
        `${'UserCreated,'.repeat(1000)}UserExploded`,
        `${'UserUpdated,'.repeat(1000)}`,
        '%E0%A4%A',
      ].map((value): [string, string[]] => [`/api/user/${READER}/events?type=${value}`, ['type']]),
      // repeated
      ['/api/user?limit=5&limit=5', ['limit']],
      ['/api/user?group=1&group=2', ['group']],
      ['/api/user?after=a&after=a', ['after']],
      ['/api/user/count?group=1&group=1', ['group']],
      [`/api/user/${READER}?version=1&version=1`, ['version']],
      [`/api/user/${READER}/events?type=UserCreated&type=UserUpdated`, ['type']],
      [`/api/user/${READER}/events?from=2026-01-01T00:00:00Z&from=2026-01-01T00:00:00Z`, ['from']],
      ['/api/stats/events?to=2026-01-01&to=2026-01-01', ['to']],
      // unknown
      ['/api/user?foo=1', ['foo']],
      ['/api/user?Limit=5', ['Limit']],
      ['/api/user?__proto__=1', ['__proto__']],
      [
        '/api/user?constructor=1&hasOwnProperty=1&toString=x',
        ['constructor', 'hasOwnProperty', 'toString'],
      ],
      ['/api/user?=1', ['']],
      ['/api/user/count?limit=1', ['limit']],
      ['/api/users/count/?offset=0', ['offset']],
      [`/api/user/${READER}?limit=1`, ['limit']],
      [`/api/user/${READER}?position=1`, ['position']],
      [`/api/user/${READER}/events?group=1`, ['group']],
      ['/api/stats/users?group=1', ['group']],
      ['/api/stats/events?day=2026-01-01', ['day']],
      // dates that are not days
      ...[
        '2026-02-30',
        '2026-13-01',
        '2026-00-10',
        '2026-02-29',
        '2026-1-1',
        '20260101',
        '2026-01-01T00:00:00Z',
        '2026-01-01t00:00:00z',
        '2016-12-31T23:59:60Z',
        '2026-01-01%20',
        'today',
        '%FF',
      ].flatMap((value): [string, string[]][] => [
        [`/api/stats/events?from=${value}&to=2026-12-31`, ['from']],
        [`/api/stats/events?to=${value}`, ['to']],
      ]),
      [`/api/stats/events?from=${day(1)}`, ['from']],
      ['/api/stats/events?from=2026-03-02&to=2026-03-01', ['from']],
      ['/api/stats/events?from=2024-01-01&to=2025-01-01', ['to']],
      // times that are not instants
      ...[
        '2026-02-30T00:00:00Z',
        '2026-13-01T00:00:00Z',
        '2016-12-31T23:59:60Z',
        '2016-12-31T18:59:60-05:00',
        '2026-01-01T24:00:00Z',
        '2026-01-01T00:00:00',
        '2026-01-01T00:00:00%2B02',
        '2026-01-01T00:00:00%2B24:00',
        '2026-01-01',
        '1700000000000',
        'now',
        '%FF%FE',
      ].flatMap((value): [string, string[]][] => [
        [`/api/user/${READER}/events?from=${value}`, ['from']],
        [`/api/user/${READER}/events?to=${value}`, ['to']],
        [`/api/user/${READER}?at=${value}`, ['at']],
      ]),
      [`/api/user/${READER}?version=1&at=2026-01-01T00:00:00Z`, ['at', 'version']],
      // every mistake at once
      [
        '/api/user?limit=0&offset=-1&group=x&after=%FF&extra=1',
        ['after', 'extra', 'group', 'limit', 'offset'],
      ],
    ];

    // Named by their first 100 characters: some paths are kilobytes long.
    const named = refused.map(([path, fields]): [string, string[], string] => [
      path.length > 100 ? `${path.slice(0, 100)}…` : path,
      fields,
      path,
    ]);

    it.each(named)('answers %s 400 validation-error naming %j', async (_, fields, path) => {
      const answer = await api().send('GET', path);
      expectRefused(answer);
      expect(fieldsOf(answer)).toEqual([...fields].sort());
    });

    it('answers a parameter name of invalid UTF-8 400, naming it as decoded', async () => {
      const answer = await api().send('GET', '/api/user?%FF%FE=1');
      expectRefused(answer);
      expect(fieldsOf(answer)).toHaveLength(1);
    });

    it('accepts a lowercase t and z and an offset in a date-time, as RFC 3339 allows', async () => {
      const upper = await api().send('GET', `/api/user/${READER}?at=2999-01-01T00:00:00Z`);
      expect(upper.status).toBe(200);
      for (const at of ['2999-01-01t00:00:00z', '2999-01-01T01:00:00%2B01:00']) {
        const answer = await api().send('GET', `/api/user/${READER}?at=${at}`);
        expect({ at, status: answer.status, body: answer.body }).toEqual({
          at,
          status: 200,
          body: upper.body,
        });
      }
      const history = await api().send(
        'GET',
        `/api/user/${READER}/events?from=1970-01-01t00:00:00z`,
      );
      expect(history.status).toBe(200);
    });

    it('answers a huge but valid type list as the one type it repeats', async () => {
      const one = await api().send('GET', `/api/user/${READER}/events?type=UserCreated`);
      const many = await api().send(
        'GET',
        `/api/user/${READER}/events?type=${'UserCreated,'.repeat(1200)}UserCreated`,
      );
      expect(many.status).toBe(200);
      expect(many.body).toEqual(one.body);
    });

    it('refuses a query too long for the server before it reaches the routes, without a 5xx', async () => {
      const answer = await rawRequest(system.gateway.url, {
        method: 'GET',
        path: `/api/user/${READER}/events?type=${'UserCreated,'.repeat(3000)}UserCreated`,
      });
      expect(answer.status).toBe(431);
    });

    it.each([
      'garbage',
      '"1',
      '1',
      'W/',
      'W/1',
      'w/"1"',
      '"a b"',
      '"1" "2"',
      '**',
      '*, "1"',
      '"1"x',
      'a long list ending in garbage',
    ])('answers If-None-Match: %s 400 bad-if-none-match', async (given) => {
      const header = given === 'a long list ending in garbage' ? `${'"1",'.repeat(500)}x` : given;
      const answer = await api().send('GET', `/api/user/${READER}`, {
        headers: { 'if-none-match': header },
      });
      expectRefused(answer, 400, '/problems/bad-if-none-match');
      const asOf = await api().send('GET', `/api/user/${READER}?version=1`, {
        headers: { 'if-none-match': header },
      });
      expectRefused(asOf, 400, '/problems/bad-if-none-match');
    });

    it('answers bytes of invalid UTF-8 in a parameter 400 from the HTTP parser', async () => {
      const reply = await exchangeBytes(
        system.gateway.url,
        Buffer.concat([
          Buffer.from('GET /api/user?after=a'),
          Buffer.from([0xff, 0xc3, 0x28]),
          Buffer.from(' HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
        ]),
      );
      expect(reply).toMatch(/^HTTP\/1\.1 400 /);
    });

    it('answers random query strings on every read route with a non-5xx, problem+json when refused', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...readRoutes(READER)),
          fc.array(fc.tuple(parameterName, parameterValue), { maxLength: 5 }),
          fc.constantFrom(undefined, '"1"', '*', 'W/"2"', 'junk'),
          async (path, parameters, ifNoneMatch) => {
            const query = parameters.map(([key, text]) => `${key}=${text}`).join('&');
            const answer = await api().send('GET', `${path}?${query}`, {
              headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {},
            });
            expect(answer.status).toBeLessThan(500);
            if (answer.status >= 400)
              expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
          },
        ),
        { numRuns: 300 },
      );
    });

    it('keeps serving reads, lists and writes after all of that', async () => {
      expect((await api().get(READER)).status).toBe(200);
      expect(
        (await api().create({ id: 'after-queries', name: 'Q', email: 'q@example.com', group: 1 }))
          .status,
      ).toBe(201);
      const list = await api().send('GET', '/api/user?limit=1000');
      expect(list.status).toBe(200);
      expect(list.headers.get('x-consistency')).toBe('exact');
      const ids = (list.body as { id: string }[]).map((user) => user.id);
      expect(ids).toEqual(expect.arrayContaining(['after-fuzz', 'after-queries', READER]));
      expect((await api().send('GET', '/api/user/count')).body).toEqual({ count: ids.length });
      expect((await api().send('GET', '/api/stats/events')).status).toBe(200);
    });
  });
});

/** Writes bytes as they are (node's client would refuse them) and answers what came back. */
function exchangeBytes(url: string, bytes: Buffer): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
  });
}

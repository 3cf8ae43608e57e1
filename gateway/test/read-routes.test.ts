import {
  created,
  deleted,
  eventsFor,
  eventsWith,
  fieldsFor,
  updated,
  userFor,
} from '@user-service/test-support';
import type { UserEvent } from '@user-service/common/domain';
import { specsOnHangingUpAggregator } from './gateway-under-test';

const ada = fieldsFor(1);
const DAY_MS = 86_400_000;
const RFC3339_MS_Z = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** Ada's life, one event per day from 2026-03-01: created, renamed, moved to group 7, deleted. */
function adaLife(): UserEvent[] {
  const bodies = [created(ada), updated({ name: 'Ada L.' }), updated({ group: 7 }), deleted()];
  return bodies.flatMap((body, index) =>
    eventsWith(
      'ada',
      index,
      { occurredAt: new Date(Date.UTC(2026, 2, 1 + index, 12)), requestId: `req-${index + 1}` },
      body,
    ),
  );
}

function fieldsOf(outcome: { body: unknown }): string[] {
  const { errors } = outcome.body as { errors: { field: string }[] };
  return errors.map((error) => error.field).sort();
}

// As in routes.test.ts, the one aggregator hangs up, so users are read from the store and lists
// from the (here empty) snapshot: these tests are about the gateway's own answers.
describe('gateway read-side routes', () => {
  const spec = specsOnHangingUpAggregator();

  describe('GET /api/user/:id/events', () => {
    it('answers every event of the user, oldest first, each with exactly its six keys', async () => {
      const life = adaLife();
      const outcome = await spec()
        .given(...life)
        .when({ method: 'GET', path: '/api/user/ada/events' })
        .then({ status: 200, headers: { link: null } });
      expect(outcome.body).toEqual(
        life.map((event) => ({
          eventId: event.eventId,
          type: event.type,
          version: event.version,
          occurredAt: event.occurredAt.toISOString(),
          data: event.data,
          requestId: event.requestId,
        })),
      );
      const [first] = outcome.body as { occurredAt: string; data: unknown }[];
      expect(first?.occurredAt).toMatch(RFC3339_MS_Z);
      expect(first?.data).toEqual(ada);
    });

    it('keeps a deleted user’s history, an update holding only what changed', async () => {
      const outcome = await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/users/ada/events/' })
        .then({ status: 200 });
      const events = outcome.body as { type: string; data: unknown }[];
      expect(events.map((event) => [event.type, event.data])).toEqual([
        ['UserCreated', ada],
        ['UserUpdated', { name: 'Ada L.' }],
        ['UserUpdated', { group: 7 }],
        ['UserDeleted', {}],
      ]);
    });

    it('filters by several types at once', async () => {
      const outcome = await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/user/ada/events?type=UserCreated,UserDeleted' })
        .then({ status: 200 });
      expect((outcome.body as { version: number }[]).map((event) => event.version)).toEqual([1, 4]);
    });

    it('filters by time, from included and to excluded', async () => {
      const outcome = await spec()
        .given(...adaLife())
        .when({
          method: 'GET',
          path: '/api/user/ada/events?from=2026-03-02T12:00:00.000Z&to=2026-03-04T12:00:00Z',
        })
        .then({ status: 200 });
      expect((outcome.body as { version: number }[]).map((event) => event.version)).toEqual([2, 3]);
    });

    it('pages: a full page links to the next one with the same parameters and after the last version', async () => {
      const outcome = await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/users/ada/events?type=UserUpdated,UserDeleted&limit=2' })
        .then({
          status: 200,
          headers: {
            link: '</api/users/ada/events?type=UserUpdated%2CUserDeleted&limit=2&after=3>; rel="next"',
          },
        });
      expect((outcome.body as { version: number }[]).map((event) => event.version)).toEqual([2, 3]);
    });

    it('answers the last page without a Link', async () => {
      const outcome = await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/user/ada/events?after=3&limit=1' })
        .then({ status: 200, headers: { link: null } });
      expect((outcome.body as { version: number }[]).map((event) => event.version)).toEqual([4]);
    });

    it('answers an id without events 404 user-not-found', async () => {
      await spec()
        .given()
        .when({ method: 'GET', path: '/api/user/nobody/events' })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });

    it('answers a filter that matches nothing of a known user 200 []', async () => {
      await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/user/ada/events?from=2030-01-01T00:00:00Z' })
        .then({ status: 200, body: [] });
    });

    it('answers bad parameters 400 validation-error naming each one', async () => {
      const outcome = await spec()
        .given(...adaLife())
        .when({
          method: 'GET',
          path: '/api/user/ada/events?type=UserRenamed&from=yesterday&limit=1001&after=-1&page=2',
        })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(['after', 'from', 'limit', 'page', 'type']);
    });

    it('answers another method 405 with Allow: GET, HEAD, OPTIONS', async () => {
      await spec()
        .given(...adaLife())
        .when({ method: 'POST', path: '/api/user/ada/events', json: {} })
        .then({
          status: 405,
          problem: '/problems/method-not-allowed',
          headers: { allow: 'GET, HEAD, OPTIONS' },
        });
    });
  });

  describe('GET /api/user/:id as of a version or a time', () => {
    it('answers the user right after version N, with ETag "N"', async () => {
      await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/user/ada?version=2' })
        .then({
          status: 200,
          headers: { etag: '"2"' },
          body: { ...userFor('ada', 1), name: 'Ada L.' },
        });
    });

    it.each([
      ['the delete', 4],
      ['a version the user never had', 9],
    ])('answers the version of %s 404 user-not-found', async (_what, version) => {
      await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: `/api/user/ada?version=${version}` })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });

    it('answers the state after the last event at or before a time, with that version as ETag', async () => {
      await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: '/api/user/ada?at=2026-03-03T12:00:00.000Z' })
        .then({
          status: 200,
          headers: { etag: '"3"' },
          body: { id: 'ada', ...ada, name: 'Ada L.', group: 7 },
        });
    });

    it.each([
      ['before the first event', '2026-02-28T00:00:00Z'],
      ['once deleted', '2026-03-05T00:00:00+01:00'],
    ])('answers a time %s 404 user-not-found', async (_when, at) => {
      await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: `/api/user/ada?at=${encodeURIComponent(at)}` })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });

    it.each([
      ['version=0', ['version']],
      ['version=1.5', ['version']],
      ['at=2026-03-03', ['at']],
      ['version=1&at=2026-03-03T12:00:00Z', ['at', 'version']],
      ['version=1&version=2', ['version']],
      ['fields=name', ['fields']],
    ])('answers ?%s 400 validation-error naming %j', async (query, fields) => {
      const outcome = await spec()
        .given(...adaLife())
        .when({ method: 'GET', path: `/api/user/ada?${query}` })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(fields);
    });
  });

  describe('GET /api/user/:id with If-None-Match', () => {
    const adaAt2 = () => eventsFor('ada', 0, created(ada), updated({ group: 7 }));

    it.each(['"2"', 'W/"2"', '"1", "2"', '*'])(
      'answers 304 with the ETag and no body when %s names the current version',
      async (tag) => {
        await spec()
          .given(...adaAt2())
          .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-none-match': tag } })
          .then({ status: 304, headers: { etag: '"2"' }, body: undefined });
      },
    );

    it.each(['"1"', '"1", ', '', '"é"'])(
      'answers 200 with the user when %j names no current version (empty elements ignored)',
      async (tag) => {
        await spec()
          .given(...adaAt2())
          .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-none-match': tag } })
          .then({ status: 200, headers: { etag: '"2"' } });
      },
    );

    it('answers 304 when a list with empty elements names the current version', async () => {
      await spec()
        .given(...adaAt2())
        .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-none-match': ', "2",' } })
        .then({ status: 304, headers: { etag: '"2"' } });
    });

    it('answers 200 with the user when the tag names an older version', async () => {
      await spec()
        .given(...adaAt2())
        .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-none-match': '"1"' } })
        .then({ status: 200, headers: { etag: '"2"' }, body: { ...userFor('ada', 1), group: 7 } });
    });

    it('answers a malformed If-None-Match 400 bad-if-none-match', async () => {
      await spec()
        .given(...adaAt2())
        .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-none-match': '2' } })
        .then({ status: 400, problem: '/problems/bad-if-none-match' });
    });
  });

  describe('lists and counts while the aggregator cannot answer', () => {
    it.each([
      ['/api/user', []],
      ['/api/users/?group=3&limit=5&offset=2', []],
      ['/api/user/count', { count: 0 }],
      ['/api/stats/users', { total: 0, byGroup: {} }],
    ])('answers GET %s from the snapshot, saying so', async (path, body) => {
      await spec()
        .given(...eventsFor('ada', 0, created(ada)))
        .when({ method: 'GET', path })
        .then({ status: 200, headers: { 'x-consistency': 'snapshot' }, body });
    });

    it('answers bad list parameters 400 validation-error naming each one', async () => {
      const outcome = await spec()
        .given()
        .when({ method: 'GET', path: '/api/user?group=-1&limit=0&offset=100001&after=a.b&sort=id' })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(['after', 'group', 'limit', 'offset', 'sort']);
    });

    it('answers a count with an unknown parameter 400 validation-error', async () => {
      const outcome = await spec()
        .given()
        .when({ method: 'GET', path: '/api/user/count?limit=1' })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(['limit']);
    });
  });

  describe('writes take no query parameters', () => {
    it.each([
      ['POST', '/api/user?dryRun=true'],
      ['PUT', '/api/user/ada?force=1'],
      ['DELETE', '/api/user/ada?soft=true'],
    ])('answers %s %s 400 naming the parameter, writing nothing', async (method, path) => {
      const outcome = await spec()
        .given(...eventsFor('ada', 0, created(ada)))
        .when({ method, path, ...(method === 'DELETE' ? {} : { json: { id: 'ada', ...ada } }) })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toHaveLength(1);
    });
  });

  describe('"count" is a route, not a user id', () => {
    it('answers a create naming it 400 on id', async () => {
      const outcome = await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: { id: 'count', ...ada } })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(['id']);
    });

    it('answers an update of it 400 on id', async () => {
      const outcome = await spec()
        .given()
        .when({ method: 'PUT', path: '/api/user/count', json: { name: 'Count' } })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(['id']);
    });
  });

  describe('GET /api/stats/events', () => {
    /** Two users' events spread over days around the turn of 2026-03-31 (UTC). */
    function spread(): UserEvent[] {
      const at = (iso: string) => ({ occurredAt: new Date(iso) });
      return [
        ...eventsWith('ada', 0, at('2026-03-30T23:59:59.999Z'), created(ada)),
        ...eventsWith('ada', 1, at('2026-03-31T00:00:00.000Z'), updated({ group: 2 })),
        ...eventsWith('ada', 2, at('2026-03-31T08:00:00.000Z'), updated({ group: 3 })),
        ...eventsWith('bob', 0, at('2026-03-31T09:00:00.000Z'), created(fieldsFor(2))),
        ...eventsWith('bob', 1, at('2026-04-01T00:00:00.000Z'), deleted()),
      ];
    }

    it('counts the events of each UTC day and type, both ends included, sorted by day then type', async () => {
      await spec()
        .given(...spread())
        .when({ method: 'GET', path: '/api/stats/events?from=2026-03-30&to=2026-03-31' })
        .then({
          status: 200,
          body: [
            { day: '2026-03-30', type: 'UserCreated', count: 1 },
            { day: '2026-03-31', type: 'UserCreated', count: 1 },
            { day: '2026-03-31', type: 'UserUpdated', count: 2 },
          ],
        });
    });

    it('covers today and the 29 days before it by default', async () => {
      const now = Date.now();
      const today = new Date(now).toISOString().slice(0, 10);
      await spec()
        .given(
          ...eventsWith('ada', 0, { occurredAt: new Date(now - 29 * DAY_MS) }, created(ada)),
          ...eventsWith(
            'old',
            0,
            { occurredAt: new Date(now - 31 * DAY_MS) },
            created(fieldsFor(3)),
          ),
          ...eventsWith('bob', 0, { occurredAt: new Date(now) }, created(fieldsFor(2))),
        )
        .when({ method: 'GET', path: '/api/stats/events' })
        .then({
          status: 200,
          body: [
            {
              day: new Date(now - 29 * DAY_MS).toISOString().slice(0, 10),
              type: 'UserCreated',
              count: 1,
            },
            { day: today, type: 'UserCreated', count: 1 },
          ],
        });
    });

    it('takes a range of 366 days, both ends counted', async () => {
      await spec()
        .given()
        .when({ method: 'GET', path: '/api/stats/events?from=2024-01-01&to=2024-12-31' })
        .then({ status: 200, body: [] });
    });

    it.each([
      ['from=2024-01-01&to=2025-01-01', ['to']],
      ['from=2026-04-02&to=2026-04-01', ['from']],
      ['from=2026-02-30', ['from']],
      ['to=2026-04-01T00:00:00Z', ['to']],
      ['from=2026-04-01&day=1', ['day']],
    ])('answers ?%s 400 validation-error naming %j', async (query, fields) => {
      const outcome = await spec()
        .given()
        .when({ method: 'GET', path: `/api/stats/events?${query}` })
        .then({ status: 400, problem: '/problems/validation-error' });
      expect(fieldsOf(outcome)).toEqual(fields);
    });
  });

  describe('the request id in each event', () => {
    it('stores the X-Request-Id of the request that wrote the event', async () => {
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          json: { id: 'ada', ...ada },
          headers: { 'x-request-id': 'checkout-42' },
        })
        .then({ status: 201 }, { type: 'UserCreated', data: ada, requestId: 'checkout-42' });
    });

    it('stores the id the gateway made up when the client sent none', async () => {
      const outcome = await spec()
        .given(...eventsFor('ada', 0, created(ada)))
        .when({ method: 'DELETE', path: '/api/user/ada' })
        .then({ status: 204 }, { type: 'UserDeleted', data: {} });
      expect(outcome.appended[0]?.requestId).toBe(outcome.headers.get('x-request-id'));
    });
  });
});

import {
  type ApiSpecification,
  created,
  deleted,
  erased,
  eventsFor,
  fieldsFor,
  updated,
  userFor,
} from '@user-service/test-support';
import type { UserEventBody } from '@user-service/common/domain';
import { alwaysContended, unreachable, specsOnHangingUpAggregator } from './gateway-under-test';

const ada = fieldsFor(1);
const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const json = { 'content-type': 'application/json' };

/** Ada, created and live at version 1. */
const adaLive = () => eventsFor('ada', 0, created(ada));
/** Ada, created and then deleted: version 2. */
const adaDeleted = () => eventsFor('ada', 0, created(ada), deleted());

// Reads are forwarded to an aggregator that hangs up, so every read is folded from the store:
// these tests are about the gateway's own answers. The aggregator client has its own tests.
describe('gateway routes', () => {
  const spec = specsOnHangingUpAggregator();

  describe('POST /api/user', () => {
    it('creates a user: 201, the user with exactly its four keys, Location and ETag "1"', async () => {
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: { id: 'ada', ...ada } })
        .then(
          {
            status: 201,
            headers: { location: '/api/user/ada', etag: '"1"' },
            body: userFor('ada', 1),
          },
          { type: 'UserCreated', data: ada, userId: 'ada', version: 1 },
        );
    });

    it('stores the name trimmed', async () => {
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user/', json: { id: 'ada', ...ada, name: '  Ada  ' } })
        .then(
          { status: 201, body: { id: 'ada', ...ada, name: 'Ada' } },
          { type: 'UserCreated', data: { ...ada, name: 'Ada' } },
        );
    });

    it('makes up a UUID for a create without an id, and creates the user under it', async () => {
      const outcome = await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: ada })
        .then(
          { status: 201, headers: { etag: '"1"', location: /^\/api\/user\/[0-9a-f-]{36}$/ } },
          { type: 'UserCreated', data: ada, version: 1 },
        );
      const { id } = outcome.body as { id: string };
      expect(id).toMatch(UUID_V4);
      expect(outcome.headers.get('location')).toBe(`/api/user/${id}`);
      expect(outcome.appended[0]!.userId).toBe(id);
    });

    it('refuses a second create of a live id with 409 user-exists', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'POST', path: '/api/user', json: { id: 'ada', ...fieldsFor(2) } })
        .then({ status: 409, problem: '/problems/user-exists' });
    });

    it('creates a deleted id again, continuing its version', async () => {
      await spec()
        .given(...adaDeleted())
        .when({ method: 'POST', path: '/api/user', json: { id: 'ada', ...fieldsFor(2) } })
        .then(
          { status: 201, headers: { etag: '"3"' }, body: userFor('ada', 2) },
          { type: 'UserCreated', data: fieldsFor(2), version: 3 },
        );
    });

    it('answers 400 validation-error naming every bad field, unknown ones included', async () => {
      const outcome = await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          json: { name: '', email: 'nope', group: -1, role: 'admin' },
        })
        .then({ status: 400, problem: '/problems/validation-error' });
      const { errors } = outcome.body as { errors: { field: string }[] };
      expect(errors.map((error) => error.field).sort()).toEqual(['email', 'group', 'name', 'role']);
    });

    it('never merges a __proto__ key: 400 validation-error', async () => {
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          headers: json,
          body: '{"id":"ada","name":"Ada","email":"ada@example.com","group":1,"__proto__":{"admin":true}}',
        })
        .then({ status: 400, problem: '/problems/validation-error' });
    });

    it('answers a body that is not an object 400 validation-error', async () => {
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: ['a list'] })
        .then({ status: 400, problem: '/problems/validation-error' });
    });

    it('answers malformed JSON 400 malformed-json', async () => {
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', headers: json, body: '{"name":' })
        .then({ status: 400, problem: '/problems/malformed-json' });
    });

    it('answers a body that is not JSON 415 unsupported-media-type', async () => {
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'name=x',
        })
        .then({ status: 415, problem: '/problems/unsupported-media-type' });
    });

    it('answers a body over 16 KiB 413 body-too-large', async () => {
      await spec()
        .given()
        .when({ method: 'POST', path: '/api/user', json: { ...ada, name: 'x'.repeat(17 * 1024) } })
        .then({ status: 413, problem: '/problems/body-too-large' });
    });
  });

  describe('GET /api/user/:id', () => {
    it('reads a live user with its ETag', async () => {
      await spec()
        .given(...eventsFor('ada', 0, created(ada), updated({ group: 7 })))
        .when({ method: 'GET', path: '/api/user/ada' })
        .then({ status: 200, headers: { etag: '"2"' }, body: { ...userFor('ada', 1), group: 7 } });
    });

    it('answers an unknown user 404 user-not-found', async () => {
      await spec()
        .given()
        .when({ method: 'GET', path: '/api/user/nobody' })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });

    it('answers a deleted user 404 user-not-found', async () => {
      await spec()
        .given(...adaDeleted())
        .when({ method: 'GET', path: '/api/user/ada' })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });

    it.each(['bad%20id', 'x'.repeat(65), 'dot.ted'])(
      'answers the malformed id %s 400 validation-error',
      async (id) => {
        await spec()
          .given()
          .when({ method: 'GET', path: `/api/user/${id}` })
          .then({ status: 400, problem: '/problems/validation-error' });
      },
    );
  });

  describe('PUT /api/user and /api/user/:id', () => {
    it('updates part of a user and answers the whole user with its new ETag', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'PUT', path: '/api/user', json: { id: 'ada', group: 42 } })
        .then(
          { status: 200, headers: { etag: '"2"' }, body: { ...userFor('ada', 1), group: 42 } },
          { type: 'UserUpdated', data: { group: 42 }, userId: 'ada', version: 2 },
        );
    });

    it('takes the id from the path when the body has none', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'PUT', path: '/api/user/ada', json: { name: 'Renamed' } })
        .then(
          {
            status: 200,
            headers: { etag: '"2"' },
            body: { ...userFor('ada', 1), name: 'Renamed' },
          },
          { type: 'UserUpdated', data: { name: 'Renamed' } },
        );
    });

    it('accepts a body id equal to the path id', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'PUT', path: '/api/user/ada', json: { id: 'ada', group: 3 } })
        .then(
          { status: 200, headers: { etag: '"2"' } },
          { type: 'UserUpdated', data: { group: 3 } },
        );
    });

    it('records only what changes: an update that changes nothing answers 200 at the same ETag and stores nothing', async () => {
      await spec()
        .given(...adaLive())
        .when({
          method: 'PUT',
          path: '/api/user',
          json: { id: 'ada', name: ada.name, group: ada.group },
        })
        .then({ status: 200, headers: { etag: '"1"' }, body: userFor('ada', 1) });
    });

    it('refuses a body id that differs from the path id: 400 validation-error', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'PUT', path: '/api/user/ada', json: { id: 'other', group: 1 } })
        .then({ status: 400, problem: '/problems/validation-error' });
    });

    it('refuses an update without any field: 400 validation-error', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'PUT', path: '/api/user', json: { id: 'ada' } })
        .then({ status: 400, problem: '/problems/validation-error' });
    });

    it.each([
      ['an unknown user', []],
      ['a deleted user', adaDeleted()],
    ])('answers an update of %s 404 user-not-found', async (_, history) => {
      await spec()
        .given(...history)
        .when({ method: 'PUT', path: '/api/user', json: { id: 'ada', group: 5 } })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });
  });

  describe('If-Match on PUT', () => {
    const atVersion2 = () => eventsFor('ada', 0, created(ada), updated({ group: 2 }));
    const put = (ifMatch: string) => ({
      method: 'PUT',
      path: '/api/user/ada',
      json: { group: 9 },
      headers: { 'if-match': ifMatch },
    });

    it('writes when it names the current version', async () => {
      await spec()
        .given(...atVersion2())
        .when(put('"2"'))
        .then(
          { status: 200, headers: { etag: '"3"' } },
          { type: 'UserUpdated', data: { group: 9 }, version: 3 },
        );
    });

    it('answers another version 412 version-mismatch and writes nothing', async () => {
      await spec()
        .given(...atVersion2())
        .when(put('"1"'))
        .then({ status: 412, problem: '/problems/version-mismatch' });
    });

    it('writes whatever the version with If-Match: *', async () => {
      await spec()
        .given(...atVersion2())
        .when(put('*'))
        .then(
          { status: 200, headers: { etag: '"3"' } },
          { type: 'UserUpdated', data: { group: 9 } },
        );
    });

    it.each(['"3", "2"', ' "1" ,, "2" ', '"x,y", "2"'])(
      'writes when the list %s holds the current version as a strong tag',
      async (ifMatch) => {
        await spec()
          .given(...atVersion2())
          .when(put(ifMatch))
          .then(
            { status: 200, headers: { etag: '"3"' } },
            { type: 'UserUpdated', data: { group: 9 }, version: 3 },
          );
      },
    );

    // Strong comparison: a weak tag never matches, and tags compare octet for octet.
    it.each(['W/"2"', '"002"', '"abc"', '"1", W/"2"', ''])(
      'answers the well-formed If-Match %j 412 version-mismatch and writes nothing',
      async (ifMatch) => {
        await spec()
          .given(...atVersion2())
          .when(put(ifMatch))
          .then({ status: 412, problem: '/problems/version-mismatch' });
      },
    );

    it.each(['garbage', '3', 'w/"2"', '"2" "3"', '"2', '"2 "', '*, "2"'])(
      'answers If-Match: %s 400 bad-if-match',
      async (ifMatch) => {
        await spec()
          .given(...atVersion2())
          .when(put(ifMatch))
          .then({ status: 400, problem: '/problems/bad-if-match' });
      },
    );
  });

  describe('DELETE /api/user/:id', () => {
    it('deletes with 204 and no body', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'DELETE', path: '/api/user/ada' })
        .then(
          { status: 204, body: undefined },
          { type: 'UserDeleted', data: {}, userId: 'ada', version: 2 },
        );
    });

    it.each([
      ['an unknown user', []],
      ['a user already deleted', adaDeleted()],
    ])('answers deleting %s 404 user-not-found', async (_, history) => {
      await spec()
        .given(...history)
        .when({ method: 'DELETE', path: '/api/user/ada' })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });

    it('deletes when If-Match names the current version', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'DELETE', path: '/api/user/ada', headers: { 'if-match': '"1"' } })
        .then({ status: 204 }, { type: 'UserDeleted', data: {} });
    });

    it('answers a stale If-Match 412 version-mismatch and keeps the user', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'DELETE', path: '/api/user/ada', headers: { 'if-match': '"7"' } })
        .then({ status: 412, problem: '/problems/version-mismatch' });
    });

    it('answers a malformed If-Match 400 bad-if-match', async () => {
      await spec()
        .given(...adaLive())
        .when({ method: 'DELETE', path: '/api/user/ada', headers: { 'if-match': 'garbage' } })
        .then({ status: 400, problem: '/problems/bad-if-match' });
    });

    it('answers a malformed id 400 validation-error', async () => {
      await spec()
        .given()
        .when({ method: 'DELETE', path: '/api/user/bad%20id' })
        .then({ status: 400, problem: '/problems/validation-error' });
    });
  });

  describe('DELETE /api/user/:id/personal-data', () => {
    const erase = { method: 'DELETE', path: '/api/user/ada/personal-data' };

    it('erases a live user with 204 and no body', async () => {
      await spec()
        .given(...adaLive())
        .when(erase)
        .then(
          { status: 204, body: undefined },
          { type: 'UserErased', data: { deleted: true }, userId: 'ada', version: 2 },
        );
    });

    it('erases a deleted user too, whose events still hold personal data', async () => {
      await spec()
        .given(...adaDeleted())
        .when(erase)
        .then(
          { status: 204 },
          { type: 'UserErased', data: { deleted: false }, userId: 'ada', version: 3 },
        );
    });

    it('answers an erased user 204 again, storing nothing', async () => {
      await spec()
        .given(...eventsFor('ada', 0, created(ada), erased()))
        .when(erase)
        .then({ status: 204 });
    });

    it('answers an id that never had an event 404 user-not-found', async () => {
      await spec().given().when(erase).then({ status: 404, problem: '/problems/user-not-found' });
    });

    it('answers a malformed id 400 validation-error', async () => {
      await spec()
        .given()
        .when({ method: 'DELETE', path: '/api/user/bad%20id/personal-data' })
        .then({ status: 400, problem: '/problems/validation-error' });
    });

    it.each(['GET', 'PUT', 'POST'])(
      'answers %s 405 method-not-allowed with Allow: DELETE, OPTIONS',
      async (method) => {
        await spec()
          .given(...adaLive())
          .when({ method, path: '/api/user/ada/personal-data' })
          .then({
            status: 405,
            problem: '/problems/method-not-allowed',
            headers: { allow: 'DELETE, OPTIONS' },
          });
      },
    );
  });

  describe('the reserved id count', () => {
    it.each([
      ['PUT', '/api/user/count', { group: 2 }],
      ['DELETE', '/api/user/count', undefined],
      ['DELETE', '/api/user/count/personal-data', undefined],
    ])('is refused on %s %s: 400 naming it a route name', async (method, path, json) => {
      await spec()
        .given()
        .when({ method, path, ...(json === undefined ? {} : { json }) })
        .then({
          status: 400,
          problem: '/problems/validation-error',
          body: expect.objectContaining({
            errors: [{ field: 'id', message: 'must not be "count" (a route name)' }],
          }),
        });
    });
  });

  describe('paths', () => {
    it.each<[string, string, object | undefined, number, UserEventBody[]]>([
      ['POST', '/api/users', { id: 'bob', ...fieldsFor(2) }, 201, [created(fieldsFor(2))]],
      ['POST', '/api/users/', { id: 'bob', ...fieldsFor(2) }, 201, [created(fieldsFor(2))]],
      ['GET', '/api/users/ada', undefined, 200, []],
      ['GET', '/api/users/ada/', undefined, 200, []],
      ['GET', '/api/user/ada/', undefined, 200, []],
      ['PUT', '/api/users', { id: 'ada', group: 9 }, 200, [updated({ group: 9 })]],
      ['PUT', '/api/users/ada/', { group: 9 }, 200, [updated({ group: 9 })]],
      ['DELETE', '/api/users/ada', undefined, 204, [deleted()]],
      ['DELETE', '/api/users/ada/', undefined, 204, [deleted()]],
    ])('answers %s %s as under /api/user', async (method, path, body, status, appended) => {
      await spec()
        .given(...adaLive())
        .when({ method, path, ...(body === undefined ? {} : { json: body }) })
        .then({ status }, ...appended);
    });

    it.each([
      ['POST', '/api/user/ada', 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
      ['PATCH', '/api/user', 'GET, HEAD, POST, PUT, OPTIONS'],
      ['DELETE', '/api/users/', 'GET, HEAD, POST, PUT, OPTIONS'],
    ])(
      'answers %s %s 405 method-not-allowed, saying what is allowed',
      async (method, path, allow) => {
        await spec()
          .given(...adaLive())
          .when({ method, path })
          .then({ status: 405, problem: '/problems/method-not-allowed', headers: { allow } });
      },
    );

    it('answers an unknown route 404 not-found', async () => {
      await spec()
        .given()
        .when({ method: 'GET', path: '/api/nothing-here' })
        .then({ status: 404, problem: '/problems/not-found' });
    });
  });

  describe('with a store that cannot be reached', () => {
    let down: ApiSpecification;
    beforeAll(() => {
      down = spec(unreachable);
    });

    it('answers a write 503 store-unavailable with Retry-After', async () => {
      await down
        .given()
        .when({ method: 'POST', path: '/api/user', json: { id: 'ada', ...ada } })
        .then({
          status: 503,
          problem: '/problems/store-unavailable',
          headers: { 'retry-after': '1' },
        });
    });

    it('answers a read it cannot fold 503 store-unavailable', async () => {
      await down
        .given(...adaLive())
        .when({ method: 'GET', path: '/api/user/ada' })
        .then({ status: 503, problem: '/problems/store-unavailable' });
    });

    it('reports not ready, saying why, and still alive', async () => {
      await down
        .given()
        .when({ method: 'GET', path: '/readyz' })
        .then({ status: 503, body: { ready: false, reason: 'store-unreachable' } });
      await down.given().when({ method: 'GET', path: '/healthz' }).then({ status: 200 });
    });
  });

  describe('under contention', () => {
    it('gives up after losing the race for a version again and again: 503 contention with Retry-After, nothing stored', async () => {
      await spec(alwaysContended)
        .given(...adaLive())
        .when({ method: 'PUT', path: '/api/user/ada', json: { group: 2 } })
        .then({ status: 503, problem: '/problems/contention', headers: { 'retry-after': '1' } });
    });
  });
});

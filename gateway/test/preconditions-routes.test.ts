import {
  created,
  deleted,
  eventsFor,
  fieldsFor,
  updated,
  userFor,
} from '@user-service/test-support';
import { specsOnHangingUpAggregator } from './gateway-under-test';

const ada = fieldsFor(1);
/** Ada at version 2. */
const adaAt2 = () => eventsFor('ada', 0, created(ada), updated({ group: 2 }));
/** Ada created (1) and deleted (2). */
const adaDeleted = () => eventsFor('ada', 0, created(ada), deleted());
const erasure = { method: 'DELETE', path: '/api/user/ada/personal-data' };

// Preconditions as RFC 9110 §13 has them, wherever they are sent; reads are folded from the store.
describe('gateway preconditions', () => {
  const spec = specsOnHangingUpAggregator();

  describe('If-Match on DELETE /api/user/{id}/personal-data', () => {
    it('erases when it names the current version', async () => {
      await spec()
        .given(...adaAt2())
        .when({ ...erasure, headers: { 'if-match': '"2"' } })
        .then({ status: 204 }, { type: 'UserErased', data: { deleted: true }, version: 3 });
    });

    it('answers a stale version 412 version-mismatch and erases nothing', async () => {
      const outcome = await spec()
        .given(...adaAt2())
        .when({ ...erasure, headers: { 'if-match': '"1"' } })
        .then({ status: 412, problem: '/problems/version-mismatch' });
      expect((outcome.body as { detail: string }).detail).toBe(
        'User ada is at version 2, which If-Match does not name as a strong tag',
      );
    });

    it('answers a malformed If-Match 400 bad-if-match and erases nothing', async () => {
      await spec()
        .given(...adaAt2())
        .when({ ...erasure, headers: { 'if-match': 'garbage' } })
        .then({ status: 400, problem: '/problems/bad-if-match' });
    });

    it('guards the erasure of a deleted user by its last version', async () => {
      await spec()
        .given(...adaDeleted())
        .when({ ...erasure, headers: { 'if-match': '"1"' } })
        .then({ status: 412, problem: '/problems/version-mismatch' });
      await spec()
        .given(...adaDeleted())
        .when({ ...erasure, headers: { 'if-match': '"2"' } })
        .then({ status: 204 }, { type: 'UserErased', data: { deleted: false }, version: 3 });
    });

    it('answers an unknown user 404 whatever If-Match says (the 404 wins, RFC 9110 §13.2.1)', async () => {
      await spec()
        .given()
        .when({ ...erasure, headers: { 'if-match': '"1"' } })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });
  });

  describe('If-None-Match on writes', () => {
    it.each([
      ['PUT', '/api/user/ada', { group: 9 }],
      ['PUT', '/api/user', { id: 'ada', group: 9 }],
      ['DELETE', '/api/user/ada', undefined],
      ['DELETE', '/api/user/ada/personal-data', undefined],
    ])(
      'answers %s %s with If-None-Match: * on a live user 412, writing nothing',
      async (method, path, json) => {
        await spec()
          .given(...adaAt2())
          .when({ method, path, headers: { 'if-none-match': '*' }, ...(json ? { json } : {}) })
          .then({ status: 412, problem: '/problems/version-mismatch' });
      },
    );

    it.each(['"2"', 'W/"2"', '"1", W/"2"'])(
      'answers a PUT whose If-None-Match %s matches the current version (weakly) 412',
      async (tag) => {
        await spec()
          .given(...adaAt2())
          .when({
            method: 'PUT',
            path: '/api/user/ada',
            json: { group: 9 },
            headers: { 'if-none-match': tag },
          })
          .then({ status: 412, problem: '/problems/version-mismatch' });
      },
    );

    it('writes when If-None-Match names only other versions', async () => {
      await spec()
        .given(...adaAt2())
        .when({
          method: 'PUT',
          path: '/api/user/ada',
          json: { group: 9 },
          headers: { 'if-none-match': '"1", "3"' },
        })
        .then(
          { status: 200, headers: { etag: '"3"' } },
          { type: 'UserUpdated', data: { group: 9 } },
        );
    });

    it('erases a deleted user with If-None-Match: "1" (its version is 2)', async () => {
      await spec()
        .given(...adaDeleted())
        .when({ ...erasure, headers: { 'if-none-match': '"1"' } })
        .then({ status: 204 }, { type: 'UserErased', data: { deleted: false } });
    });

    it('answers a malformed If-None-Match on a write 400 bad-if-none-match', async () => {
      await spec()
        .given(...adaAt2())
        .when({ method: 'DELETE', path: '/api/user/ada', headers: { 'if-none-match': '2' } })
        .then({ status: 400, problem: '/problems/bad-if-none-match' });
    });

    it('answers POST with If-None-Match: * 412: its target, the collection, always exists', async () => {
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          json: { id: 'bob', ...fieldsFor(2) },
          headers: { 'if-none-match': '*' },
        })
        .then({ status: 412, problem: '/problems/version-mismatch' });
    });

    it('answers POST with If-Match naming a tag 412 (the collection has none), and creates with *', async () => {
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          json: { id: 'bob', ...fieldsFor(2) },
          headers: { 'if-match': '"1"' },
        })
        .then({ status: 412, problem: '/problems/version-mismatch' });
      await spec()
        .given()
        .when({
          method: 'POST',
          path: '/api/user',
          json: { id: 'bob', ...fieldsFor(2) },
          headers: { 'if-match': '*', 'if-none-match': '"1"' },
        })
        .then({ status: 201 }, { type: 'UserCreated', data: fieldsFor(2) });
    });

    it('evaluates If-Match before If-None-Match (RFC 9110 §13.2.2): a false If-Match is the 412', async () => {
      const outcome = await spec()
        .given(...adaAt2())
        .when({
          method: 'DELETE',
          path: '/api/user/ada',
          headers: { 'if-match': '"1"', 'if-none-match': '"1"' },
        })
        .then({ status: 412, problem: '/problems/version-mismatch' });
      expect((outcome.body as { detail: string }).detail).toMatch(/If-Match does not name/);
    });
  });

  describe('If-Match on GET and HEAD', () => {
    it.each(['GET', 'HEAD'])('answers %s with a stale If-Match 412', async (method) => {
      await spec()
        .given(...adaAt2())
        .when({ method, path: '/api/user/ada', headers: { 'if-match': '"1"' } })
        .then({
          status: 412,
          ...(method === 'GET' ? { problem: '/problems/version-mismatch' } : {}),
        });
    });

    it('answers GET with If-Match naming the current version (or *) 200', async () => {
      for (const ifMatch of ['"2"', '*', '"1", "2"']) {
        await spec()
          .given(...adaAt2())
          .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-match': ifMatch } })
          .then({
            status: 200,
            headers: { etag: '"2"' },
            body: { ...userFor('ada', 1), group: 2 },
          });
      }
    });

    it('answers GET with a weak If-Match 412: strong comparison', async () => {
      await spec()
        .given(...adaAt2())
        .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-match': 'W/"2"' } })
        .then({ status: 412, problem: '/problems/version-mismatch' });
    });

    it('answers GET of an as-of version by that version', async () => {
      await spec()
        .given(...adaAt2())
        .when({
          method: 'GET',
          path: '/api/user/ada?version=1',
          headers: { 'if-match': '"1"', 'if-none-match': '"1"' },
        })
        .then({ status: 304, headers: { etag: '"1"' } });
    });

    it('answers an unknown user 404 whatever If-Match says', async () => {
      await spec()
        .given()
        .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-match': '"1"' } })
        .then({ status: 404, problem: '/problems/user-not-found' });
    });
  });
});

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
const adaLive = () => eventsFor('ada', 0, created(ada));
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' };

const patch = (body: unknown, headers: Record<string, string> = {}) => ({
  method: 'PATCH',
  path: '/api/user/ada',
  headers: { ...MERGE_PATCH, ...headers },
  body: JSON.stringify(body),
});

// PATCH with a JSON merge patch (RFC 5789, RFC 7396): the standard form of a partial update.
describe('PATCH /api/user/{id}', () => {
  const spec = specsOnHangingUpAggregator();

  it('changes the fields named: 200, the whole user, its new ETag and Content-Location', async () => {
    await spec()
      .given(...adaLive())
      .when(patch({ group: 2 }))
      .then(
        {
          status: 200,
          headers: {
            etag: '"2"',
            'content-location': '/api/user/ada',
            'cache-control': 'no-store',
          },
          body: { ...userFor('ada', 1), group: 2 },
        },
        { type: 'UserUpdated', data: { group: 2 }, version: 2 },
      );
  });

  it('answers {} with the user as it is, writing nothing', async () => {
    await spec()
      .given(...adaLive())
      .when(patch({}))
      .then({ status: 200, headers: { etag: '"1"' }, body: userFor('ada', 1) });
  });

  it('refuses null for a field 400 validation-error naming it: every field is required', async () => {
    const outcome = await spec()
      .given(...adaLive())
      .when(patch({ name: null, group: 3 }))
      .then({ status: 400, problem: '/problems/validation-error' });
    expect((outcome.body as { errors: unknown }).errors).toEqual([
      { field: 'name', message: 'must not be null: every field of a user is required' },
    ]);
  });

  it.each([
    ['an array', [{ op: 'replace', path: '/group', value: 2 }]],
    ['a string', 'group'],
    ['an unknown field', { role: 'admin' }],
    ['another id', { id: 'bob', group: 2 }],
    ['a bad email', { email: 'nope' }],
  ])('refuses %s 400 validation-error', async (_, body) => {
    await spec()
      .given(...adaLive())
      .when(patch(body))
      .then({ status: 400, problem: '/problems/validation-error' });
  });

  it.each(['application/json', 'application/json-patch+json', 'text/plain'])(
    'answers a %s body 415 with Accept-Patch naming merge patch',
    async (type) => {
      await spec()
        .given(...adaLive())
        .when({
          method: 'PATCH',
          path: '/api/user/ada',
          headers: { 'content-type': type },
          body: '{"group":2}',
        })
        .then({
          status: 415,
          problem: '/problems/unsupported-media-type',
          headers: { 'accept-patch': 'application/merge-patch+json' },
        });
    },
  );

  it('answers an unknown or deleted user 404', async () => {
    await spec()
      .given()
      .when(patch({ group: 2 }))
      .then({ status: 404, problem: '/problems/user-not-found' });
    await spec()
      .given(...eventsFor('ada', 0, created(ada), deleted()))
      .when(patch({ group: 2 }))
      .then({ status: 404, problem: '/problems/user-not-found' });
  });

  it('evaluates If-Match and If-None-Match as PUT does', async () => {
    const atVersion2 = () => eventsFor('ada', 0, created(ada), updated({ group: 2 }));
    await spec()
      .given(...atVersion2())
      .when(patch({ group: 3 }, { 'if-match': '"1"' }))
      .then({ status: 412, problem: '/problems/version-mismatch' });
    await spec()
      .given(...atVersion2())
      .when(patch({ group: 3 }, { 'if-match': '"1", "2"' }))
      .then({ status: 200, headers: { etag: '"3"' } }, { type: 'UserUpdated', data: { group: 3 } });
    await spec()
      .given(...atVersion2())
      .when(patch({ group: 3 }, { 'if-none-match': '*' }))
      .then({ status: 412, problem: '/problems/version-mismatch' });
  });

  it('answers OPTIONS on a user with Allow listing PATCH and Accept-Patch', async () => {
    await spec()
      .given()
      .when({ method: 'OPTIONS', path: '/api/user/ada' })
      .then({
        status: 204,
        headers: {
          allow: 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS',
          'accept-patch': 'application/merge-patch+json',
        },
      });
  });
});

describe('PUT with Content-Range', () => {
  const spec = specsOnHangingUpAggregator();

  it('is 400 bad-request and writes nothing (RFC 9110 §14.5)', async () => {
    await spec()
      .given(...adaLive())
      .when({
        method: 'PUT',
        path: '/api/user/ada',
        json: { group: 2 },
        headers: { 'content-range': 'bytes 0-10/11' },
      })
      .then({ status: 400, problem: '/problems/bad-request' });
  });
});

import { created, eventsFor, fieldsFor } from '@user-service/test-support';
import { specsOnHangingUpAggregator } from './gateway-under-test';

const ada = fieldsFor(1);
const adaLive = () => eventsFor('ada', 0, created(ada));
const NO_STORE = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };
const REVALIDATE = 'private, no-cache, no-transform';

// What a cache in front of the gateway may keep (RFC 9111): a user's current state only
// privately and revalidated, nothing else at all.
describe('Cache-Control on the API', () => {
  const spec = specsOnHangingUpAggregator();

  it.each(['GET', 'HEAD'])(
    'lets a %s of a user be kept privately, revalidated each time, untransformed',
    async (method) => {
      await spec()
        .given(...adaLive())
        .when({ method, path: '/api/user/ada' })
        .then({ status: 200, headers: { 'cache-control': REVALIDATE, etag: '"1"' } });
    },
  );

  it('sends the same policy with a 304, as the 200 would have', async () => {
    await spec()
      .given(...adaLive())
      .when({ method: 'GET', path: '/api/user/ada', headers: { 'if-none-match': '"1"' } })
      .then({ status: 304, headers: { 'cache-control': REVALIDATE, etag: '"1"' } });
  });

  it.each([
    ['a list', '/api/user'],
    ['a count', '/api/user/count'],
    ['user stats', '/api/stats/users'],
    ['event stats', '/api/stats/events'],
    ['a history', '/api/user/ada/events'],
    ['an as-of read', '/api/user/ada?version=1'],
    ['a probe', '/healthz'],
  ])('lets no cache keep %s (%s)', async (_, path) => {
    await spec()
      .given(...adaLive())
      .when({ method: 'GET', path })
      .then({ status: 200, headers: NO_STORE });
  });

  it.each([
    ['an unknown user', 'GET', '/api/user/nobody', 404],
    ['an unknown route', 'GET', '/api/nothing', 404],
    ['a method not allowed', 'PUT', '/api/stats/users', 405],
    ['a bad query', 'GET', '/api/user?limit=0', 400],
  ])('lets no cache keep the problem for %s', async (_, method, path, status) => {
    await spec()
      .given(...adaLive())
      .when({ method, path })
      .then({ status, headers: NO_STORE });
  });

  it('lets no cache keep the answer to a write', async () => {
    await spec()
      .given()
      .when({ method: 'POST', path: '/api/user', json: { id: 'ada', ...ada } })
      .then({ status: 201, headers: NO_STORE }, { type: 'UserCreated', data: ada });
  });
});

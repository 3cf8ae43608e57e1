import { InMemoryStore } from '@user-service/common/store/memory';
import { problemTypeMatching, problemTypeOf, type RunningApi } from '@user-service/test-support';
import { connect } from 'node:net';
import { GATEWAY_ROUTES } from '../src/gateway-routes';
import { allowOf, pathsOf } from '../src/route-table';
import { type HangingUpAggregator, hangingUpAggregator, startGateway } from './gateway-under-test';

/** A request on a bare socket, as written; what came back until the server closed it. */
function exchange(url: string, request: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(reply));
  });
}

/** A documented path with its parameters filled in. */
const concrete = (path: string) => path.replace('{id}', 'ada').replace('{file}', 'start.js');

/** A method a path does not take, for its 405. */
const notTaken = (allow: string): string =>
  ['POST', 'PATCH', 'PUT', 'DELETE'].find((method) => !allow.split(', ').includes(method)) ??
  'TRACE';

describe('the gateway’s methods and paths', () => {
  let aggregator: HangingUpAggregator;
  let gateway: RunningApi;

  beforeAll(async () => {
    aggregator = await hangingUpAggregator();
    gateway = await startGateway(aggregator.url)(new InMemoryStore());
  });

  afterAll(async () => {
    await gateway.close();
    await aggregator.close();
  });

  it.each(pathsOf(GATEWAY_ROUTES))(
    'answers OPTIONS %s 204 with its Allow, and another method 405 with the same',
    async (path) => {
      const allow = allowOf(GATEWAY_ROUTES, path);
      for (const variant of [concrete(path), `${concrete(path)}/`]) {
        const options = await fetch(`${gateway.url}${variant}`, { method: 'OPTIONS' });
        expect({ variant, status: options.status, allow: options.headers.get('allow') }).toEqual({
          variant,
          status: 204,
          allow,
        });
        expect(await options.text()).toBe('');
      }
      const method = notTaken(allow);
      const refused = await fetch(`${gateway.url}${concrete(path)}`, { method });
      expect({ method, status: refused.status, allow: refused.headers.get('allow') }).toEqual({
        method,
        status: 405,
        allow,
      });
    },
  );

  it('takes PUT and DELETE to /api/user/count as writes to the id `count`, refused on `id`, yet lists only GET there', async () => {
    const put = await fetch(`${gateway.url}/api/user/count`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: '{"name":"x"}',
    });
    expect(put.status).toBe(400);
    const options = await fetch(`${gateway.url}/api/user/count`, { method: 'OPTIONS' });
    expect(options.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it.each(['/API/USER', '/api/User/ada', '/Api/users/ada/events', '/HEALTHZ', '/Metrics', '/DOCS'])(
    'matches paths case-sensitively: %s is no route',
    async (path) => {
      const answer = await fetch(`${gateway.url}${path}`);
      expect(answer.status).toBe(404);
      expect(problemTypeOf(await answer.json())).toBe('/problems/not-found');
    },
  );

  it.each(['/api/user/ada', '/api/user', '/healthz', '/metrics', '/nowhere'])(
    'answers PROPFIND %s 501 method-not-implemented',
    async (path) => {
      const answer = await fetch(`${gateway.url}${path}`, { method: 'PROPFIND' });
      expect(answer.status).toBe(501);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await answer.json()).toEqual({
        type: problemTypeMatching('/problems/method-not-implemented'),
        title: 'Not Implemented',
        status: 501,
        detail: 'PROPFIND is not a method this service implements',
      });
    },
  );

  it('answers a method node’s parser does not know 501 as a problem, with a request id', async () => {
    const reply = await exchange(gateway.url, 'FOO /api/user/ada HTTP/1.1\r\nHost: x\r\n\r\n');
    const [head = '', body = ''] = reply.split('\r\n\r\n');
    expect(head).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/);
    expect(head).toMatch(/\r\nX-Request-Id: [0-9a-f-]{36}\r\n/);
    expect(JSON.parse(body)).toMatchObject({
      type: '/problems/method-not-implemented',
      status: 501,
      detail: 'FOO is not a method this service implements',
    });
  });

  it('answers CONNECT 501 and closes the connection', async () => {
    const reply = await exchange(
      gateway.url,
      'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n',
    );
    expect(reply).toMatch(/^HTTP\/1\.1 501 Not Implemented\r\n/);
    expect(reply).toContain('"type":"/problems/method-not-implemented"');
  });

  it('still answers a request line that is not HTTP at all 400, as node does', async () => {
    expect(await exchange(gateway.url, 'NOT HTTP AT ALL\r\n\r\n')).toMatch(/^HTTP\/1\.1 400 /);
  });

  it.each(['/api/user/ada', '/healthz'])(
    'answers a request to %s with two Host fields 400 bad-host',
    async (path) => {
      const reply = await exchange(
        gateway.url,
        `GET ${path} HTTP/1.1\r\nHost: a.example\r\nHost: b.example\r\nConnection: close\r\n\r\n`,
      );
      expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
      expect(reply).toMatch(/"type":"http:\/\/localhost\/problems\/bad-host"/);
    },
  );

  it('serves /metrics to GET and HEAD only', async () => {
    const get = await fetch(`${gateway.url}/metrics`);
    expect(get.status).toBe(200);
    expect(await get.text()).toContain('# TYPE');
    expect((await fetch(`${gateway.url}/metrics`, { method: 'HEAD' })).status).toBe(200);
    const post = await fetch(`${gateway.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
  });

  it('serves the OpenAPI document pretty-printed, one member a line', async () => {
    const text = await (await fetch(`${gateway.url}/openapi.json`)).text();
    expect(text.startsWith('{\n  "openapi": "3.1.0",\n')).toBe(true);
  });
});

import {
  createBaseApp,
  jsonBody,
  listen,
  methodNotImplemented,
  problemHandler,
  rememberRoute,
  type RunningServer,
  unknownRoute,
} from '@user-service/common/http';
import { createLogger, createMetricsRegistry } from '@user-service/common/observability';
import { StoreUnavailableError } from '@user-service/common/store';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** An app wired as the gateway's and the aggregators' are: routes, then unknownRoute, then problemHandler. */
async function startApp(): Promise<{ url: string; lines: LogLine[]; server: RunningServer }> {
  const stream = new PassThrough();
  const lines: LogLine[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as LogLine);
  });
  const log = createLogger({ service: 'gateway', level: 'warn', stream });
  const app = createBaseApp(log, createMetricsRegistry());
  app.post('/echo', rememberRoute, ...jsonBody('1kb'), (req, res) => {
    res.json(req.body);
  });
  app.get('/broken', rememberRoute, () => {
    throw new Error('a bug of ours: secret detail');
  });
  app.get('/store-down', rememberRoute, () => {
    throw new StoreUnavailableError('no primary');
  });
  app.use(methodNotImplemented);
  app.use(unknownRoute);
  app.use(problemHandler(log));
  const server = await listen(app, 0);
  return { url: `http://127.0.0.1:${(server.address as AddressInfo).port}`, lines, server };
}

describe('problemHandler', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp();
  });
  afterAll(() => app.server.close());

  async function problemOf(path: string, init?: RequestInit) {
    const answer = await fetch(`${app.url}${path}`, init);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await answer.json()) as { type: string; status: number };
    expect(body.status).toBe(answer.status);
    return {
      status: answer.status,
      type: body.type,
      retryAfter: answer.headers.get('retry-after'),
    };
  }

  const post = (contentType: string, body: string): RequestInit => ({
    method: 'POST',
    headers: { 'content-type': contentType },
    body,
  });

  it.each([
    ['malformed JSON', post('application/json', '{"a":'), 400, '/problems/malformed-json'],
    [
      'a body that is not JSON',
      post('text/plain', 'hello'),
      415,
      '/problems/unsupported-media-type',
    ],
    [
      'JSON that is not UTF-8',
      post('application/json; charset=latin1', '{}'),
      415,
      '/problems/unsupported-media-type',
    ],
    [
      'a body over the limit',
      post('application/json', JSON.stringify({ a: 'x'.repeat(2000) })),
      413,
      '/problems/body-too-large',
    ],
  ])('answers %s with a problem', async (_, init, status, type) => {
    expect(await problemOf('/echo', init)).toEqual({ status, type, retryAfter: null });
  });

  it('answers a path no route matches 404 not-found', async () => {
    expect(await problemOf('/nowhere')).toEqual({
      status: 404,
      type: '/problems/not-found',
      retryAfter: null,
    });
  });

  it('answers a store that did not confirm 503 with Retry-After', async () => {
    expect(await problemOf('/store-down')).toEqual({
      status: 503,
      type: '/problems/store-unavailable',
      retryAfter: '1',
    });
  });

  it('answers a bug 500 internal-error, logs it with its route, and tells the client nothing of it', async () => {
    const answer = await fetch(`${app.url}/broken`, { headers: { 'x-request-id': 'req-broken' } });
    expect(answer.status).toBe(500);
    const body = await answer.text();
    expect(JSON.parse(body)).toEqual(expect.objectContaining({ type: '/problems/internal-error' }));
    expect(body).not.toContain('secret');
    expect(app.lines).toContainEqual(
      expect.objectContaining({
        level: 'error',
        message: 'request failed',
        requestId: 'req-broken',
        route: '/broken',
      }),
    );
  });

  it('answers a method it does not implement 501, and logs it as no failure', async () => {
    const answer = await fetch(`${app.url}/echo`, { method: 'PROPFIND' });
    expect(answer.status).toBe(501);
    expect(
      app.lines.filter((line) => line.level === 'error' && line.route === 'unmatched'),
    ).toEqual([]);
  });

  it('logs no client error as a failure', async () => {
    await fetch(`${app.url}/echo`, post('application/json', '{'));
    expect(app.lines.filter((line) => line.level === 'error' && line.route === '/echo')).toEqual(
      [],
    );
  });
});

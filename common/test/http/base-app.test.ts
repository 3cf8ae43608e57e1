import {
  createBaseApp,
  listen,
  rememberRoute,
  type RunningServer,
} from '@user-service/common/http';
import { createLogger, createMetricsRegistry } from '@user-service/common/observability';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { Router } from 'express';

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

/** An app built the way the gateway and the aggregators build theirs, with one API route and /readyz. */
async function startApp(
  level: string,
): Promise<{ url: string; lines: LogLine[]; server: RunningServer }> {
  const stream = new PassThrough();
  const lines: LogLine[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as LogLine);
  });
  const log = createLogger({ service: 'gateway', level, stream });
  const app = createBaseApp(log, createMetricsRegistry());
  app.get('/readyz', rememberRoute, (_req, res) => {
    res.json({ ready: true });
  });
  app.get('/api/user/:id', rememberRoute, (req, res) => {
    res.json({ id: req.params.id });
  });
  const server = await listen(app, 0);
  return { url: `http://127.0.0.1:${(server.address as AddressInfo).port}`, lines, server };
}

/** Lines are written when a response finishes, which may be just after the client has it. */
async function settle(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 50));
}

describe('base app', () => {
  it('logs API requests at info, but not the healthcheck, readiness and scrape requests', async () => {
    const { url, lines, server } = await startApp('info');
    try {
      for (const path of ['/healthz', '/readyz', '/metrics', '/healthz?probe=docker']) {
        expect((await fetch(`${url}${path}`)).status).toBe(200);
      }
      expect(
        (await fetch(`${url}/api/user/ann`, { headers: { 'x-request-id': 'req-api' } })).status,
      ).toBe(200);
      await settle();
    } finally {
      await server.close();
    }
    expect(lines.filter((line) => line.message === 'request')).toEqual([
      expect.objectContaining({
        level: 'info',
        requestId: 'req-api',
        route: '/api/user/:id',
        status: 200,
      }),
    ]);
  });

  it('still logs the healthcheck at debug, for whoever turns it on', async () => {
    const { url, lines, server } = await startApp('debug');
    try {
      await fetch(`${url}/healthz`);
      await settle();
    } finally {
      await server.close();
    }
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'debug',
        message: 'request',
        route: '/healthz',
        status: 200,
      }),
    );
  });

  it('keeps healthchecks out of the request metrics, and exports no `up` of its own', async () => {
    const { url, server } = await startApp('warn');
    let scrape: string;
    try {
      for (let n = 0; n < 3; n++) {
        await fetch(`${url}/healthz`);
        await fetch(`${url}/readyz`);
      }
      await fetch(`${url}/api/user/ann`);
      scrape = await (await fetch(`${url}/metrics`)).text();
    } finally {
      await server.close();
    }
    const requestSeries = scrape
      .split('\n')
      .filter((line) => line.startsWith('http_request_duration_seconds_count'));
    expect(requestSeries).toEqual([
      'http_request_duration_seconds_count{method="GET",route="/api/user/:id",status="200"} 1',
    ]);
    // Prometheus makes `up{job, instance}` itself; a second one from the process would double it.
    expect(scrape).not.toMatch(/^up[{ ]/m);
    expect(scrape).not.toMatch(/^# TYPE up /m);
  });

  it('serves /metrics in the Prometheus text format, with its version', async () => {
    const { url, server } = await startApp('warn');
    try {
      const answer = await fetch(`${url}/metrics`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      expect(await answer.text()).toContain('# TYPE http_request_duration_seconds histogram');
    } finally {
      await server.close();
    }
  });

  it('counts and logs an alias and a trailing slash under the route as documented, another letter case as unmatched', async () => {
    const stream = new PassThrough();
    const routes: unknown[] = [];
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        routes.push((JSON.parse(line) as LogLine).route);
    });
    const log = createLogger({ service: 'gateway', level: 'info', stream });
    const app = createBaseApp(log, createMetricsRegistry(), {
      routeAliases: { '/api/users': '/api/user' },
    });
    const users = Router();
    users.get('/', rememberRoute, (_req, res) => {
      res.json([]);
    });
    users.get('/:id', rememberRoute, (req, res) => {
      res.status(404).json({ id: req.params.id });
    });
    app.use(['/api/user', '/api/users'], users);
    const server = await listen(app, 0);
    const url = `http://127.0.0.1:${(server.address as AddressInfo).port}`;
    let scrape: string;
    try {
      for (const path of ['/api/user/ann', '/api/users/bob', '/api/users/cid/', '/api/users/'])
        await fetch(`${url}${path}`);
      await fetch(`${url}/api/user`);
      await fetch(`${url}/no/such/route`);
      await fetch(`${url}/API/User/dan`);
      scrape = await (await fetch(`${url}/metrics`)).text();
      await settle();
    } finally {
      await server.close();
    }
    expect(routes).toEqual([
      ...Array<string>(3).fill('/api/user/:id'),
      '/api/user',
      '/api/user',
      'unmatched',
      'unmatched',
    ]);
    expect(
      scrape.split('\n').filter((line) => line.startsWith('http_request_duration_seconds_count')),
    ).toEqual([
      'http_request_duration_seconds_count{method="GET",route="/api/user/:id",status="404"} 3',
      'http_request_duration_seconds_count{method="GET",route="/api/user",status="200"} 2',
      'http_request_duration_seconds_count{method="GET",route="unmatched",status="404"} 2',
    ]);
  });
});

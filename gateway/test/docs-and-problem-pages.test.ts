import { PROBLEM_TYPES } from '@user-service/common/http';
import { InMemoryStore } from '@user-service/common/store/memory';
import {
  type RunningApi,
  TEST_INTERNAL_TOKEN,
  TEST_MASTER_KEYS,
  leaseEveryPartition,
} from '@user-service/test-support';
import { get } from 'node:http';
import { PassThrough } from 'node:stream';
import { startGatewayNode } from '../src/gateway-node';
import { type HangingUpAggregator, hangingUpAggregator } from './gateway-under-test';

const BASE = 'https://users.example.com/v1';

/** Swagger UI's files are big: served compressed, cacheable for a day, revalidated by ETag. */
describe('the documentation and problem pages', () => {
  let aggregator: HangingUpAggregator;
  let gateway: RunningApi;

  beforeAll(async () => {
    aggregator = await hangingUpAggregator();
    const store = new InMemoryStore();
    await leaseEveryPartition(store, { name: 'hanging-up', url: aggregator.url });
    gateway = await startGatewayNode({
      store,
      masterKeys: TEST_MASTER_KEYS,
      port: 0,
      forwardTimeoutMs: 1000,
      internalToken: TEST_INTERNAL_TOKEN,
      storeTimeoutMs: 1000,
      logLevel: 'error',
      logStream: new PassThrough().resume(),
      publicBaseUrl: BASE,
    });
  });

  afterAll(async () => {
    await gateway.close();
    await aggregator.close();
  });

  const read = (path: string, headers: Record<string, string> = {}) =>
    fetch(`${gateway.url}${path}`, { headers, redirect: 'manual' });

  describe('problem types', () => {
    it('are absolute URIs under the configured public base, not the request’s Host', async () => {
      // fetch may not set Host: a raw request does.
      const body = await new Promise<string>((resolve, reject) => {
        const request = get(`${gateway.url}/api/user/nobody`, {
          headers: { host: 'evil.example' },
        });
        request.on('response', (response) => {
          let text = '';
          response.setEncoding('utf8');
          response.on('data', (chunk: string) => (text += chunk));
          response.on('end', () => resolve(text));
        });
        request.on('error', reject);
      });
      expect((JSON.parse(body) as { type: string }).type).toBe(`${BASE}/problems/user-not-found`);
    });

    it('resolve to a page built from the catalog, under the docs’ security policy', async () => {
      const answer = await read('/problems/user-not-found');
      const text = await answer.text();
      expect({
        status: answer.status,
        type: answer.headers.get('content-type'),
        csp: answer.headers.get('content-security-policy'),
      }).toEqual({
        status: 200,
        type: 'text/html; charset=utf-8',
        csp: expect.stringContaining("default-src 'self'"),
      });
      expect(text).toContain('404 Not Found: user-not-found');
      expect(text).toContain(PROBLEM_TYPES.userNotFound.when);
    });

    it('are all listed at /problems, each page answering 200', async () => {
      const index = await (await read('/problems')).text();
      for (const { type } of Object.values(PROBLEM_TYPES)) {
        const name = type.slice('/problems/'.length);
        expect(index).toContain(`href="problems/${name}"`);
        expect((await read(type)).status).toBe(200);
      }
    });

    it('escape what they show, and answer an unknown name 404 not-found', async () => {
      const page = await (await read('/problems/unsupported-media-type')).text();
      expect(page).toContain('<code>application/json</code>');
      const unknown = await read('/problems/%3Cscript%3E');
      expect(unknown.status).toBe(404);
      expect(((await unknown.json()) as { type: string }).type).toBe(`${BASE}/problems/not-found`);
    });
  });

  describe('/docs', () => {
    it('redirects /docs to docs/, relative, so that the page works under a path prefix', async () => {
      const answer = await read('/docs');
      expect({ status: answer.status, location: answer.headers.get('location') }).toEqual({
        status: 301,
        location: 'docs/',
      });
    });

    it('serves the page with a Content-Security-Policy, nosniff, no Referer and relative assets', async () => {
      const answer = await read('/docs/');
      const page = await answer.text();
      expect({
        status: answer.status,
        csp: answer.headers.get('content-security-policy'),
        nosniff: answer.headers.get('x-content-type-options'),
        referrer: answer.headers.get('referrer-policy'),
      }).toEqual({
        status: 200,
        csp: "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
        nosniff: 'nosniff',
        referrer: 'no-referrer',
      });
      expect(page).toContain('src="./swagger-ui-bundle.js"');
      expect(page).not.toMatch(/(src|href)="\//);
    });

    it('serves Swagger UI’s bundle compressed, cacheable for a day, with a strong ETag and 304', async () => {
      const answer = await read('/docs/swagger-ui-bundle.js', { 'accept-encoding': 'gzip' });
      await answer.arrayBuffer();
      const etag = answer.headers.get('etag');
      expect({
        status: answer.status,
        encoding: answer.headers.get('content-encoding'),
        cache: answer.headers.get('cache-control'),
        etag,
      }).toEqual({
        status: 200,
        encoding: 'gzip',
        cache: 'public, max-age=86400',
        etag: expect.stringMatching(/^"[A-Za-z0-9_-]{43}"$/),
      });
      const again = await read('/docs/swagger-ui-bundle.js', { 'if-none-match': etag ?? '' });
      expect({ status: again.status, body: await again.text() }).toEqual({ status: 304, body: '' });
    });

    it('serves /openapi.json compressed and revalidated by its ETag', async () => {
      const answer = await read('/openapi.json', { 'accept-encoding': 'gzip' });
      const document = (await answer.json()) as { openapi: string };
      expect({
        openapi: document.openapi,
        encoding: answer.headers.get('content-encoding'),
        cache: answer.headers.get('cache-control'),
      }).toEqual({ openapi: '3.1.0', encoding: 'gzip', cache: 'public, no-cache' });
      const again = await read('/openapi.json', {
        'if-none-match': answer.headers.get('etag') ?? '',
      });
      expect(again.status).toBe(304);
    });

    it('sends a file uncompressed to a client that accepts no coding', async () => {
      const answer = await read('/docs/swagger-ui.css', { 'accept-encoding': 'identity' });
      await answer.text();
      expect(answer.headers.get('content-encoding')).toBeNull();
    });
  });
});

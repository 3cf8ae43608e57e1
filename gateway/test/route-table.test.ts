import { createLogger } from '@user-service/common/observability';
import {
  listen,
  methodNotImplemented,
  problemHandler,
  queryValidator,
  type RunningServer,
  unknownRoute,
} from '@user-service/common/http';
import express, { Router } from 'express';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { GATEWAY_ROUTES } from '../src/gateway-routes';
import { HEADER_PARAMETERS, jsonAnswer } from '../src/openapi-components';
import { openApiDocument } from '../src/openapi-document';
import { HTTP_METHODS } from '../src/openapi-types';
import {
  allowOf,
  openApiPaths,
  pathsOf,
  registerRoutes,
  type Route,
  route,
} from '../src/route-table';

describe('the gateway route table', () => {
  it('declares each method of each path once', () => {
    const declared = GATEWAY_ROUTES.map(({ method, path }) => `${method} ${path}`);
    expect(new Set(declared).size).toBe(declared.length);
  });

  it('declares a concrete path before a template that also matches it, as express tries them in order', () => {
    const paths = pathsOf(GATEWAY_ROUTES);
    expect(paths.indexOf('/api/user/count')).toBeLessThan(paths.indexOf('/api/user/{id}'));
  });

  it.each([
    ['/api/user', 'GET, HEAD, POST, PUT, OPTIONS'],
    ['/api/user/count', 'GET, HEAD, OPTIONS'],
    ['/api/user/{id}', 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS'],
    ['/api/user/{id}/events', 'GET, HEAD, OPTIONS'],
    ['/api/user/{id}/personal-data', 'DELETE, OPTIONS'],
    ['/metrics', 'GET, HEAD, OPTIONS'],
  ])('lets %s take %s', (path, allow) => {
    expect(allowOf(GATEWAY_ROUTES, path)).toBe(allow);
  });

  it('documents every route of the table as one operation, and nothing else', () => {
    const documented = Object.entries(openApiDocument().paths).flatMap(([path, item]) =>
      HTTP_METHODS.filter((method) => item[method]).map(
        (method) => `${method.toUpperCase()} ${path}`,
      ),
    );
    expect(documented.sort()).toEqual(
      GATEWAY_ROUTES.map(({ method, path }) => `${method} ${path}`).sort(),
    );
  });

  it('says on each documented path what OPTIONS and other methods get, with the Allow it answers', () => {
    for (const [path, item] of Object.entries(openApiDocument().paths)) {
      expect(item.description).toContain(`\`Allow: ${allowOf(GATEWAY_ROUTES, path)}\``);
    }
  });

  it('documents an idempotent write’s key, and the 400 bad-host any route can answer', () => {
    const { paths } = openApiDocument();
    const create = paths['/api/user']?.post;
    expect(create?.parameters).toContain(HEADER_PARAMETERS.IdempotencyKey);
    expect(paths['/api/user']?.get?.parameters).not.toContain(HEADER_PARAMETERS.IdempotencyKey);
    for (const item of Object.values(paths)) {
      for (const method of HTTP_METHODS) {
        const responses = item[method]?.responses;
        if (responses) expect(responses['400']?.description).toContain('/problems/bad-host');
      }
    }
  });

  it('names no path parameter it has no OpenAPI parameter for', () => {
    const unknown: Route<never> = route({
      method: 'GET',
      path: '/things/{thing}',
      operation: { operationId: 'thing', summary: 'A thing', tag: 't' },
      query: queryValidator({}),
      answers: {},
      problems: {},
      handle: () => () => undefined,
    });
    expect(() => openApiPaths([unknown])).toThrow('no OpenAPI parameter for {thing}');
  });
});

// A table of its own, as a later route would extend the gateway's: a PATCH, a request header, a
// query with a default. What it gets from registerRoutes is what every gateway route gets.
describe('a route table, registered', () => {
  type Context = { readonly greeting: string };
  // Built apart, as the gateway's are (query-schemas.ts), so that its parameters' types are its own.
  const readQuery = queryValidator({
    n: {
      schema: { type: 'integer', minimum: 1, maximum: 9, default: 3 },
      expected: 'an integer from 1 to 9',
    },
  });
  const seen: { n: number; id: string }[] = [];
  const table: readonly Route<Context>[] = [
    route({
      method: 'GET',
      path: '/api/user/{id}',
      operation: { operationId: 'read', summary: 'Read', tag: 't' },
      query: readQuery,
      headers: [HEADER_PARAMETERS.IfNoneMatch],
      answers: { '200': jsonAnswer('Read.', { type: 'object' }) },
      problems: { 400: ['validationError'] },
      handle:
        ({ greeting }) =>
        (req, res, { n }) => {
          seen.push({ n: n * 1, id: String(req.params.id) });
          res.json({ greeting, n, route: res.locals.route });
        },
    }),
    route({
      method: 'PATCH',
      path: '/api/user/{id}',
      operation: { operationId: 'patch', summary: 'Patch', tag: 't' },
      query: queryValidator({}),
      body: { description: 'A patch.', schema: { type: 'object' } },
      answers: { '200': jsonAnswer('Patched.', { type: 'object' }) },
      problems: {},
      handle: () => (req, res) => {
        res.json({ body: req.body as unknown });
      },
    }),
  ];
  let server: RunningServer;
  let url: string;

  beforeAll(async () => {
    const app = express();
    app.enable('case sensitive routing');
    const router = Router({ caseSensitive: true });
    registerRoutes(router, table, { greeting: 'hi' });
    app.use(methodNotImplemented, router, unknownRoute);
    app.use(problemHandler(createLogger({ service: 'test', stream: new PassThrough().resume() })));
    server = await listen(app, 0);
    url = `http://127.0.0.1:${(server.address as AddressInfo).port}`;
  });

  afterAll(() => server.close());

  it('hands the handler its context and its query typed, the default applied', async () => {
    const answer = await fetch(`${url}/api/user/ann`);
    expect(await answer.json()).toEqual({ greeting: 'hi', n: 3, route: '/api/user/:id' });
    expect(await (await fetch(`${url}/api/user/ann?n=7`)).json()).toMatchObject({ n: 7 });
    expect(seen).toContainEqual({ n: 7, id: 'ann' });
  });

  it('refuses a bad query before the handler runs', async () => {
    const before = seen.length;
    const answer = await fetch(`${url}/api/user/ann?n=10`);
    expect(answer.status).toBe(400);
    expect(seen).toHaveLength(before);
  });

  it('answers the alias and a trailing slash as the path, under the same route name', async () => {
    for (const path of ['/api/users/ann', '/api/user/ann/', '/api/users/ann/']) {
      expect(await (await fetch(`${url}${path}`)).json()).toMatchObject({ route: '/api/user/:id' });
    }
  });

  it('matches paths case-sensitively', async () => {
    for (const path of ['/API/USER/ann', '/api/User/ann', '/Api/users/ann']) {
      expect((await fetch(`${url}${path}`)).status).toBe(404);
    }
  });

  it('parses the body of a route that declares one', async () => {
    const answer = await fetch(`${url}/api/user/ann`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: '{"group":2}',
    });
    expect(await answer.json()).toEqual({ body: { group: 2 } });
  });

  it('answers OPTIONS 204 with Allow, and another method 405 with the same Allow', async () => {
    const options = await fetch(`${url}/api/users/ann/`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, HEAD, PATCH, OPTIONS');
    expect(await options.text()).toBe('');
    const put = await fetch(`${url}/api/user/ann`, { method: 'PUT' });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, PATCH, OPTIONS');
  });

  it('answers a method that is not HTTP’s own 501, on any path', async () => {
    for (const path of ['/api/user/ann', '/nowhere']) {
      const answer = await fetch(`${url}${path}`, { method: 'PROPFIND' });
      expect(answer.status).toBe(501);
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    }
  });

  it('documents the new route, its header and its default', () => {
    const item = openApiPaths(table)['/api/user/{id}'];
    expect(item?.patch?.requestBody?.content['application/json']?.schema).toEqual({
      type: 'object',
    });
    const parameters = item?.get?.parameters ?? [];
    expect(parameters.map((parameter) => parameter.name)).toEqual([
      'id',
      'n',
      'If-None-Match',
      // Every route of the API reads it: see the problems it may answer.
      'X-Consistency-Token',
      'X-Request-Id',
    ]);
    expect(parameters[1]?.description).toBe(
      'Default 3. Must be an integer from 1 to 9, given at most once.',
    );
  });
});

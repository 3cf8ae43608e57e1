import {
  ALLOW,
  dataSchemas,
  problemResponse,
  problemSchemas,
  REQUEST_ID,
} from './openapi-components';
import type { OpenApiDocument } from './openapi-types';
import { GATEWAY_ROUTES } from './gateway-routes';
import { BEARER_SCHEME, openApiPaths } from './route-table';

export * from './openapi-types';

// The gateway's API as an OpenAPI 3.1 document: `paths` are made from the route table
// (gateway-routes.ts), the components are declared in openapi-components.ts.

const INFO_DESCRIPTION = [
  'A REST API over one entity, `User { id, name, email, group }`, event-sourced: a write appends an immutable event; reads are served by the aggregators that fold them, or folded from the store.',
  '',
  '- **Paths.** Every path under `/api/user` also answers under `/api/users` (an alias, the same API), and every path with a trailing slash too. Paths are case-sensitive: `/API/USER` is no route. Every GET also answers HEAD, without the body.',
  '- **Request ids.** Every answer carries `X-Request-Id`: the client’s own when it sent a sensible one, else a new UUID.',
  '- **Problems.** Every error is `application/problem+json` (RFC 9457). Each type of the catalog is a schema under `components/schemas` (`…Problem`), and `Problem.type` lists them all; each operation lists the types each of its statuses can be. `unauthorized`, `version-not-applied` and `not-ready` belong to the aggregators’ internal API and never reach a client of the gateway. A 500 `internal-error` is a fault of ours, never caused by what a client sends.',
  '- **Methods.** A path no route takes answers 404 `not-found` (`components/responses/RouteNotFound`). On every path, `OPTIONS` answers 204 with `Allow` listing the methods the path takes (`components/responses/Options`), and a method the path does not take answers 405 `method-not-allowed` with the same `Allow` (`components/responses/MethodNotAllowed`). A method that is not one of HTTP’s (RFC 9110, and PATCH) answers 501 `method-not-implemented` on any path (`components/responses/MethodNotImplemented`). A request with more than one `Host` field is 400 `bad-host`.',
  '- **Query parameters** are validated like bodies: a malformed or out-of-range value, one given twice, or one the route does not take is 400 `validation-error`, whose `errors` name the parameter as `field`. Integers are plain decimals.',
  '- **Retrying writes.** Every write takes an `Idempotency-Key`: retried with the same key after a timeout or a 5xx, it is carried out once, and every retry gets the first answer again.',
  '- **Lists, counts and statistics of users** say in `X-Consistency` whether they are exact.',
  '- **Access tokens.** Every operation under `/api` asks for a bearer token granting its scope (`security`): without a valid one 401 `bearer-token-required`, with one that lacks the scope 403 `insufficient-scope`. Probes, metrics and documentation are open.',
].join('\n');

/** The OpenAPI 3.1 document of every route of the gateway. */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'User service',
      version: '0.1.0',
      description: INFO_DESCRIPTION,
      license: { name: 'MIT', identifier: 'MIT' },
    },
    // Relative: the document is right wherever the gateway is reached, behind a proxy too.
    servers: [{ url: '/', description: 'The gateway serving this document.' }],
    // Each operation says what its token must grant; probes and documentation are open.
    security: [],
    tags: [
      { name: 'users', description: 'Create, read, update and delete one user.' },
      { name: 'history', description: 'A user’s events.' },
      { name: 'lists and statistics', description: 'Live users and events, many at a time.' },
      { name: 'operations', description: 'For probes and Prometheus.' },
      { name: 'documentation', description: 'This document, for machines and people.' },
    ],
    paths: openApiPaths(GATEWAY_ROUTES),
    components: {
      schemas: { ...dataSchemas(), ...problemSchemas() },
      responses: {
        RouteNotFound: problemResponse(404, ['notFound'], false),
        MethodNotAllowed: {
          ...problemResponse(405, ['methodNotAllowed'], false),
          headers: { 'X-Request-Id': REQUEST_ID, Allow: ALLOW },
        },
        Options: {
          description: 'The methods the path takes, in `Allow`; no body.',
          headers: { 'X-Request-Id': REQUEST_ID, Allow: ALLOW },
        },
        MethodNotImplemented: problemResponse(501, ['methodNotImplemented'], false),
      },
      securitySchemes: {
        [BEARER_SCHEME]: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'An OAuth 2.0 access token in the JWT profile (RFC 9068, `typ` `at+jwt`), signed with ES256 or RS256 by a key of the configured issuer’s JWKS, for the configured audience; its `scope` claim grants `users:read` (every GET of users, history, lists and statistics), `users:write` (create, update, delete), `users:erase` (`DELETE /api/user/{id}/personal-data`) or `users:admin` (administrative operations; none yet). A gateway configured without an issuer (`AUTH_*` unset) serves on a loopback address only, and asks for no token.',
        },
      },
    },
  };
}

import { API_BODY_LIMIT } from '@user-service/common/http';
import { updateUserSchema } from '@user-service/common/domain';
import type { RequestHandler } from 'express';
import { docsFileRoute, docsPageRoute, openApiRoute } from './docs-routes';
import { mergePatchBody } from './merge-patch';
import { problemIndexRoute, problemPageRoute } from './problem-pages';
import { eventStatsRoute } from './event-stats-routes';
import { rebuildStatusRoute, requestRebuildRoute } from './rebuild-routes';
import { userHistoryRoute } from './history-routes';
import { countUsersRoute, listUsersRoute, userStatsRoute } from './list-routes';
import {
  BODY_PROBLEMS,
  CONSISTENCY,
  CONSISTENCY_TOKEN,
  ETAG,
  HEADER_PARAMETERS,
  IDEMPOTENT_REPLAYED,
  INTERNAL,
  jsonAnswer,
  LINK_NEXT,
  LOCATION,
  MERGE_PATCH_TYPE,
  NO_QUERY,
  READ_FAILURES,
  REBUILD_LOCATION,
  REQUEST_ID,
  schemaRef,
  textAnswer,
  USER_BODY_RULES,
  WRITE_FAILURES,
  WRITTEN_USER,
} from './openapi-components';
import type { OpenApiDocument, SchemaObject } from './openapi-types';
import { QUERIES } from './query-schemas';
import { pathId } from './request-parts';
import { baseAppRoute, queryFreeRoute, type Route, route } from './route-table';
import {
  createUser,
  deleteUser,
  erasePersonalData,
  noPathId,
  patchUser,
  readUserRoute,
  updateUser,
  type UserRoutesContext,
} from './routes';
import type { ListContext } from './user-lists';

/** What the gateway's routes are served with. */
export type GatewayContext = UserRoutesContext &
  ListContext & {
    /** The document `/openapi.json` serves, made once from this very table. */
    readonly openApi: OpenApiDocument;
  };

type GatewayRoute = Route<GatewayContext>;

/** The answer of a write of one user: the whole user with its new version. */
const writtenUser = (description: string, headers = {}) =>
  jsonAnswer(description, WRITTEN_USER, {
    ETag: ETAG,
    'X-Consistency-Token': CONSISTENCY_TOKEN,
    'Idempotent-Replayed': IDEMPOTENT_REPLAYED,
    ...headers,
  });

const noContent = (description: string) => ({
  description,
  headers: {
    'X-Request-Id': REQUEST_ID,
    'X-Consistency-Token': CONSISTENCY_TOKEN,
    'Idempotent-Replayed': IDEMPOTENT_REPLAYED,
  },
});

const updateBody = (byPath: boolean) => ({
  description: `The fields to change, at least one of \`name\`, \`email\` and \`group\`; the others keep their values. ${
    byPath
      ? '`id` may be left out: it is the one in the path; given, it must be the same (else 400 `validation-error` on `id`).'
      : '`id` names the user.'
  } ${USER_BODY_RULES}`,
  schema: byPath
    ? { type: 'object', properties: updateUserSchema.properties, additionalProperties: false }
    : schemaRef('UpdateUser'),
});

/** The preconditions a write to one user evaluates (RFC 9110 §13.2.2). */
const WRITE_PRECONDITIONS = [HEADER_PARAMETERS.IfMatch, HEADER_PARAMETERS.IfNoneMatchOnWrite];

/** A page for people: HTML, cacheable and revalidated by its `ETag`, so a 304 when unchanged. */
const notModified = {
  description: 'The client’s copy (`If-None-Match`) is current: no body.',
  headers: { 'X-Request-Id': REQUEST_ID },
};

const UPDATE_PROBLEMS = {
  400: [...BODY_PROBLEMS, 'badIfMatch', 'badIfNoneMatch'],
  404: ['userNotFound'],
  409: ['emailTaken', 'idempotencyKeyInFlight'],
  412: ['versionMismatch'],
  ...WRITE_FAILURES,
} as const;

/** What a write without a body (a delete, an erasure) can answer besides its success. */
const BODILESS_WRITE_PROBLEMS = {
  400: ['validationError', 'badIfMatch', 'badIfNoneMatch', 'badIdempotencyKey', 'badRequest'],
  404: ['userNotFound'],
  409: ['idempotencyKeyInFlight'],
  412: ['versionMismatch'],
  422: ['idempotencyKeyReused'],
  ...INTERNAL,
  503: ['storeUnavailable', 'contention', 'userUnreadable'],
} as const;

/** An erasure's: a delete's, and a 503 while the user's aggregator has not applied it yet. */
const ERASURE_PROBLEMS = {
  ...BODILESS_WRITE_PROBLEMS,
  503: [...BODILESS_WRITE_PROBLEMS[503], 'erasurePending'],
} as const;

const count = (of: string): SchemaObject => ({
  type: 'object',
  required: [of],
  additionalProperties: false,
  properties: { [of]: { type: 'integer', minimum: 0 } },
});

const readiness = (ready: boolean): SchemaObject => ({
  type: 'object',
  required: ready ? ['ready'] : ['ready', 'reason'],
  additionalProperties: false,
  properties: {
    ready: { const: ready },
    ...(ready
      ? {}
      : {
          reason: { enum: ['store-unreachable', 'master-key-mismatch'] },
          masterKeyId: {
            type: 'string',
            description: 'With `master-key-mismatch`: the id of the master key the store needs.',
          },
        }),
  },
});

/**
 * Ready while the store answers (without it no write can succeed, and a read only sometimes), and
 * while this gateway's master keys open the store's keys (without them, whatever touches a name
 * or an email fails).
 */
const readyz =
  (context: GatewayContext): RequestHandler =>
  async (_req, res) => {
    const unready = (body: Record<string, string>) =>
      res.status(503).json({ ready: false, ...body });
    try {
      await context.store.ping();
      const masterKeyId = await context.personalData.masterKeyMismatch();
      if (masterKeyId === undefined) res.json({ ready: true });
      else unready({ reason: 'master-key-mismatch', masterKeyId });
    } catch {
      unready({ reason: 'store-unreachable' });
    }
  };

/**
 * Every route of the gateway, each once, in the order express tries them: a concrete path before
 * a template that would also match it (`/api/user/count` before `/api/user/{id}`).
 */
export const GATEWAY_ROUTES: readonly GatewayRoute[] = [
  route({
    method: 'GET',
    path: '/api/user',
    scope: 'users:read',
    operation: {
      operationId: 'listUsers',
      summary: 'List live users',
      description:
        'Live users in id order (UTF-16 code units), a page at a time. Follow `Link` for the next page: it uses `after`, which reaches any depth at the same cost.',
      tag: 'lists and statistics',
    },
    query: QUERIES.list,
    queryMeanings: {
      group: 'Only the users of this group.',
      limit: 'At most this many users.',
      after: 'Only the users whose id comes after this one.',
      offset: 'Skip this many users first.',
    },
    answers: {
      '200': jsonAnswer(
        'A page of live users.',
        { type: 'array', items: schemaRef('User') },
        { Link: LINK_NEXT, 'X-Consistency': CONSISTENCY },
      ),
    },
    problems: { 400: ['validationError'], ...READ_FAILURES },
    handle: listUsersRoute,
  }),
  route({
    method: 'POST',
    path: '/api/user',
    scope: 'users:write',
    operation: {
      operationId: 'createUser',
      summary: 'Create a user',
      description: NO_QUERY,
      tag: 'users',
    },
    query: QUERIES.none,
    idempotent: true,
    body: {
      description: `The new user. \`id\` is optional: without one the server makes a UUID (derived from the \`Idempotency-Key\` when one is sent). A deleted id may be created again; its versions go on counting. ${USER_BODY_RULES}`,
      schema: schemaRef('CreateUser'),
    },
    headers: [HEADER_PARAMETERS.IfNoneMatchOnWrite],
    answers: { '201': writtenUser('Created: the user as stored.', { Location: LOCATION }) },
    problems: {
      400: [...BODY_PROBLEMS, 'badIfMatch', 'badIfNoneMatch'],
      409: ['userExists', 'emailTaken', 'idempotencyKeyInFlight'],
      412: ['versionMismatch'],
      ...WRITE_FAILURES,
    },
    handle: createUser,
  }),
  route({
    method: 'PUT',
    path: '/api/user',
    scope: 'users:write',
    operation: {
      operationId: 'updateUser',
      summary: 'Update a user named in the body',
      description: NO_QUERY,
      tag: 'users',
    },
    query: QUERIES.none,
    headers: WRITE_PRECONDITIONS,
    idempotent: true,
    body: updateBody(false),
    answers: { '200': writtenUser('The whole user after the update, with its new version.') },
    problems: UPDATE_PROBLEMS,
    handle: (context) => updateUser(context, noPathId),
  }),
  route({
    method: 'GET',
    path: '/api/user/count',
    scope: 'users:read',
    operation: {
      operationId: 'countUsers',
      summary: 'Count live users',
      description:
        '`PUT` and `DELETE` on this path reach `/api/user/{id}` with the id `count`, which no user can have: 400 `validation-error` on `id`.',
      tag: 'lists and statistics',
    },
    query: QUERIES.count,
    queryMeanings: { group: 'Only the users of this group.' },
    answers: {
      '200': jsonAnswer('How many live users there are (of the group).', count('count'), {
        'X-Consistency': CONSISTENCY,
      }),
    },
    problems: { 400: ['validationError'], ...READ_FAILURES },
    handle: countUsersRoute,
  }),
  route({
    method: 'GET',
    path: '/api/user/{id}',
    scope: 'users:read',
    operation: {
      operationId: 'getUser',
      summary: 'Read a user, as it is now or as it was',
      description:
        'Now: read from the aggregator owning the user, which has applied every write this gateway made to it, else folded from the store. As of `version` or `at`: folded from the user’s events, so exact.',
      tag: 'users',
    },
    query: QUERIES.user,
    queryMeanings: {
      version:
        'The user right after its event of this version (the `ETag` it had then). Not together with `at`.',
      at: 'The user right after its last event at or before this RFC 3339 time (any offset, `t` and `z` in either case; a leap second is refused). Not together with `version`.',
    },
    headers: [HEADER_PARAMETERS.IfMatchOnRead, HEADER_PARAMETERS.IfNoneMatch],
    answers: {
      '200': jsonAnswer('The user, and its version as `ETag`.', schemaRef('User'), { ETag: ETAG }),
      '304': {
        description: '`If-None-Match` names the version that would be sent: no body.',
        headers: { 'X-Request-Id': REQUEST_ID, ETag: ETAG },
      },
    },
    problems: {
      400: ['validationError', 'badIfMatch', 'badIfNoneMatch', 'badRequest'],
      404: ['userNotFound'],
      410: ['personalDataErased'],
      412: ['versionMismatch'],
      ...INTERNAL,
      503: ['storeUnavailable', 'userUnreadable'],
    },
    handle: readUserRoute,
  }),
  route({
    method: 'PUT',
    path: '/api/user/{id}',
    scope: 'users:write',
    operation: {
      operationId: 'updateUserById',
      summary: 'Update a user named in the path',
      description: NO_QUERY,
      tag: 'users',
    },
    query: QUERIES.none,
    headers: WRITE_PRECONDITIONS,
    idempotent: true,
    body: updateBody(true),
    answers: { '200': writtenUser('The whole user after the update, with its new version.') },
    problems: UPDATE_PROBLEMS,
    handle: (context) => updateUser(context, pathId),
  }),
  route({
    method: 'PATCH',
    path: '/api/user/{id}',
    scope: 'users:write',
    operation: {
      operationId: 'patchUser',
      summary: 'Change some of a user’s fields (JSON merge patch)',
      description: `The standard form of a partial update (RFC 5789, RFC 7396): each field the patch names is replaced, the others keep their values; \`{}\` changes nothing. Another body type is 415 \`unsupported-media-type\` with \`Accept-Patch: ${MERGE_PATCH_TYPE}\`. ${NO_QUERY}`,
      tag: 'users',
    },
    query: QUERIES.none,
    headers: WRITE_PRECONDITIONS,
    idempotent: true,
    body: {
      description: `A JSON merge patch of the user: any of \`name\`, \`email\` and \`group\` with their new values. \`null\`, which would remove a field, is 400 \`validation-error\`: every field is required. \`id\` may be given only as the path’s. ${USER_BODY_RULES}`,
      schema: {
        type: 'object',
        properties: updateUserSchema.properties,
        additionalProperties: false,
      },
      mediaType: MERGE_PATCH_TYPE,
      parse: mergePatchBody(API_BODY_LIMIT),
    },
    answers: {
      '200': writtenUser('The whole user after the patch, with its new version.', {
        'Content-Location': {
          description: 'The user the body is the new state of: `/api/user/{id}`.',
          required: true,
          schema: { type: 'string' },
        },
      }),
    },
    problems: UPDATE_PROBLEMS,
    handle: patchUser,
  }),
  route({
    method: 'DELETE',
    path: '/api/user/{id}',
    scope: 'users:write',
    operation: {
      operationId: 'deleteUser',
      summary: 'Delete a user',
      description: `The id then reads as unknown (404) and its email is free again; its history stays, and the id may be created again. ${NO_QUERY}`,
      tag: 'users',
    },
    query: QUERIES.none,
    headers: WRITE_PRECONDITIONS,
    idempotent: true,
    answers: { '204': noContent('Deleted: no body.') },
    problems: BODILESS_WRITE_PROBLEMS,
    handle: deleteUser,
  }),
  route({
    method: 'GET',
    path: '/api/user/{id}/events',
    scope: 'users:read',
    operation: {
      operationId: 'listUserEvents',
      summary: 'A user’s events, oldest first',
      description:
        'Every event of the id, a deleted user’s included, straight from the log; filtered by type, time and version, a page at a time. `Link` gives the next page when more match.',
      tag: 'history',
    },
    query: QUERIES.history,
    queryMeanings: {
      type: 'Only events of these types.',
      from: 'Only events that occurred at or after this RFC 3339 time.',
      to: 'Only events that occurred before this RFC 3339 time.',
      after: 'Only events after this version.',
      limit: 'At most this many events.',
    },
    answers: {
      '200': jsonAnswer(
        'The events that match, oldest first; `[]` when none of a known id’s does.',
        { type: 'array', items: schemaRef('HistoryEvent') },
        { Link: LINK_NEXT },
      ),
    },
    problems: {
      400: ['validationError', 'badRequest'],
      404: ['userNotFound'],
      ...READ_FAILURES,
    },
    handle: userHistoryRoute,
  }),
  route({
    method: 'DELETE',
    path: '/api/user/{id}/personal-data',
    scope: 'users:erase',
    operation: {
      operationId: 'erasePersonalData',
      summary: 'Erase a person: the personal data of every event ever stored for the id',
      description: `Destroys the id’s data key, which makes its name and email unreadable everywhere they are stored, and appends a \`UserErased\` event holding no personal data. A live user is deleted by it. Afterwards the id reads as unknown (404), lists and counts leave it out, its history keeps every event with \`name\` and \`email\` null, an as-of read of a version at which it was live is 410 \`personal-data-erased\`, and its email is free. The id may be created again: a new person, with a new key. Erasing again answers 204 and appends nothing. ${NO_QUERY}`,
      tag: 'users',
    },
    query: QUERIES.none,
    headers: WRITE_PRECONDITIONS,
    idempotent: true,
    answers: {
      '204': noContent(
        'Erased (now, or before), and applied where reads are answered, so no gateway shows the person any more: no body.',
      ),
    },
    problems: ERASURE_PROBLEMS,
    handle: erasePersonalData,
  }),
  route({
    method: 'GET',
    path: '/api/stats/users',
    scope: 'users:read',
    operation: {
      operationId: 'userStats',
      summary: 'Live users in total and per group',
      tag: 'lists and statistics',
    },
    query: QUERIES.userStats,
    answers: {
      '200': jsonAnswer(
        '`total` live users, and `byGroup` the number in each group that has any.',
        {
          type: 'object',
          required: ['total', 'byGroup'],
          additionalProperties: false,
          properties: {
            total: { type: 'integer', minimum: 0 },
            byGroup: {
              type: 'object',
              propertyNames: { pattern: '^(0|[1-9][0-9]*)$' },
              additionalProperties: { type: 'integer', minimum: 1 },
            },
          },
        },
        { 'X-Consistency': CONSISTENCY },
      ),
    },
    problems: { 400: ['validationError'], ...READ_FAILURES },
    handle: userStatsRoute,
  }),
  route({
    method: 'GET',
    path: '/api/stats/events',
    scope: 'users:read',
    operation: {
      operationId: 'eventStats',
      summary: 'Events per UTC day and type',
      description:
        'Counted by the store from the log itself, so exact. Both days are included; the range is at most 366 days, and `from` after `to` is refused (400 `validation-error`).',
      tag: 'lists and statistics',
    },
    query: QUERIES.eventStats,
    queryMeanings: {
      from: 'The first UTC day counted (default: 29 days before `to`).',
      to: 'The last UTC day counted (default: today).',
    },
    answers: {
      '200': jsonAnswer('One entry per day and type that has events, by day then type.', {
        type: 'array',
        items: {
          type: 'object',
          required: ['day', 'type', 'count'],
          additionalProperties: false,
          properties: {
            day: { type: 'string', format: 'date' },
            type: { type: 'string' },
            count: { type: 'integer', minimum: 1 },
          },
        },
      }),
    },
    problems: { 400: ['validationError'], ...READ_FAILURES },
    handle: eventStatsRoute,
  }),
  route({
    method: 'POST',
    path: '/admin/projections/users/rebuild',
    scope: 'users:admin',
    operation: {
      operationId: 'rebuildUsersProjection',
      summary: 'Rebuild the users projection from the log, while it serves',
      description: `Asks for every partition of the users projection to be folded again from the events into a new generation. The aggregators do it partition by partition while they go on serving the current one, and switch each partition over in one atomic step once its new generation has caught up; a crash during it loses nothing, and the partition is folded again by whoever holds it next. One rebuild runs at a time: asked again meanwhile, the one running is answered. No body is read. ${NO_QUERY}`,
      tag: 'operations',
    },
    query: QUERIES.none,
    answers: {
      '202': jsonAnswer(
        'Asked for (or already running): its status, and in `Location` where to watch it.',
        schemaRef('RebuildStatus'),
        { Location: REBUILD_LOCATION },
      ),
    },
    problems: READ_FAILURES,
    handle: requestRebuildRoute,
  }),
  route({
    method: 'GET',
    path: '/admin/projections/users/rebuilds/{rebuildId}',
    scope: 'users:admin',
    operation: {
      operationId: 'rebuildStatus',
      summary: 'How far the rebuild asked for last is',
      description: `\`running\` until every partition serves the new generation (\`done\`); \`failed\` once a partition met an event it cannot fold (named in \`failures\`; that partition goes on serving its current generation, and asking again starts a new rebuild). ${NO_QUERY}`,
      tag: 'operations',
    },
    query: QUERIES.none,
    answers: { '200': jsonAnswer('Its status.', schemaRef('RebuildStatus')) },
    problems: { 404: ['rebuildNotFound'], ...READ_FAILURES },
    handle: rebuildStatusRoute,
  }),
  baseAppRoute({
    method: 'GET',
    path: '/healthz',
    operation: {
      operationId: 'liveness',
      summary: 'Liveness: the process answers',
      tag: 'operations',
    },
    answers: {
      '200': jsonAnswer('Alive.', {
        type: 'object',
        required: ['status'],
        additionalProperties: false,
        properties: { status: { const: 'alive' } },
      }),
    },
    problems: {},
  }),
  queryFreeRoute({
    method: 'GET',
    path: '/readyz',
    operation: {
      operationId: 'readiness',
      summary: 'Readiness: the store answers a ping',
      tag: 'operations',
    },
    answers: {
      '200': jsonAnswer('Ready.', readiness(true)),
      '503': jsonAnswer(
        'Not ready: the store does not answer. A JSON body, not a problem; no `Retry-After`.',
        readiness(false),
      ),
    },
    problems: {},
    handle: readyz,
  }),
  baseAppRoute({
    method: 'GET',
    path: '/metrics',
    operation: { operationId: 'metrics', summary: 'Prometheus metrics', tag: 'operations' },
    answers: {
      '200': textAnswer(
        'The Prometheus text format (`text/plain; version=0.0.4`); route labels are templates, never raw ids.',
        ['text/plain'],
      ),
    },
    problems: INTERNAL,
  }),
  queryFreeRoute({
    method: 'GET',
    path: '/openapi.json',
    operation: { operationId: 'openApiDocument', summary: 'This document', tag: 'documentation' },
    answers: {
      '200': jsonAnswer('The OpenAPI 3.1 document of this API.', {
        type: 'object',
        required: ['openapi', 'info', 'paths'],
        properties: {
          openapi: { const: '3.1.0' },
          info: { type: 'object' },
          paths: { type: 'object' },
        },
      }),
      '304': notModified,
    },
    problems: {},
    handle: (context) => openApiRoute(context.openApi),
  }),
  queryFreeRoute({
    method: 'GET',
    path: '/docs',
    operation: {
      operationId: 'docsPage',
      summary: 'This document, as a page for people',
      tag: 'documentation',
    },
    answers: {
      '200': textAnswer(
        'At `/docs/`: an HTML page rendering `/openapi.json` with Swagger UI; every file it loads is served by the gateway itself, under a Content-Security-Policy.',
        ['text/html'],
      ),
      '301': {
        description:
          'At `/docs`: `Location: docs/`, the page’s own address, under which its files’ relative paths resolve.',
        headers: { 'X-Request-Id': REQUEST_ID },
      },
      '304': notModified,
    },
    problems: {},
    handle: () => docsPageRoute,
  }),
  queryFreeRoute({
    method: 'GET',
    path: '/docs/{file}',
    operation: {
      operationId: 'docsFile',
      summary: 'A file of the documentation page',
      tag: 'documentation',
    },
    answers: {
      '200': textAnswer('The file.', ['text/css', 'text/javascript', 'image/png']),
      '304': notModified,
    },
    problems: { 404: ['notFound'], ...INTERNAL },
    handle: () => docsFileRoute,
  }),
  queryFreeRoute({
    method: 'GET',
    path: '/problems',
    operation: {
      operationId: 'problemTypes',
      summary: 'Every problem type, as a page for people',
      tag: 'documentation',
    },
    answers: {
      '200': textAnswer('An HTML page linking the page of each problem type.', ['text/html']),
      '304': notModified,
    },
    problems: {},
    handle: () => problemIndexRoute,
  }),
  queryFreeRoute({
    method: 'GET',
    path: '/problems/{name}',
    operation: {
      operationId: 'problemType',
      summary: 'What a problem type means: where its `type` URI leads',
      tag: 'documentation',
    },
    answers: {
      '200': textAnswer(
        'An HTML page: the problem’s status, title and when it is answered, from the catalog.',
        ['text/html'],
      ),
      '304': notModified,
    },
    problems: { 404: ['notFound'] },
    handle: () => problemPageRoute,
  }),
];

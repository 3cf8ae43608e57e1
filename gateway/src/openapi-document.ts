import {
  API_BODY_LIMIT,
  createUserSchema,
  PROBLEM_TYPES,
  type QueryValidator,
  updateUserSchema,
  USER_EVENT_TYPES,
  USER_ID_PATTERN,
} from '@user-service/common';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency-key';
import { DEFAULT_LIMIT, QUERIES } from './query-schemas';

// The gateway's API as an OpenAPI 3.1 document. Body, path and query schemas are the very objects
// the routes validate with (validation.ts, query-schemas.ts), so the two cannot say different
// things; what the schemas cannot say (trimming, defaults, rules across fields) is in the words.

export type SchemaObject = Readonly<Record<string, unknown>>;

export interface HeaderObject {
  readonly description: string;
  readonly required?: boolean;
  readonly schema: SchemaObject;
}

export interface MediaTypeObject {
  readonly schema: SchemaObject;
}

export interface ResponseObject {
  readonly description: string;
  readonly headers?: Readonly<Record<string, HeaderObject>>;
  readonly content?: Readonly<Record<string, MediaTypeObject>>;
}

export interface ParameterObject {
  readonly name: string;
  readonly in: 'path' | 'query' | 'header';
  readonly description: string;
  readonly required?: boolean;
  readonly schema: SchemaObject;
}

export interface RequestBodyObject {
  readonly description: string;
  readonly required: boolean;
  readonly content: Readonly<Record<string, MediaTypeObject>>;
}

export interface OperationObject {
  readonly operationId: string;
  readonly summary: string;
  readonly description?: string;
  readonly tags: readonly string[];
  readonly parameters: readonly ParameterObject[];
  readonly requestBody?: RequestBodyObject;
  readonly responses: Readonly<Record<string, ResponseObject>>;
}

export const HTTP_METHODS = ['get', 'put', 'post', 'delete'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export type PathItemObject = { readonly description?: string } & {
  readonly [method in HttpMethod]?: OperationObject;
};

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly tags: readonly { readonly name: string; readonly description: string }[];
  readonly paths: Readonly<Record<string, PathItemObject>>;
  readonly components: {
    readonly schemas: Readonly<Record<string, SchemaObject>>;
    readonly responses: Readonly<Record<string, ResponseObject>>;
  };
}

type ProblemKey = keyof typeof PROBLEM_TYPES;
type ProblemAnswers = Readonly<Partial<Record<number, readonly ProblemKey[]>>>;

const JSON_TYPE = 'application/json';
const PROBLEM_JSON_TYPE = 'application/problem+json';

/** `validationError` → `ValidationErrorProblem`: the component schema of one catalog type. */
function problemSchemaName(key: string): string {
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}Problem`;
}

const schemaRef = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

// Response headers, each declared on every answer that can carry it.

const REQUEST_ID: HeaderObject = {
  description:
    'The request’s id: the `X-Request-Id` the client sent when it is 1 to 128 of `A-Z a-z 0-9 . _ : -`, else a new UUID. Logged with the request and kept in the events it stores.',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
};
const ETAG: HeaderObject = {
  description:
    'The user’s version as an entity tag, `"<version>"`: send it in `If-Match` to write only over that version, or in `If-None-Match` to be answered 304 while it is current.',
  required: true,
  schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' },
};
const LOCATION: HeaderObject = {
  description: 'Where the new user is read: `/api/user/{id}`.',
  required: true,
  schema: { type: 'string', pattern: `^/api/user/${USER_ID_PATTERN.slice(1)}` },
};
const LINK_NEXT: HeaderObject = {
  description:
    'Only when more match: `<url>; rel="next"`, the next page, a URL relative to this host with the same path and parameters and `after` set past this page (for lists, without `offset`).',
  schema: { type: 'string', pattern: '^<[^>]+>; rel="next"$' },
};
const CONSISTENCY: HeaderObject = {
  description:
    '`exact` when every aggregator answered, having applied every write this gateway acknowledged before the request; `snapshot` when the partitions of an aggregator that could not answer were read from their last snapshot instead.',
  required: true,
  schema: { type: 'string', enum: ['exact', 'snapshot'] },
};
const IDEMPOTENT_REPLAYED: HeaderObject = {
  description:
    'Only on the answer to a retry: `true` when this answer is the one remembered for an earlier request with the same `Idempotency-Key` (same status, body, `ETag` and `Location`), and nothing was written this time.',
  schema: { type: 'string', enum: ['true'] },
};
const retryAfter = (required: boolean, description: string): HeaderObject => ({
  description,
  required,
  schema: { type: 'string', pattern: '^[0-9]+$' },
});
const ALLOW: HeaderObject = {
  description: 'The methods the path takes, such as `GET, PUT, DELETE`.',
  required: true,
  schema: { type: 'string', pattern: '^[A-Z]+(, [A-Z]+)*$' },
};

// Request headers. Written out in each operation rather than referenced: the official OpenAPI
// 3.1 schema of 2021-04-15 wants a Reference Object's `$ref` to be an absolute URI.

const HEADER_PARAMETERS = {
  RequestId: {
    name: 'X-Request-Id',
    in: 'header',
    description:
      'An id of the client’s own for this request, kept when it is 1 to 128 of `A-Z a-z 0-9 . _ : -` (anything else is replaced by a new UUID, never refused). Answered back in `X-Request-Id`.',
    schema: { type: 'string' },
  },
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    description:
      'Write only if the user is at this version: one ETag as handed out, such as `"3"`, else 412 `version-mismatch`. `*`, or no header, writes over whatever version is current (a lost race is then decided again on the latest). Anything else is 400 `bad-if-match`.',
    schema: { type: 'string', pattern: '^("[0-9]{1,15}"|\\*)$' },
  },
  IfNoneMatch: {
    name: 'If-None-Match',
    in: 'header',
    description:
      'ETags separated by commas (`W/` tags compare weakly, empty elements are ignored), or `*`: when one names the version about to be sent (`*`: any), the answer is 304 with the `ETag` and no body. A well-formed tag that was never handed out just does not match; a malformed header is 400 `bad-if-none-match`.',
    schema: { type: 'string' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description: [
      'Makes the write safe to retry: 1 to 255 characters from `!` to `~` (a UUID is a good one), else 400 `bad-idempotency-key`.',
      'The first request with a key is carried out once; its outcome (2xx or 4xx, not 5xx) is remembered for `IDEMPOTENCY_TTL_HOURS` (24 by default), across gateways and restarts.',
      'A retry (the same key, method, path — `/api/users` and a trailing slash aside — and JSON body) gets that answer again (same status, body, `ETag` and `Location`) with `Idempotent-Replayed: true`, and writes nothing.',
      'The key with another request: 422 `idempotency-key-reused`. Any request with the key while the first is still being carried out: 409 `idempotency-key-in-flight` with `Retry-After: 1`.',
      'After a 5xx, retry with the same key: whatever the failed attempt stored is found, not stored twice (a create without an `id` gets an id derived from the key).',
    ].join(' '),
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  },
} as const satisfies Record<string, ParameterObject>;

const WRITE_HEADERS: readonly ParameterObject[] = [
  HEADER_PARAMETERS.RequestId,
  HEADER_PARAMETERS.IdempotencyKey,
];

// Problems: one schema per catalog type, and per answer the types it can be.

/** Answers of a write that are remembered, so a retry with the same key can be given them again. */
const REPLAYABLE: ReadonlySet<ProblemKey> = new Set<ProblemKey>([
  'validationError',
  'badIfMatch',
  'userNotFound',
  'userExists',
  'emailTaken',
  'versionMismatch',
]);
/** Types whose body always lists `errors`. */
const WITH_ERRORS: ReadonlySet<ProblemKey> = new Set<ProblemKey>(['validationError', 'emailTaken']);

function problemSchemas(): Record<string, SchemaObject> {
  const schemas: Record<string, SchemaObject> = {
    Problem: {
      type: 'object',
      description:
        'An RFC 9457 problem: every error the API answers, as `application/problem+json`. `type` tells problems apart; `errors` names each field at fault.',
      required: ['type', 'title', 'status', 'detail'],
      additionalProperties: false,
      properties: {
        type: { type: 'string', enum: Object.values(PROBLEM_TYPES).map((problem) => problem.type) },
        title: { type: 'string' },
        status: { type: 'integer', minimum: 400, maximum: 599 },
        detail: { type: 'string' },
        errors: { type: 'array', items: schemaRef('FieldError') },
      },
    },
    FieldError: {
      type: 'object',
      description:
        'One mistake: `field` is a body field, `id`, a query parameter’s name, or `body` for the body as a whole.',
      required: ['field', 'message'],
      additionalProperties: false,
      properties: { field: { type: 'string' }, message: { type: 'string' } },
    },
  };
  for (const [key, problem] of Object.entries(PROBLEM_TYPES)) {
    const name = problemSchemaName(key);
    schemas[name] = {
      type: 'object',
      description: `\`${problem.type}\`: ${problem.when}.`,
      allOf: [schemaRef('Problem')],
      properties: {
        type: { const: problem.type },
        title: { const: problem.title },
        // A 4xx that express or its body parser chose keeps its status under this one type.
        status:
          key === 'badRequest'
            ? { type: 'integer', minimum: 400, maximum: 499 }
            : { const: problem.status },
        ...(WITH_ERRORS.has(key as ProblemKey) ? { errors: { type: 'array' } } : {}),
      },
      ...(WITH_ERRORS.has(key as ProblemKey) ? { required: ['errors'] } : {}),
    };
  }
  return schemas;
}

function problemResponse(status: number, keys: readonly ProblemKey[], write: boolean) {
  const refs = keys.map((key) => schemaRef(problemSchemaName(key)));
  const headers: Record<string, HeaderObject> = { 'X-Request-Id': REQUEST_ID };
  if (status === 503)
    headers['Retry-After'] = retryAfter(true, 'Seconds to wait before trying again.');
  if (keys.includes('idempotencyKeyInFlight'))
    headers['Retry-After'] = retryAfter(false, 'With `idempotency-key-in-flight`: `1`.');
  if (write && keys.some((key) => REPLAYABLE.has(key)))
    headers['Idempotent-Replayed'] = IDEMPOTENT_REPLAYED;
  const response: ResponseObject = {
    description: keys
      .map((key) => `- \`${PROBLEM_TYPES[key].type}\`: ${PROBLEM_TYPES[key].when}`)
      .join('\n'),
    headers,
    content: {
      [PROBLEM_JSON_TYPE]: { schema: refs.length === 1 && refs[0] ? refs[0] : { oneOf: refs } },
    },
  };
  return response;
}

function problemResponses(answers: ProblemAnswers, write = false): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {};
  for (const [status, keys] of Object.entries(answers)) {
    if (keys) responses[status] = problemResponse(Number(status), keys, write);
  }
  return responses;
}

// Success answers.

function jsonAnswer(
  description: string,
  schema: SchemaObject,
  headers: Record<string, HeaderObject> = {},
): ResponseObject {
  return {
    description,
    headers: { 'X-Request-Id': REQUEST_ID, ...headers },
    content: { [JSON_TYPE]: { schema } },
  };
}

function textAnswer(description: string, mediaTypes: readonly string[]): ResponseObject {
  return {
    description,
    headers: { 'X-Request-Id': REQUEST_ID },
    content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: { type: 'string' } }])),
  };
}

// Parameters.

const ID_IN_PATH: ParameterObject = {
  name: 'id',
  in: 'path',
  required: true,
  description:
    'The user’s id: 1 to 64 of `A-Z a-z 0-9 _ -`; `count` is a route, not an id. Another is 400 `validation-error` on `id`; a path that does not decode (bad percent-encoding) is 400 `bad-request`.',
  schema: createUserSchema.properties.id,
};

/** Per route, what each query parameter means beyond its schema. */
type Meanings = Readonly<Record<string, string>>;

/** The query parameters a route validates with, its very schemas, and what each means. */
function queryParameters(validator: QueryValidator, meanings: Meanings = {}): ParameterObject[] {
  return Object.entries(validator.parameters).map(([name, parameter]) => ({
    name,
    in: 'query',
    required: false,
    description:
      `${meanings[name] ?? ''} Must be ${parameter.expected}, given at most once.`.trim(),
    schema: parameter.schema,
  }));
}

// Operations.

const INTERNAL: ProblemAnswers = { 500: ['internalError'] };
const READ_FAILURES: ProblemAnswers = { ...INTERNAL, 503: ['storeUnavailable'] };
const WRITE_FAILURES: ProblemAnswers = {
  413: ['bodyTooLarge'],
  415: ['unsupportedMediaType'],
  422: ['idempotencyKeyReused'],
  ...INTERNAL,
  503: ['storeUnavailable', 'contention', 'userUnreadable'],
};
const BODY_PROBLEMS: readonly ProblemKey[] = [
  'validationError',
  'malformedJson',
  'badIdempotencyKey',
  'badRequest',
];

const NO_QUERY = 'Takes no query parameters: one sent by mistake is 400 `validation-error`.';

const USER_BODY_RULES = [
  '`name` is trimmed before it is checked (1 to 200 characters after trimming) and is stored trimmed.',
  '`email` is checked by ajv-formats’ `email` format (a practical subset of RFC 5321 addresses), at most 254 characters, and no other live user may hold it (compared case-insensitively): 409 `email-taken`.',
  '`group` is an integer from 0 to 2147483647. Any other key is refused, and so is a body that is not a JSON object.',
  `The body is JSON (\`Content-Type: application/json\`, UTF-8) of at most ${API_BODY_LIMIT.replace('kb', ' KiB')}: else 415 or 413.`,
].join(' ');

/** A write's answer: its user, or in a replay of an erased user's answer, that user erased. */
const WRITTEN_USER: SchemaObject = {
  oneOf: [schemaRef('User'), schemaRef('ErasedUser')],
};

function createUser(): OperationObject {
  return {
    operationId: 'createUser',
    summary: 'Create a user',
    description: NO_QUERY,
    tags: ['users'],
    parameters: [...queryParameters(QUERIES.none), ...WRITE_HEADERS],
    requestBody: {
      description: `The new user. \`id\` is optional: without one the server makes a UUID (derived from the \`Idempotency-Key\` when one is sent). A deleted id may be created again; its versions go on counting. ${USER_BODY_RULES}`,
      required: true,
      content: { [JSON_TYPE]: { schema: schemaRef('CreateUser') } },
    },
    responses: {
      '201': jsonAnswer('Created: the user as stored.', WRITTEN_USER, {
        Location: LOCATION,
        ETag: ETAG,
        'Idempotent-Replayed': IDEMPOTENT_REPLAYED,
      }),
      ...problemResponses(
        {
          400: BODY_PROBLEMS,
          409: ['userExists', 'emailTaken', 'idempotencyKeyInFlight'],
          ...WRITE_FAILURES,
        },
        true,
      ),
    },
  };
}

function updateUser(byPath: boolean): OperationObject {
  const idRule = byPath
    ? '`id` may be left out: it is the one in the path; given, it must be the same (else 400 `validation-error` on `id`).'
    : '`id` names the user.';
  return {
    operationId: byPath ? 'updateUserById' : 'updateUser',
    summary: byPath ? 'Update a user named in the path' : 'Update a user named in the body',
    description: NO_QUERY,
    tags: ['users'],
    parameters: [
      ...(byPath ? [ID_IN_PATH] : []),
      ...queryParameters(QUERIES.none),
      HEADER_PARAMETERS.IfMatch,
      ...WRITE_HEADERS,
    ],
    requestBody: {
      description: `The fields to change, at least one of \`name\`, \`email\` and \`group\`; the others keep their values. ${idRule} ${USER_BODY_RULES}`,
      required: true,
      content: {
        [JSON_TYPE]: {
          schema: byPath
            ? {
                type: 'object',
                properties: updateUserSchema.properties,
                additionalProperties: false,
              }
            : schemaRef('UpdateUser'),
        },
      },
    },
    responses: {
      '200': jsonAnswer('The whole user after the update, with its new version.', WRITTEN_USER, {
        ETag: ETAG,
        'Idempotent-Replayed': IDEMPOTENT_REPLAYED,
      }),
      ...problemResponses(
        {
          400: [...BODY_PROBLEMS, 'badIfMatch'],
          404: ['userNotFound'],
          409: ['emailTaken', 'idempotencyKeyInFlight'],
          412: ['versionMismatch'],
          ...WRITE_FAILURES,
        },
        true,
      ),
    },
  };
}

function getUser(): OperationObject {
  return {
    operationId: 'getUser',
    summary: 'Read a user, as it is now or as it was',
    description:
      'Now: read from the aggregator owning the user, which has applied every write this gateway made to it, else folded from the store. As of `version` or `at`: folded from the user’s events, so exact.',
    tags: ['users'],
    parameters: [
      ID_IN_PATH,
      ...queryParameters(QUERIES.user, {
        version:
          'The user right after its event of this version (the `ETag` it had then). Not together with `at`.',
        at: 'The user right after its last event at or before this RFC 3339 time (any offset, `t` and `z` in either case; a leap second is refused). Not together with `version`.',
      }),
      HEADER_PARAMETERS.IfNoneMatch,
      HEADER_PARAMETERS.RequestId,
    ],
    responses: {
      '200': jsonAnswer('The user, and its version as `ETag`.', schemaRef('User'), {
        ETag: ETAG,
      }),
      '304': {
        description: '`If-None-Match` names the version that would be sent: no body.',
        headers: { 'X-Request-Id': REQUEST_ID, ETag: ETAG },
      },
      ...problemResponses({
        400: ['validationError', 'badIfNoneMatch', 'badRequest'],
        404: ['userNotFound'],
        410: ['personalDataErased'],
        ...INTERNAL,
        503: ['storeUnavailable', 'userUnreadable'],
      }),
    },
  };
}

function erasePersonalData(): OperationObject {
  return {
    operationId: 'erasePersonalData',
    summary: 'Erase a person: the personal data of every event ever stored for the id',
    description: `Destroys the id’s data key, which makes its name and email unreadable everywhere they are stored, and appends a \`UserErased\` event holding no personal data. A live user is deleted by it. Afterwards the id reads as unknown (404), lists and counts leave it out, its history keeps every event with \`name\` and \`email\` null, an as-of read of a version at which it was live is 410 \`personal-data-erased\`, and its email is free. The id may be created again: a new person, with a new key. Erasing again answers 204 and appends nothing. ${NO_QUERY}`,
    tags: ['users'],
    parameters: [ID_IN_PATH, ...queryParameters(QUERIES.none), ...WRITE_HEADERS],
    responses: {
      '204': {
        description: 'Erased (now, or before): no body.',
        headers: { 'X-Request-Id': REQUEST_ID, 'Idempotent-Replayed': IDEMPOTENT_REPLAYED },
      },
      ...problemResponses(
        {
          400: ['validationError', 'badIdempotencyKey', 'badRequest'],
          404: ['userNotFound'],
          409: ['idempotencyKeyInFlight'],
          422: ['idempotencyKeyReused'],
          ...INTERNAL,
          503: ['storeUnavailable', 'contention', 'userUnreadable'],
        },
        true,
      ),
    },
  };
}

function deleteUser(): OperationObject {
  return {
    operationId: 'deleteUser',
    summary: 'Delete a user',
    description: `The id then reads as unknown (404) and its email is free again; its history stays, and the id may be created again. ${NO_QUERY}`,
    tags: ['users'],
    parameters: [
      ID_IN_PATH,
      ...queryParameters(QUERIES.none),
      HEADER_PARAMETERS.IfMatch,
      ...WRITE_HEADERS,
    ],
    responses: {
      '204': {
        description: 'Deleted: no body.',
        headers: { 'X-Request-Id': REQUEST_ID, 'Idempotent-Replayed': IDEMPOTENT_REPLAYED },
      },
      ...problemResponses(
        {
          400: ['validationError', 'badIfMatch', 'badIdempotencyKey', 'badRequest'],
          404: ['userNotFound'],
          409: ['idempotencyKeyInFlight'],
          412: ['versionMismatch'],
          422: ['idempotencyKeyReused'],
          ...INTERNAL,
          503: ['storeUnavailable', 'contention', 'userUnreadable'],
        },
        true,
      ),
    },
  };
}

function listUsers(): OperationObject {
  return {
    operationId: 'listUsers',
    summary: 'List live users',
    description:
      'Live users in id order (UTF-16 code units), a page at a time. Follow `Link` for the next page: it uses `after`, which reaches any depth at the same cost.',
    tags: ['lists and statistics'],
    parameters: [
      ...queryParameters(QUERIES.list, {
        group: 'Only the users of this group.',
        limit: `At most this many users (default ${DEFAULT_LIMIT}).`,
        after: 'Only the users whose id comes after this one.',
        offset: 'Skip this many users first (default 0).',
      }),
      HEADER_PARAMETERS.RequestId,
    ],
    responses: {
      '200': jsonAnswer(
        'A page of live users.',
        { type: 'array', items: schemaRef('User') },
        { Link: LINK_NEXT, 'X-Consistency': CONSISTENCY },
      ),
      ...problemResponses({ 400: ['validationError'], ...READ_FAILURES }),
    },
  };
}

function countUsers(): OperationObject {
  return {
    operationId: 'countUsers',
    summary: 'Count live users',
    tags: ['lists and statistics'],
    parameters: [
      ...queryParameters(QUERIES.count, { group: 'Only the users of this group.' }),
      HEADER_PARAMETERS.RequestId,
    ],
    responses: {
      '200': jsonAnswer(
        'How many live users there are (of the group).',
        {
          type: 'object',
          required: ['count'],
          additionalProperties: false,
          properties: { count: { type: 'integer', minimum: 0 } },
        },
        { 'X-Consistency': CONSISTENCY },
      ),
      ...problemResponses({ 400: ['validationError'], ...READ_FAILURES }),
    },
  };
}

function listUserEvents(): OperationObject {
  return {
    operationId: 'listUserEvents',
    summary: 'A user’s events, oldest first',
    description:
      'Every event of the id, a deleted user’s included, straight from the log; filtered by type, time and version, a page at a time. `Link` gives the next page when more match.',
    tags: ['history'],
    parameters: [
      ID_IN_PATH,
      ...queryParameters(QUERIES.history, {
        type: 'Only events of these types.',
        from: 'Only events that occurred at or after this RFC 3339 time.',
        to: 'Only events that occurred before this RFC 3339 time.',
        after: 'Only events after this version (default 0).',
        limit: `At most this many events (default ${DEFAULT_LIMIT}).`,
      }),
      HEADER_PARAMETERS.RequestId,
    ],
    responses: {
      '200': jsonAnswer(
        'The events that match, oldest first; `[]` when none of a known id’s does.',
        { type: 'array', items: schemaRef('HistoryEvent') },
        { Link: LINK_NEXT },
      ),
      ...problemResponses({
        400: ['validationError', 'badRequest'],
        404: ['userNotFound'],
        ...READ_FAILURES,
      }),
    },
  };
}

function userStats(): OperationObject {
  return {
    operationId: 'userStats',
    summary: 'Live users in total and per group',
    tags: ['lists and statistics'],
    parameters: [...queryParameters(QUERIES.userStats), HEADER_PARAMETERS.RequestId],
    responses: {
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
      ...problemResponses({ 400: ['validationError'], ...READ_FAILURES }),
    },
  };
}

function eventStats(): OperationObject {
  return {
    operationId: 'eventStats',
    summary: 'Events per UTC day and type',
    description:
      'Counted by the store from the log itself, so exact. Both days are included; the range is at most 366 days, and `from` after `to` is refused (400 `validation-error`).',
    tags: ['lists and statistics'],
    parameters: [
      ...queryParameters(QUERIES.eventStats, {
        from: 'The first UTC day counted (default: 29 days before `to`).',
        to: 'The last UTC day counted (default: today).',
      }),
      HEADER_PARAMETERS.RequestId,
    ],
    responses: {
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
      ...problemResponses({ 400: ['validationError'], ...READ_FAILURES }),
    },
  };
}

function operation(
  operationId: string,
  summary: string,
  tag: string,
  responses: Record<string, ResponseObject>,
  parameters: readonly ParameterObject[] = [],
): OperationObject {
  return {
    operationId,
    summary,
    tags: [tag],
    parameters: [...parameters, HEADER_PARAMETERS.RequestId],
    responses,
  };
}

function healthz(): OperationObject {
  return operation('liveness', 'Liveness: the process answers', 'operations', {
    '200': jsonAnswer('Alive.', {
      type: 'object',
      required: ['status'],
      additionalProperties: false,
      properties: { status: { const: 'alive' } },
    }),
  });
}

function readyz(): OperationObject {
  const readiness = (ready: boolean): SchemaObject => ({
    type: 'object',
    required: ready ? ['ready'] : ['ready', 'reason'],
    additionalProperties: false,
    properties: {
      ready: { const: ready },
      ...(ready ? {} : { reason: { const: 'store-unreachable' } }),
    },
  });
  return operation('readiness', 'Readiness: the store answers a ping', 'operations', {
    '200': jsonAnswer('Ready.', readiness(true)),
    '503': jsonAnswer(
      'Not ready: the store does not answer. A JSON body, not a problem; no `Retry-After`.',
      readiness(false),
    ),
  });
}

function metrics(): OperationObject {
  return operation('metrics', 'Prometheus metrics', 'operations', {
    '200': textAnswer(
      'The Prometheus text format (`text/plain; version=0.0.4`); route labels are templates, never raw ids.',
      ['text/plain'],
    ),
    ...problemResponses({ 404: ['notFound'], ...INTERNAL }),
  });
}

function openApi(): OperationObject {
  return operation('openApiDocument', 'This document', 'documentation', {
    '200': jsonAnswer('The OpenAPI 3.1 document of this API.', {
      type: 'object',
      required: ['openapi', 'info', 'paths'],
      properties: {
        openapi: { const: '3.1.0' },
        info: { type: 'object' },
        paths: { type: 'object' },
      },
    }),
  });
}

function docsPage(): OperationObject {
  return operation('docsPage', 'This document, as a page for people', 'documentation', {
    '200': textAnswer(
      'An HTML page rendering `/openapi.json` with Swagger UI; every file it loads is served by the gateway itself.',
      ['text/html'],
    ),
  });
}

function docsFile(): OperationObject {
  return operation(
    'docsFile',
    'A file of the documentation page',
    'documentation',
    {
      '200': textAnswer('The file.', ['text/css', 'text/javascript', 'image/png']),
      ...problemResponses({ 404: ['notFound'], ...INTERNAL }),
    },
    [
      {
        name: 'file',
        in: 'path',
        required: true,
        description:
          'Swagger UI’s own files (from the swagger-ui-dist package) and the script that starts it, as the page names them; any other is 404 `not-found`.',
        schema: { type: 'string' },
      },
    ],
  );
}

// Data schemas.

function dataSchemas(): Record<string, SchemaObject> {
  const { id, name, email, group } = createUserSchema.properties;
  // Erased, an event's personal fields read null.
  const erasable = (schema: SchemaObject): SchemaObject => ({
    anyOf: [schema, { type: 'null', description: 'Erased.' }],
  });
  const userData = (required: readonly string[]): SchemaObject => ({
    type: 'object',
    properties: { name: erasable(name), email: erasable(email), group },
    required,
    minProperties: 1,
    additionalProperties: false,
  });
  const whenType = (type: string, data: SchemaObject): SchemaObject => ({
    if: { type: 'object', properties: { type: { const: type } } },
    then: { type: 'object', properties: { data } },
  });
  return {
    User: {
      type: 'object',
      description: 'A live user, as stored: its `name` trimmed, its `email` as given.',
      required: ['id', 'name', 'email', 'group'],
      additionalProperties: false,
      properties: { id, name, email, group },
    },
    ErasedUser: {
      type: 'object',
      description:
        'A write’s answer replayed (the same `Idempotency-Key`) after the user’s personal data was erased: `name` and `email` are null.',
      required: ['id', 'name', 'email', 'group'],
      additionalProperties: false,
      properties: { id, name: { type: 'null' }, email: { type: 'null' }, group },
    },
    CreateUser: createUserSchema,
    UpdateUser: updateUserSchema,
    HistoryEvent: {
      type: 'object',
      description:
        'One event of a user. `data` is the user’s fields for `UserCreated`, only the changed ones for `UserUpdated`, `{}` for `UserDeleted` and `UserErased`. Once the user’s personal data is erased, `name` and `email` read `null` in every event before the erasure. An event a newer version of the service wrote may have another `type`, with `data` of its own shape.',
      required: ['eventId', 'type', 'version', 'occurredAt', 'data', 'requestId'],
      additionalProperties: false,
      properties: {
        eventId: { type: 'string' },
        type: { type: 'string', examples: [...USER_EVENT_TYPES] },
        version: { type: 'integer', minimum: 1 },
        occurredAt: { type: 'string', format: 'date-time' },
        data: { type: 'object' },
        requestId: {
          type: ['string', 'null'],
          description:
            'The `X-Request-Id` of the request that wrote it; `null` on events stored before it was kept.',
        },
      },
      allOf: [
        whenType('UserCreated', userData(['name', 'email', 'group'])),
        whenType('UserUpdated', userData([])),
        whenType('UserDeleted', { type: 'object', maxProperties: 0 }),
        whenType('UserErased', { type: 'object', maxProperties: 0 }),
      ],
    },
  };
}

const ANSWERS_ANY_METHOD = 'Answers any method alike.';
const ONLY_GET = 'Any other method: 405 `method-not-allowed` with `Allow: GET`.';
const ONLY_GET_404 = 'Any other method: 404 `not-found`.';

const INFO_DESCRIPTION = [
  'A REST API over one entity, `User { id, name, email, group }`, event-sourced: a write appends an immutable event; reads are served by the aggregators that fold them, or folded from the store.',
  '',
  '- **Paths.** Every path under `/api/user` also answers under `/api/users` (an alias, the same API), and every path with a trailing slash too. Every GET also answers HEAD, without the body.',
  '- **Request ids.** Every answer carries `X-Request-Id`: the client’s own when it sent a sensible one, else a new UUID.',
  '- **Problems.** Every error is `application/problem+json` (RFC 9457). Each type of the catalog is a schema under `components/schemas` (`…Problem`), and `Problem.type` lists them all; each operation lists the types each of its statuses can be. `unauthorized`, `version-not-applied` and `not-ready` belong to the aggregators’ internal API and never reach a client of the gateway. A 500 `internal-error` is a fault of ours, never caused by what a client sends.',
  '- **No route.** A path no route takes answers 404 `not-found` (`components/responses/RouteNotFound`); a path that does not take the method answers 405 `method-not-allowed` with `Allow` (`components/responses/MethodNotAllowed`), as each path says.',
  '- **Query parameters** are validated like bodies: a malformed or out-of-range value, one given twice, or one the route does not take is 400 `validation-error`, whose `errors` name the parameter as `field`. Integers are plain decimals.',
  '- **Retrying writes.** Every write takes an `Idempotency-Key`: retried with the same key after a timeout or a 5xx, it is carried out once, and every retry gets the first answer again.',
  '- **Lists, counts and statistics of users** say in `X-Consistency` whether they are exact.',
].join('\n');

/** The OpenAPI 3.1 document of every route of the gateway. */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: { title: 'User service', version: '0.1.0', description: INFO_DESCRIPTION },
    tags: [
      { name: 'users', description: 'Create, read, update and delete one user.' },
      { name: 'history', description: 'A user’s events.' },
      { name: 'lists and statistics', description: 'Live users and events, many at a time.' },
      { name: 'operations', description: 'For probes and Prometheus.' },
      { name: 'documentation', description: 'This document, for machines and people.' },
    ],
    paths: {
      '/api/user': {
        description: 'Other methods: 405 `method-not-allowed` with `Allow: GET, POST, PUT`.',
        get: listUsers(),
        post: createUser(),
        put: updateUser(false),
      },
      '/api/user/count': {
        description:
          'Under `/api/user/{id}` too, with the id `count`, which is refused: PUT and DELETE answer 400 `validation-error` on `id`; any other method, 405 with `Allow: GET, PUT, DELETE`.',
        get: countUsers(),
      },
      '/api/user/{id}': {
        description: 'Other methods: 405 `method-not-allowed` with `Allow: GET, PUT, DELETE`.',
        get: getUser(),
        put: updateUser(true),
        delete: deleteUser(),
      },
      '/api/user/{id}/events': { description: ONLY_GET, get: listUserEvents() },
      '/api/user/{id}/personal-data': {
        description: 'Other methods: 405 `method-not-allowed` with `Allow: DELETE`.',
        delete: erasePersonalData(),
      },
      '/api/stats/users': { description: ONLY_GET, get: userStats() },
      '/api/stats/events': { description: ONLY_GET, get: eventStats() },
      '/healthz': { description: ONLY_GET_404, get: healthz() },
      '/readyz': { description: ONLY_GET_404, get: readyz() },
      '/metrics': {
        description: `${ANSWERS_ANY_METHOD} Only the bare path: with a query string it is 404 \`not-found\`.`,
        get: metrics(),
      },
      '/openapi.json': { description: ONLY_GET, get: openApi() },
      '/docs': { description: ONLY_GET, get: docsPage() },
      '/docs/{file}': { description: ONLY_GET, get: docsFile() },
    },
    components: {
      schemas: { ...dataSchemas(), ...problemSchemas() },
      responses: {
        RouteNotFound: problemResponse(404, ['notFound'], false),
        MethodNotAllowed: {
          ...problemResponse(405, ['methodNotAllowed'], false),
          headers: { 'X-Request-Id': REQUEST_ID, Allow: ALLOW },
        },
      },
    },
  };
}

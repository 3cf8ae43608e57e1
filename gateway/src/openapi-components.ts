import { API_BODY_LIMIT, PROBLEM_TYPES, type QueryValidator } from '@user-service/common/http';
import {
  createUserSchema,
  updateUserSchema,
  USER_EVENT_TYPES,
  USER_ID_PATTERN,
} from '@user-service/common/domain';
import { IDEMPOTENCY_KEY_PATTERN } from './idempotency-key';
import type {
  HeaderObject,
  ParameterObject,
  ProblemAnswers,
  ProblemKey,
  ResponseObject,
  SchemaObject,
} from './openapi-types';

// The declarative parts of the gateway's OpenAPI document: headers, parameters, problem and data
// schemas, answers. Body, path and query schemas are the very objects the routes validate with
// (validation.ts, query-schemas.ts), so the two cannot say different things; what the schemas
// cannot say (trimming, rules across fields) is in the words. The route table (gateway-routes.ts)
// puts them together into operations.

export const JSON_TYPE = 'application/json';
export { MERGE_PATCH_TYPE } from './merge-patch';
const PROBLEM_JSON_TYPE = 'application/problem+json';

/** `validationError` → `ValidationErrorProblem`: the component schema of one catalog type. */
function problemSchemaName(key: string): string {
  return `${key.charAt(0).toUpperCase()}${key.slice(1)}Problem`;
}

export const schemaRef = (name: string): SchemaObject => ({ $ref: `#/components/schemas/${name}` });

// Response headers, each declared on every answer that can carry it.

export const REQUEST_ID: HeaderObject = {
  description:
    'The request’s id: the `X-Request-Id` the client sent when it is 1 to 128 of `A-Z a-z 0-9 . _ : -`, else a new UUID. Logged with the request and kept in the events it stores.',
  required: true,
  schema: { type: 'string', pattern: '^[A-Za-z0-9._:-]{1,128}$' },
};
export const ETAG: HeaderObject = {
  description:
    'The user’s version as an entity tag, `"<version>"`: send it in `If-Match` to write only over that version, or in `If-None-Match` to be answered 304 while it is current.',
  required: true,
  schema: { type: 'string', pattern: '^"[1-9][0-9]*"$' },
};
export const LOCATION: HeaderObject = {
  description: 'Where the new user is read: `/api/user/{id}`.',
  required: true,
  schema: { type: 'string', pattern: `^/api/user/${USER_ID_PATTERN.slice(1)}` },
};
export const REBUILD_LOCATION: HeaderObject = {
  description:
    'Where the rebuild’s status is read: `/admin/projections/users/rebuilds/{rebuildId}`.',
  required: true,
  schema: { type: 'string', pattern: '^/admin/projections/users/rebuilds/[^/]+$' },
};
export const LINK_NEXT: HeaderObject = {
  description:
    'Only when more match: `<url>; rel="next"`, the next page, a URL relative to this host with the same path and parameters and `after` set past this page (for lists, without `offset`).',
  schema: { type: 'string', pattern: '^<[^>]+>; rel="next"$' },
};
export const CONSISTENCY: HeaderObject = {
  description:
    '`exact` when every partition’s owner answered, having applied every write this gateway acknowledged before the request and every write the request’s `X-Consistency-Token` names; `snapshot` when the partitions of an aggregator that could not answer were read from their last snapshot instead; `partial` (lists only) when some users that match could not be opened by this service (a key its master keys do not unwrap, a damaged value) and are left out of the page (counts still count them).',
  required: true,
  schema: { type: 'string', enum: ['exact', 'snapshot', 'partial'] },
};
export const CONSISTENCY_TOKEN: HeaderObject = {
  description:
    'Read-your-writes through any gateway: send this value back in `X-Consistency-Token` on later requests (reads, lists, counts and writes alike), and they are answered no older than this write, whichever gateway takes them. It names, per partition written, the commit position of the client’s latest write there; a write that carries one answers the two merged, so keep the latest. Opaque: `ct1.` and base64url. Absent when nothing was written (a write that changed nothing, or an answer replayed for an `Idempotency-Key`).',
  required: false,
  schema: { type: 'string', pattern: '^ct1\\.[A-Za-z0-9_-]+$' },
};
export const IDEMPOTENT_REPLAYED: HeaderObject = {
  description:
    'Only on the answer to a retry: `true` when this answer is the one remembered for an earlier request with the same `Idempotency-Key` (same status, body, `ETag` and `Location`), and nothing was written this time.',
  schema: { type: 'string', enum: ['true'] },
};
export const retryAfter = (required: boolean, description: string): HeaderObject => ({
  description,
  required,
  schema: { type: 'string', pattern: '^[0-9]+$' },
});
/** The challenge of a 401 or 403 for an access token (RFC 6750 §3). */
const WWW_AUTHENTICATE: HeaderObject = {
  description:
    'A Bearer challenge: `Bearer realm="user-service"`, with `error="invalid_token"` when a token was sent and refused, or `error="insufficient_scope", scope="…"` naming the scope the route needs.',
  required: true,
  schema: { type: 'string', pattern: '^Bearer realm="user-service"' },
};
export const ALLOW: HeaderObject = {
  description: 'The methods the path takes, such as `GET, PUT, DELETE`.',
  required: true,
  schema: { type: 'string', pattern: '^[A-Z]+(, [A-Z]+)*$' },
};

// Request headers. Written out in each operation rather than referenced: the official OpenAPI
// 3.1 schema of 2021-04-15 wants a Reference Object's `$ref` to be an absolute URI.

export const HEADER_PARAMETERS = {
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
      'Write only if the user is at one of these versions: entity tags separated by commas, such as `"3"`, compared strongly (RFC 9110 §8.8.3.2: a `W/` tag never matches, and `"003"` is not `"3"`), else 412 `version-mismatch`; a 404 wins over it. `*` holds for any version; without the header, a write goes over whatever version is current (a lost race is then decided again on the latest). A value that is neither `*` nor a list of entity tags is 400 `bad-if-match`. Intermediaries must not weaken the `ETag` (user reads are sent `no-transform`).',
    schema: { type: 'string' },
  },
  IfNoneMatch: {
    name: 'If-None-Match',
    in: 'header',
    description:
      'ETags separated by commas (`W/` tags compare weakly, empty elements are ignored), or `*`: when one names the version about to be sent (`*`: any), the answer is 304 with the `ETag` and no body. A well-formed tag that was never handed out just does not match; a malformed header is 400 `bad-if-none-match`.',
    schema: { type: 'string' },
  },
  IfMatchOnRead: {
    name: 'If-Match',
    in: 'header',
    description:
      'Entity tags separated by commas, or `*`: when none names the version about to be sent (strong comparison), 412 `version-mismatch`. Evaluated before `If-None-Match` (RFC 9110 §13.2.2).',
    schema: { type: 'string' },
  },
  IfNoneMatchOnWrite: {
    name: 'If-None-Match',
    in: 'header',
    description:
      'Write only if the user is not at one of these versions (weak comparison), or with `*` only if the user does not exist, else 412 `version-mismatch`. Evaluated after `If-Match`. On `POST /api/user` the target is the collection, which always exists: `*` is always 412 there.',
    schema: { type: 'string' },
  },
  ConsistencyToken: {
    name: 'X-Consistency-Token',
    in: 'header',
    description:
      'The latest `X-Consistency-Token` a write answered this client, sent back unchanged: the answer is then no older than that write (and every write before it the token carries), whichever gateway takes the request. A token this service cannot have made is 400 `invalid-consistency-token`; one from another deployment (another database) is 400 `foreign-consistency-token`: drop it.',
    schema: { type: 'string' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    description: [
      'Makes the write safe to retry. A structured-field string as the IETF draft defines the field (`"8e03978e-40d5"`, RFC 8941; spaces allowed), or, as earlier clients send it, the bare key of characters from `!` to `~` without `"`: `"k"` and `k` are the same key, `k`. The key is 1 to 255 characters (a UUID is a good one); anything else is 400 `bad-idempotency-key`.',
      'The first request with a key is carried out once; its outcome (2xx or 4xx, not 5xx) is remembered for `IDEMPOTENCY_TTL_HOURS` (24 by default), across gateways and restarts.',
      'A retry (the same key, method, path — `/api/users` and a trailing slash aside —, `If-Match` and `If-None-Match` as conditions, and JSON body) gets that answer again (same status, body, `ETag` and `Location`) with `Idempotent-Replayed: true`, and writes nothing.',
      'The key with another request: 422 `idempotency-key-reused`. Any request with the key while the first is still being carried out: 409 `idempotency-key-in-flight` with `Retry-After: 1`.',
      'After a 5xx, retry with the same key: whatever the failed attempt stored is found, not stored twice (a create without an `id` gets an id derived from the key).',
    ].join(' '),
    schema: { type: 'string', pattern: IDEMPOTENCY_KEY_PATTERN },
  },
} as const satisfies Record<string, ParameterObject>;

export const WRITE_HEADERS: readonly ParameterObject[] = [
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

export function problemSchemas(): Record<string, SchemaObject> {
  const schemas: Record<string, SchemaObject> = {
    Problem: {
      type: 'object',
      description:
        'An RFC 9457 problem: every error the API answers, as `application/problem+json`. `type` tells problems apart: an absolute URI under the deployment’s `PUBLIC_BASE_URL`, ending in `/problems/<name>`, where a page documents the problem; `errors` names each field at fault.',
      required: ['type', 'title', 'status', 'detail'],
      additionalProperties: false,
      properties: {
        type: {
          type: 'string',
          format: 'uri',
          pattern: `^https?://[^?#]*(${Object.values(PROBLEM_TYPES)
            .map((problem) => problem.type)
            .join('|')})$`,
        },
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
        type: { type: 'string', pattern: `^https?://[^?#]*${problem.type}$` },
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

export function problemResponse(status: number, keys: readonly ProblemKey[], write: boolean) {
  const refs = keys.map((key) => schemaRef(problemSchemaName(key)));
  const headers: Record<string, HeaderObject> = { 'X-Request-Id': REQUEST_ID };
  if (status === 503)
    headers['Retry-After'] = retryAfter(true, 'Seconds to wait before trying again.');
  if (keys.includes('bearerTokenRequired') || keys.includes('insufficientScope'))
    headers['WWW-Authenticate'] = WWW_AUTHENTICATE;
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

export function problemResponses(
  answers: ProblemAnswers,
  write = false,
): Record<string, ResponseObject> {
  const responses: Record<string, ResponseObject> = {};
  for (const [status, keys] of Object.entries(answers)) {
    if (keys) responses[status] = problemResponse(Number(status), keys, write);
  }
  return responses;
}

// Success answers.

export function jsonAnswer(
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

export function textAnswer(description: string, mediaTypes: readonly string[]): ResponseObject {
  return {
    description,
    headers: { 'X-Request-Id': REQUEST_ID },
    content: Object.fromEntries(mediaTypes.map((type) => [type, { schema: { type: 'string' } }])),
  };
}

// Parameters.

export const ID_IN_PATH: ParameterObject = {
  name: 'id',
  in: 'path',
  required: true,
  description:
    'The user’s id: 1 to 64 of `A-Z a-z 0-9 _ -`; `count` is a route, not an id. Another is 400 `validation-error` on `id`; a path that does not decode (bad percent-encoding) is 400 `bad-request`.',
  schema: createUserSchema.properties.id,
};

/** `rebuildId` in `/admin/projections/users/rebuilds/{rebuildId}`. */
export const REBUILD_ID_IN_PATH: ParameterObject = {
  name: 'rebuildId',
  in: 'path',
  required: true,
  description:
    'The id a `POST /admin/projections/users/rebuild` answered. Any other is 404 `rebuild-not-found`.',
  schema: { type: 'string', maxLength: 64 },
};

/** `file` in `/docs/{file}`. */
export const FILE_IN_PATH: ParameterObject = {
  name: 'file',
  in: 'path',
  required: true,
  description:
    'Swagger UI’s own files (from the swagger-ui-dist package) and the script that starts it, as the page names them; any other is 404 `not-found`.',
  schema: { type: 'string' },
};

/** Every path parameter a route template may hold, by name: `{id}` is the user's id wherever it is. */
/** `name` in `/problems/{name}`. */
export const PROBLEM_NAME_IN_PATH: ParameterObject = {
  name: 'name',
  in: 'path',
  required: true,
  description:
    'A problem type’s name, the last segment of its `type` URI, such as `user-not-found`; any other is 404 `not-found`.',
  schema: { type: 'string' },
};

export const PATH_PARAMETERS: Readonly<Record<string, ParameterObject>> = {
  id: ID_IN_PATH,
  file: FILE_IN_PATH,
  rebuildId: REBUILD_ID_IN_PATH,
  name: PROBLEM_NAME_IN_PATH,
};

/** Per route, what each query parameter means beyond its schema. */
export type Meanings = Readonly<Record<string, string>>;

/**
 * The query parameters a route validates with, its very schemas, and what each means; a default
 * the schema gives is said in words too.
 */
export function queryParameters(
  validator: QueryValidator,
  meanings: Meanings = {},
): ParameterObject[] {
  return Object.entries(validator.parameters).map(([name, parameter]) => {
    const { default: fallback } = parameter.schema;
    const byDefault = fallback === undefined ? '' : ` Default ${fallback}.`;
    return {
      name,
      in: 'query',
      required: false,
      description:
        `${meanings[name] ?? ''}${byDefault} Must be ${parameter.expected}, given at most once.`.trim(),
      schema: parameter.schema,
    };
  });
}

// What operations share.

export const INTERNAL: ProblemAnswers = { 500: ['internalError'] };
export const READ_FAILURES: ProblemAnswers = { ...INTERNAL, 503: ['storeUnavailable'] };
export const WRITE_FAILURES: ProblemAnswers = {
  413: ['bodyTooLarge'],
  415: ['unsupportedMediaType'],
  422: ['idempotencyKeyReused'],
  ...INTERNAL,
  503: ['storeUnavailable', 'contention', 'userUnreadable'],
};
export const BODY_PROBLEMS: readonly ProblemKey[] = [
  'validationError',
  'malformedJson',
  'badIdempotencyKey',
  'badRequest',
];

export const NO_QUERY = 'Takes no query parameters: one sent by mistake is 400 `validation-error`.';

export const USER_BODY_RULES = [
  '`name` is trimmed before it is checked (1 to 200 characters after trimming) and is stored trimmed.',
  '`email` is checked by ajv-formats’ `email` format (a practical subset of RFC 5321 addresses), at most 254 characters, and no other live user may hold it (compared case-insensitively): 409 `email-taken`.',
  '`group` is an integer from 0 to 2147483647. Any other key is refused, and so is a body that is not a JSON object.',
  `The body is JSON (\`Content-Type: application/json\`, UTF-8) of at most ${API_BODY_LIMIT.replace('kb', ' KiB')}: else 415 or 413.`,
].join(' ');

/** A write's answer: its user, or in a replay of an erased user's answer, that user erased. */
export const WRITTEN_USER: SchemaObject = {
  oneOf: [schemaRef('User'), schemaRef('ErasedUser')],
};

// Data schemas.

export function dataSchemas(): Record<string, SchemaObject> {
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
    RebuildStatus: {
      type: 'object',
      description:
        'A rebuild of the users projection: which generation the partitions are folded into, how many serve it already, and how many events were folded into it so far.',
      required: ['id', 'state', 'generation', 'requestedAt', 'partitions', 'events', 'failures'],
      additionalProperties: false,
      properties: {
        id: { type: 'string' },
        state: { enum: ['running', 'done', 'failed'] },
        generation: { type: 'integer', minimum: 1 },
        requestedAt: { type: 'string', format: 'date-time' },
        partitions: {
          type: 'object',
          required: ['total', 'done', 'failed'],
          additionalProperties: false,
          properties: {
            total: { type: 'integer', minimum: 1 },
            done: { type: 'integer', minimum: 0 },
            failed: { type: 'integer', minimum: 0 },
          },
        },
        events: { type: 'integer', minimum: 0 },
        failures: {
          type: 'array',
          items: {
            type: 'object',
            required: ['partition', 'failure'],
            additionalProperties: false,
            properties: {
              partition: { type: 'integer', minimum: 0 },
              failure: {
                type: 'string',
                description: 'The event it could not fold, by event and user id.',
              },
            },
          },
        },
      },
    },
    HistoryEvent: {
      type: 'object',
      description:
        'One event of a user. `data` is the user’s fields for `UserCreated`, only the changed ones for `UserUpdated`, `{}` for `UserDeleted`, `{ deleted }` for `UserErased` (whether it deleted a live user). Once the user’s personal data is erased, `name` and `email` read `null` in every event before the erasure. An event a newer version of the service wrote may have another `type`, with `data` of its own shape.',
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
        whenType('UserErased', {
          type: 'object',
          required: ['deleted'],
          additionalProperties: false,
          properties: {
            deleted: {
              type: ['boolean', 'null'],
              description:
                'Whether the erasure deleted a live user; `null` on erasures stored before it was recorded.',
            },
          },
        }),
      ],
    },
  };
}

import { type FieldError } from '@user-service/common/domain';
import {
  HttpProblem,
  PROBLEM_TYPES,
  problems,
  USER_UNREADABLE_TYPE,
} from '@user-service/common/http';

interface Expected {
  readonly type: string;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly headers?: Record<string, string>;
  readonly errors?: readonly FieldError[];
}

const fieldErrors: FieldError[] = [
  { field: 'name', message: 'is required' },
  { field: 'group', message: 'must be integer' },
  { field: 'name', message: 'must be a string' },
];

/** What clients and the system suites rely on, word for word: a change here is a change of the API. */
const cases: [string, HttpProblem, Expected][] = [
  [
    'validationError',
    problems.validationError(fieldErrors),
    {
      type: '/problems/validation-error',
      status: 400,
      title: 'The request is not valid',
      detail: 'Invalid: name, group',
      errors: fieldErrors,
    },
  ],
  [
    'malformedJson',
    problems.malformedJson(),
    {
      type: '/problems/malformed-json',
      status: 400,
      title: 'Bad Request',
      detail: 'The body is not valid JSON',
    },
  ],
  [
    'badIfMatch',
    problems.badIfMatch(),
    {
      type: '/problems/bad-if-match',
      status: 400,
      title: 'Bad Request',
      detail: 'If-Match must be ETags such as "3" separated by commas, or *',
    },
  ],
  [
    'badIdempotencyKey',
    problems.badIdempotencyKey(),
    {
      type: '/problems/bad-idempotency-key',
      status: 400,
      title: 'Bad Request',
      detail:
        'Idempotency-Key must be a quoted string such as "k 1", or a bare key of characters from ! to ~; the key 1 to 255 characters',
    },
  ],
  [
    'emailTaken',
    problems.emailTaken(),
    {
      type: '/problems/email-taken',
      status: 409,
      title: 'Conflict',
      detail: 'Another user has this email',
      errors: [{ field: 'email', message: 'is taken by another user' }],
    },
  ],
  [
    'idempotencyKeyInFlight',
    problems.idempotencyKeyInFlight(),
    {
      type: '/problems/idempotency-key-in-flight',
      status: 409,
      title: 'Conflict',
      detail: 'A request with this Idempotency-Key is still being carried out',
      headers: { 'Retry-After': '1' },
    },
  ],
  [
    'idempotencyKeyReused',
    problems.idempotencyKeyReused(),
    {
      type: '/problems/idempotency-key-reused',
      status: 422,
      title: 'Unprocessable Content',
      detail:
        'This Idempotency-Key was used for a different request: use a new key for a new request',
    },
  ],
  [
    'badIfNoneMatch',
    problems.badIfNoneMatch(),
    {
      type: '/problems/bad-if-none-match',
      status: 400,
      title: 'Bad Request',
      detail: 'If-None-Match must be ETags such as "3" separated by commas, or *',
    },
  ],
  [
    'unreadableBody',
    problems.unreadableBody(),
    {
      type: '/problems/bad-request',
      status: 400,
      title: 'Bad Request',
      detail: 'The body could not be read',
    },
  ],
  [
    'unreadableRequest',
    problems.unreadableRequest(),
    {
      type: '/problems/bad-request',
      status: 400,
      title: 'Bad Request',
      detail: 'The request could not be read',
    },
  ],
  [
    'unreadableRequest with the status express chose',
    problems.unreadableRequest(403),
    {
      type: '/problems/bad-request',
      status: 403,
      title: 'Bad Request',
      detail: 'The request could not be read',
    },
  ],
  [
    'unauthorized',
    problems.unauthorized(),
    {
      type: '/problems/unauthorized',
      status: 401,
      title: 'Unauthorized',
      detail: 'This API is for the gateway only',
      headers: { 'WWW-Authenticate': 'Bearer' },
    },
  ],
  [
    'bearerTokenRequired',
    problems.bearerTokenRequired(false),
    {
      type: '/problems/bearer-token-required',
      status: 401,
      title: 'Unauthorized',
      detail: 'Send an access token: Authorization: Bearer <token>',
      headers: { 'WWW-Authenticate': 'Bearer realm="user-service"' },
    },
  ],
  [
    'bearerTokenRequired',
    problems.bearerTokenRequired(true),
    {
      type: '/problems/bearer-token-required',
      status: 401,
      title: 'Unauthorized',
      detail:
        'The access token is not valid here: send a current token from the configured issuer, for this API',
      headers: { 'WWW-Authenticate': 'Bearer realm="user-service", error="invalid_token"' },
    },
  ],
  [
    'insufficientScope',
    problems.insufficientScope('users:erase'),
    {
      type: '/problems/insufficient-scope',
      status: 403,
      title: 'Forbidden',
      detail: 'The access token does not grant users:erase',
      headers: {
        'WWW-Authenticate':
          'Bearer realm="user-service", error="insufficient_scope", scope="users:erase"',
      },
    },
  ],
  [
    'routeNotFound',
    problems.routeNotFound('GET', '/nowhere'),
    {
      type: '/problems/not-found',
      status: 404,
      title: 'Not Found',
      detail: 'No route for GET /nowhere',
    },
  ],
  [
    'userNotFound',
    problems.userNotFound('ann'),
    { type: '/problems/user-not-found', status: 404, title: 'Not Found', detail: 'No user ann' },
  ],
  [
    'rebuildNotFound',
    problems.rebuildNotFound('r-1'),
    {
      type: '/problems/rebuild-not-found',
      status: 404,
      title: 'Not Found',
      detail: 'No rebuild r-1 is the latest',
    },
  ],
  [
    'methodNotAllowed',
    problems.methodNotAllowed('PATCH', 'GET, PUT, DELETE'),
    {
      type: '/problems/method-not-allowed',
      status: 405,
      title: 'Method Not Allowed',
      detail: 'PATCH is not allowed here',
      headers: { Allow: 'GET, PUT, DELETE' },
    },
  ],
  [
    'badHost',
    problems.badHost(),
    {
      type: '/problems/bad-host',
      status: 400,
      title: 'Bad Request',
      detail: 'Send exactly one Host field',
    },
  ],
  [
    'methodNotImplemented',
    problems.methodNotImplemented('PROPFIND'),
    {
      type: '/problems/method-not-implemented',
      status: 501,
      title: 'Not Implemented',
      detail: 'PROPFIND is not a method this service implements',
    },
  ],
  [
    'methodNotImplemented, a method that is not a token',
    problems.methodNotImplemented('<script>'),
    {
      type: '/problems/method-not-implemented',
      status: 501,
      title: 'Not Implemented',
      detail: 'The method is not one this service implements',
    },
  ],
  [
    'userExists',
    problems.userExists('ann'),
    {
      type: '/problems/user-exists',
      status: 409,
      title: 'Conflict',
      detail: 'User ann already exists',
    },
  ],
  [
    'versionNotApplied',
    problems.versionNotApplied(7),
    {
      type: '/problems/version-not-applied',
      status: 409,
      title: 'Conflict',
      detail: 'Version 7 is not applied yet',
    },
  ],
  [
    'positionNotApplied',
    problems.positionNotApplied(),
    {
      type: '/problems/version-not-applied',
      status: 409,
      title: 'Conflict',
      detail: 'The latest writes of the gateway asking are not applied yet',
    },
  ],
  [
    'preconditionFailed on If-Match',
    problems.preconditionFailed({ userId: 'ann', version: 3, field: 'If-Match' }),
    {
      type: '/problems/version-mismatch',
      status: 412,
      title: 'Precondition Failed',
      detail: 'User ann is at version 3, which If-Match does not name as a strong tag',
    },
  ],
  [
    'preconditionFailed on If-None-Match',
    problems.preconditionFailed({ userId: 'ann', version: 3, field: 'If-None-Match' }),
    {
      type: '/problems/version-mismatch',
      status: 412,
      title: 'Precondition Failed',
      detail: 'User ann exists at version 3, which If-None-Match names or matches with *',
    },
  ],
  [
    'collectionPreconditionFailed',
    problems.collectionPreconditionFailed('If-None-Match'),
    {
      type: '/problems/version-mismatch',
      status: 412,
      title: 'Precondition Failed',
      detail: 'The user collection always exists: If-None-Match: * never holds on POST',
    },
  ],
  [
    'contentRangeOnPut',
    problems.contentRangeOnPut(),
    {
      type: '/problems/bad-request',
      status: 400,
      title: 'Bad Request',
      detail: 'PUT takes no Content-Range: it sends a state, not a part of one (RFC 9110 §14.5)',
    },
  ],
  [
    'bodyNotMergePatch',
    problems.bodyNotMergePatch('application/merge-patch+json'),
    {
      type: '/problems/unsupported-media-type',
      status: 415,
      title: 'Unsupported Media Type',
      detail: 'Send the patch as application/merge-patch+json (RFC 7396)',
      headers: { 'Accept-Patch': 'application/merge-patch+json' },
    },
  ],
  [
    'badHost',
    problems.badHost(),
    {
      type: '/problems/bad-host',
      status: 400,
      title: 'Bad Request',
      detail: 'Send exactly one Host field',
    },
  ],
  [
    'methodNotImplemented',
    problems.methodNotImplemented('PROPFIND'),
    {
      type: '/problems/method-not-implemented',
      status: 501,
      title: 'Not Implemented',
      detail: 'PROPFIND is not a method this service implements',
    },
  ],
  [
    'versionMismatch',
    problems.versionMismatch({ userId: 'ann', expectedVersion: 2, actualVersion: 3 }),
    {
      type: '/problems/version-mismatch',
      status: 412,
      title: 'Precondition Failed',
      detail: 'User ann is at version 3, not 2',
    },
  ],
  [
    'personalDataErased',
    problems.personalDataErased('ann'),
    {
      type: '/problems/personal-data-erased',
      status: 410,
      title: 'Gone',
      detail: 'The personal data of user ann has been erased',
    },
  ],
  [
    'bodyTooLarge',
    problems.bodyTooLarge(),
    {
      type: '/problems/body-too-large',
      status: 413,
      title: 'Content Too Large',
      detail: 'The body is larger than allowed',
    },
  ],
  [
    'bodyNotJson',
    problems.bodyNotJson(),
    {
      type: '/problems/unsupported-media-type',
      status: 415,
      title: 'Unsupported Media Type',
      detail: 'Send the body as application/json',
    },
  ],
  [
    'bodyNotUtf8',
    problems.bodyNotUtf8(),
    {
      type: '/problems/unsupported-media-type',
      status: 415,
      title: 'Unsupported Media Type',
      detail: 'Send the body as UTF-8 JSON',
    },
  ],
  [
    'internalError',
    problems.internalError(),
    {
      type: '/problems/internal-error',
      status: 500,
      title: 'Internal Server Error',
      detail: 'Something went wrong on our side',
    },
  ],
  [
    'storeUnavailable',
    problems.storeUnavailable(),
    {
      type: '/problems/store-unavailable',
      status: 503,
      title: 'Service Unavailable',
      detail:
        'The event store did not answer in time. A write may still have been stored: retry it with the same Idempotency-Key, or read the user first',
      headers: { 'Retry-After': '1' },
    },
  ],
  [
    'contention',
    problems.contention(),
    {
      type: '/problems/contention',
      status: 503,
      title: 'Service Unavailable',
      detail: 'Too many concurrent writes to this user',
      headers: { 'Retry-After': '1' },
    },
  ],
  [
    'erasurePending',
    problems.erasurePending(),
    {
      type: '/problems/erasure-pending',
      status: 503,
      title: 'Service Unavailable',
      detail:
        'The erasure is stored, but not yet applied everywhere reads are answered: retry it until it answers 204',
      headers: { 'Retry-After': '1' },
    },
  ],
  [
    'userUnreadable',
    problems.userUnreadable({ userId: 'ann', eventId: 'e7' }),
    {
      type: '/problems/user-unreadable',
      status: 503,
      title: 'Service Unavailable',
      detail:
        'User ann cannot be read: its event e7 is of a kind or shape this version does not know',
      headers: { 'Retry-After': '60' },
    },
  ],
  [
    'notReady',
    problems.notReady(),
    {
      type: '/problems/not-ready',
      status: 503,
      title: 'Service Unavailable',
      detail: 'Not caught up with the store',
    },
  ],
  [
    'notOwner',
    problems.notOwner([3, 7]),
    {
      type: '/problems/not-owner',
      status: 421,
      title: 'Misdirected Request',
      detail: 'This aggregator holds no lease on partition 3, 7',
    },
  ],
  [
    'invalidConsistencyToken',
    problems.invalidConsistencyToken(),
    {
      type: '/problems/invalid-consistency-token',
      status: 400,
      title: 'Bad Request',
      detail:
        'X-Consistency-Token must be a token a write of this service answered, sent back unchanged',
    },
  ],
  [
    'foreignConsistencyToken',
    problems.foreignConsistencyToken(),
    {
      type: '/problems/foreign-consistency-token',
      status: 400,
      title: 'Bad Request',
      detail: 'X-Consistency-Token was answered by another deployment of this service: drop it',
    },
  ],
];

describe('the problem catalog', () => {
  it.each(cases)(
    '%s answers its documented type, status, title, wording and headers',
    (_, problem, expected) => {
      const { headers = {}, errors, ...details } = expected;
      expect(problem).toBeInstanceOf(HttpProblem);
      expect(problem.toDetails()).toEqual({ ...details, ...(errors ? { errors } : {}) });
      expect(problem.headers).toEqual(headers);
    },
  );

  it('has a factory for every type it lists, and each factory makes a listed type', () => {
    const listed = Object.values(PROBLEM_TYPES).map((entry) => entry.type);
    const made = cases.map(([, problem]) => problem.type);
    expect(new Set(made)).toEqual(new Set(listed));
    for (const [, problem] of cases) {
      const entry = Object.values(PROBLEM_TYPES).find(
        (candidate) => candidate.type === problem.type,
      );
      expect(entry?.title).toBe(problem.title);
    }
  });

  it('lists each type once, as a /problems/<kind> URI', () => {
    const types = Object.values(PROBLEM_TYPES).map((entry) => entry.type);
    expect(new Set(types).size).toBe(types.length);
    for (const type of types) expect(type).toMatch(/^\/problems\/[a-z]+(?:-[a-z]+)*$/);
  });

  it('makes `type` an absolute URI under the public base it is given, and only then', () => {
    const problem = problems.userNotFound('ann');
    expect(problem.toDetails('https://users.example.com/v1').type).toBe(
      'https://users.example.com/v1/problems/user-not-found',
    );
    expect(problem.toDetails().type).toBe('/problems/user-not-found');
  });

  it('serialises as RFC 9457 members in a fixed order, with `errors` only for validation', () => {
    expect(JSON.stringify(problems.userNotFound('ann').toDetails())).toBe(
      '{"type":"/problems/user-not-found","title":"Not Found","status":404,"detail":"No user ann"}',
    );
    expect(Object.keys(problems.validationError(fieldErrors).toDetails())).toEqual([
      'type',
      'title',
      'status',
      'detail',
      'errors',
    ]);
  });

  it('names the type the gateway recognises an aggregator’s parked user by', () => {
    expect(USER_UNREADABLE_TYPE).toBe('/problems/user-unreadable');
  });
});

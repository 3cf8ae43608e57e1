import type { FieldError } from '../domain';
import { HttpProblem, type ProblemType } from './problem';

/**
 * Every problem the gateway and the aggregators answer, each once. The README's API contract
 * shows this list as a table, and a test keeps the two equal: change both together.
 */
export const PROBLEM_TYPES = {
  validationError: {
    type: '/problems/validation-error',
    status: 400,
    title: 'The request is not valid',
    when: 'a body field, the id in the path or a query parameter breaks a rule; `errors` lists each `{ field, message }`',
  },
  malformedJson: {
    type: '/problems/malformed-json',
    status: 400,
    title: 'Bad Request',
    when: 'the body is not valid JSON',
  },
  invalidConsistencyToken: {
    type: '/problems/invalid-consistency-token',
    status: 400,
    title: 'Bad Request',
    when: '`X-Consistency-Token` is not a token a write of this service answered (send it back unchanged, or send none)',
  },
  foreignConsistencyToken: {
    type: '/problems/foreign-consistency-token',
    status: 400,
    title: 'Bad Request',
    when: '`X-Consistency-Token` was answered by another deployment of this service (another database): drop it, and send the next one a write here answers',
  },
  badIfMatch: {
    type: '/problems/bad-if-match',
    status: 400,
    title: 'Bad Request',
    when: '`If-Match` is neither `*` nor a list of entity tags such as `"3", W/"4"`',
  },
  badIfNoneMatch: {
    type: '/problems/bad-if-none-match',
    status: 400,
    title: 'Bad Request',
    when: '`If-None-Match` is neither a list of ETags such as `"3", "4"` nor `*`',
  },
  badIdempotencyKey: {
    type: '/problems/bad-idempotency-key',
    status: 400,
    title: 'Bad Request',
    when: '`Idempotency-Key` is neither a structured-field string such as `"k 1"` nor a bare key of characters from `!` to `~` (no `"`), or its key is empty or longer than 255 characters',
  },
  badRequest: {
    type: '/problems/bad-request',
    status: 400,
    title: 'Bad Request',
    when: 'the request cannot be read: an aborted or badly framed body, a path that does not decode (a 4xx chosen by express keeps its status); a `PUT` with `Content-Range`',
  },
  unauthorized: {
    type: '/problems/unauthorized',
    status: 401,
    title: 'Unauthorized',
    when: 'a request to an aggregator’s `/internal/*` without the bearer token the gateways send (`WWW-Authenticate: Bearer`)',
  },
  bearerTokenRequired: {
    type: '/problems/bearer-token-required',
    status: 401,
    title: 'Unauthorized',
    when: 'no valid access token: none sent, or one that is malformed, expired, not yet valid, wrongly signed, or for another issuer or audience (`WWW-Authenticate: Bearer`, with `error="invalid_token"` when one was sent)',
  },
  insufficientScope: {
    type: '/problems/insufficient-scope',
    status: 403,
    title: 'Forbidden',
    when: 'a valid access token without the scope the route needs (`WWW-Authenticate: Bearer error="insufficient_scope"` naming it)',
  },
  notFound: {
    type: '/problems/not-found',
    status: 404,
    title: 'Not Found',
    when: 'no route matches the method and path',
  },
  userNotFound: {
    type: '/problems/user-not-found',
    status: 404,
    title: 'Not Found',
    when: 'the user was never created, or is deleted',
  },
  rebuildNotFound: {
    type: '/problems/rebuild-not-found',
    status: 404,
    title: 'Not Found',
    when: 'the rebuild named is not the one asked for last (only that one is kept)',
  },
  methodNotAllowed: {
    type: '/problems/method-not-allowed',
    status: 405,
    title: 'Method Not Allowed',
    when: 'the path does not take that method; `Allow` lists those it takes',
  },
  userExists: {
    type: '/problems/user-exists',
    status: 409,
    title: 'Conflict',
    when: 'a create names the id of a live user (a deleted id may be created again)',
  },
  emailTaken: {
    type: '/problems/email-taken',
    status: 409,
    title: 'Conflict',
    when: 'a create or update would give a user an email another live user holds (compared case-insensitively); `errors` names `email`',
  },
  idempotencyKeyInFlight: {
    type: '/problems/idempotency-key-in-flight',
    status: 409,
    title: 'Conflict',
    when: 'the first request with this `Idempotency-Key` is still being carried out (`Retry-After: 1`)',
  },
  versionNotApplied: {
    type: '/problems/version-not-applied',
    status: 409,
    title: 'Conflict',
    when: 'an aggregator’s internal read: the version the gateway wrote (`minVersion`), or for a list or count the commit position of its last write there (`position`), did not arrive within 50 ms, so the gateway reads the store',
  },
  versionMismatch: {
    type: '/problems/version-mismatch',
    status: 412,
    title: 'Precondition Failed',
    when: 'a precondition is false: `If-Match` does not name the user’s current version with a strong tag (on a read or a write), or on a write `If-None-Match` names it or is `*` while the user exists (`*` on `POST /api/user`, whose collection always exists)',
  },
  personalDataErased: {
    type: '/problems/personal-data-erased',
    status: 410,
    title: 'Gone',
    when: 'an as-of read of a version at which the user was live, but whose personal data has been erased since (`DELETE /api/user/{id}/personal-data`)',
  },
  bodyTooLarge: {
    type: '/problems/body-too-large',
    status: 413,
    title: 'Content Too Large',
    when: 'the body is over 16 KiB',
  },
  idempotencyKeyReused: {
    type: '/problems/idempotency-key-reused',
    status: 422,
    title: 'Unprocessable Content',
    when: 'this `Idempotency-Key` was used for a different request (another method, path, body, or `If-Match`/`If-None-Match` condition) within `IDEMPOTENCY_TTL_HOURS`',
  },
  // Paths and methods: how a request that no route takes is answered (the route table's part).
  badHost: {
    type: '/problems/bad-host',
    status: 400,
    title: 'Bad Request',
    when: 'the request has more than one `Host` field (RFC 9112 §3.2): which host it is for is ambiguous',
  },
  methodNotImplemented: {
    type: '/problems/method-not-implemented',
    status: 501,
    title: 'Not Implemented',
    when: 'the method is not one of HTTP’s own (RFC 9110’s and PATCH), such as `PROPFIND` or a made-up one: no path takes it',
  },
  unsupportedMediaType: {
    type: '/problems/unsupported-media-type',
    status: 415,
    title: 'Unsupported Media Type',
    when: 'the body is not `application/json` (for `PATCH`, not `application/merge-patch+json`, with `Accept-Patch` naming it), or not UTF-8',
  },
  internalError: {
    type: '/problems/internal-error',
    status: 500,
    title: 'Internal Server Error',
    when: 'a fault of ours, logged with the request id; never caused by what a client sends',
  },
  storeUnavailable: {
    type: '/problems/store-unavailable',
    status: 503,
    title: 'Service Unavailable',
    when: 'the store could not be reached or did not confirm within `STORE_TIMEOUT_MS` (`Retry-After: 1`); a write’s outcome is unknown',
  },
  contention: {
    type: '/problems/contention',
    status: 503,
    title: 'Service Unavailable',
    when: 'a write lost the race for the user’s next version 100 times in a row (`Retry-After: 1`)',
  },
  userUnreadable: {
    type: '/problems/user-unreadable',
    status: 503,
    title: 'Service Unavailable',
    when: 'the user has a stored event this version cannot read, or personal data sealed with a key this service’s master keys do not open (a master key missing, as in the middle of a rotation) (`Retry-After: 60`); every other user is served',
  },
  erasurePending: {
    type: '/problems/erasure-pending',
    status: 503,
    title: 'Service Unavailable',
    when: 'an erasure is stored, but the aggregator owning the user has not applied it yet, so a read through another gateway could still show the person (`Retry-After: 1`); retry until 204, which appends nothing more',
  },
  notReady: {
    type: '/problems/not-ready',
    status: 503,
    title: 'Service Unavailable',
    when: 'an aggregator’s internal read before it has caught up with the store, or while it cannot renew its lease on the partition, so the gateway reads the store',
  },
  notOwner: {
    type: '/problems/not-owner',
    status: 421,
    title: 'Misdirected Request',
    when: 'an aggregator’s internal read of a partition it holds no lease on (it moved to another aggregator), so the gateway learns the owners again and reads the store meanwhile',
  },
} as const satisfies Record<string, ProblemType>;

/** The protection space a bearer challenge names (RFC 9110 §11.5). */
const BEARER_REALM = 'user-service';

/** What a client sees in a problem's `type` when an aggregator cannot serve one user. */
export const USER_UNREADABLE_TYPE = PROBLEM_TYPES.userUnreadable.type;
/** An aggregator's refusal while it restores or catches up a partition (which it may have just taken). */
export const NOT_READY_TYPE = PROBLEM_TYPES.notReady.type;

const { badRequest } = PROBLEM_TYPES;

/** The one way to make each problem, so its wording and headers are the same wherever it is answered. */
export const problems = {
  validationError(errors: readonly FieldError[]): HttpProblem {
    const fields = [...new Set(errors.map((error) => error.field))].join(', ');
    return new HttpProblem(PROBLEM_TYPES.validationError, `Invalid: ${fields}`, { errors });
  },
  malformedJson: () => new HttpProblem(PROBLEM_TYPES.malformedJson, 'The body is not valid JSON'),
  invalidConsistencyToken: () =>
    new HttpProblem(
      PROBLEM_TYPES.invalidConsistencyToken,
      'X-Consistency-Token must be a token a write of this service answered, sent back unchanged',
    ),
  foreignConsistencyToken: () =>
    new HttpProblem(
      PROBLEM_TYPES.foreignConsistencyToken,
      'X-Consistency-Token was answered by another deployment of this service: drop it',
    ),
  badIfMatch: () =>
    new HttpProblem(
      PROBLEM_TYPES.badIfMatch,
      'If-Match must be ETags such as "3" separated by commas, or *',
    ),
  badIfNoneMatch: () =>
    new HttpProblem(
      PROBLEM_TYPES.badIfNoneMatch,
      'If-None-Match must be ETags such as "3" separated by commas, or *',
    ),
  badIdempotencyKey: () =>
    new HttpProblem(
      PROBLEM_TYPES.badIdempotencyKey,
      'Idempotency-Key must be a quoted string such as "k 1", or a bare key of characters from ! to ~; the key 1 to 255 characters',
    ),
  contentRangeOnPut: () =>
    new HttpProblem(
      badRequest,
      'PUT takes no Content-Range: it sends a state, not a part of one (RFC 9110 §14.5)',
    ),
  unreadableBody: () => new HttpProblem(badRequest, 'The body could not be read'),
  /** `status`: the 4xx another layer (express, body-parser) gave the error it threw. */
  unreadableRequest: (status: number = badRequest.status) =>
    new HttpProblem({ ...badRequest, status }, 'The request could not be read'),
  unauthorized: () =>
    new HttpProblem(PROBLEM_TYPES.unauthorized, 'This API is for the gateway only', {
      headers: { 'WWW-Authenticate': 'Bearer' },
    }),
  /** `sent`: a token came with the request, and was refused (RFC 6750 §3.1, `invalid_token`). */
  bearerTokenRequired: (sent: boolean) =>
    new HttpProblem(
      PROBLEM_TYPES.bearerTokenRequired,
      sent
        ? 'The access token is not valid here: send a current token from the configured issuer, for this API'
        : 'Send an access token: Authorization: Bearer <token>',
      {
        headers: {
          'WWW-Authenticate': sent
            ? `Bearer realm="${BEARER_REALM}", error="invalid_token"`
            : `Bearer realm="${BEARER_REALM}"`,
        },
      },
    ),
  insufficientScope: (scope: string) =>
    new HttpProblem(PROBLEM_TYPES.insufficientScope, `The access token does not grant ${scope}`, {
      headers: {
        'WWW-Authenticate': `Bearer realm="${BEARER_REALM}", error="insufficient_scope", scope="${scope}"`,
      },
    }),
  routeNotFound: (method: string, path: string) =>
    new HttpProblem(PROBLEM_TYPES.notFound, `No route for ${method} ${path}`),
  userNotFound: (userId: string) =>
    new HttpProblem(PROBLEM_TYPES.userNotFound, `No user ${userId}`),
  rebuildNotFound: (id: string) =>
    new HttpProblem(PROBLEM_TYPES.rebuildNotFound, `No rebuild ${id} is the latest`),
  /** `allow`: the methods the path takes, as the `Allow` header lists them ("GET, PUT"). */
  methodNotAllowed: (method: string, allow: string) =>
    new HttpProblem(PROBLEM_TYPES.methodNotAllowed, `${method} is not allowed here`, {
      headers: { Allow: allow },
    }),
  badHost: () => new HttpProblem(PROBLEM_TYPES.badHost, 'Send exactly one Host field'),
  /** `method`: as the client sent it; only shown when it is a token, so nothing odd is echoed. */
  methodNotImplemented: (method: string) =>
    new HttpProblem(
      PROBLEM_TYPES.methodNotImplemented,
      /^[!#$%&'*+.^_`|~0-9A-Za-z-]{1,32}$/.test(method)
        ? `${method} is not a method this service implements`
        : 'The method is not one this service implements',
    ),
  personalDataErased: (userId: string) =>
    new HttpProblem(
      PROBLEM_TYPES.personalDataErased,
      `The personal data of user ${userId} has been erased`,
    ),
  userExists: (userId: string) =>
    new HttpProblem(PROBLEM_TYPES.userExists, `User ${userId} already exists`),
  emailTaken: () =>
    new HttpProblem(PROBLEM_TYPES.emailTaken, 'Another user has this email', {
      errors: [{ field: 'email', message: 'is taken by another user' }],
    }),
  idempotencyKeyInFlight: () =>
    new HttpProblem(
      PROBLEM_TYPES.idempotencyKeyInFlight,
      'A request with this Idempotency-Key is still being carried out',
      { headers: { 'Retry-After': '1' } },
    ),
  idempotencyKeyReused: () =>
    new HttpProblem(
      PROBLEM_TYPES.idempotencyKeyReused,
      'This Idempotency-Key was used for a different request: use a new key for a new request',
    ),
  versionNotApplied: (minVersion: number) =>
    new HttpProblem(PROBLEM_TYPES.versionNotApplied, `Version ${minVersion} is not applied yet`),
  positionNotApplied: () =>
    new HttpProblem(
      PROBLEM_TYPES.versionNotApplied,
      'The latest writes of the gateway asking are not applied yet',
    ),
  versionMismatch: (mismatch: { userId: string; expectedVersion: number; actualVersion: number }) =>
    new HttpProblem(
      PROBLEM_TYPES.versionMismatch,
      `User ${mismatch.userId} is at version ${mismatch.actualVersion}, not ${mismatch.expectedVersion}`,
    ),
  /** A precondition against the user's state is false; `field` names the header. */
  preconditionFailed: (failure: {
    readonly userId: string;
    readonly version: number;
    readonly field: 'If-Match' | 'If-None-Match';
  }) =>
    new HttpProblem(
      PROBLEM_TYPES.versionMismatch,
      failure.version === 0
        ? `User ${failure.userId} does not exist (${failure.field})`
        : failure.field === 'If-Match'
          ? `User ${failure.userId} is at version ${failure.version}, which If-Match does not name as a strong tag`
          : `User ${failure.userId} exists at version ${failure.version}, which If-None-Match names or matches with *`,
    ),
  /** A precondition on `POST /api/user`, whose target is the collection: it exists, with no tag. */
  collectionPreconditionFailed: (field: 'If-Match' | 'If-None-Match') =>
    new HttpProblem(
      PROBLEM_TYPES.versionMismatch,
      field === 'If-Match'
        ? 'The user collection has no entity tag: If-Match holds only as *'
        : 'The user collection always exists: If-None-Match: * never holds on POST',
    ),
  bodyTooLarge: () =>
    new HttpProblem(PROBLEM_TYPES.bodyTooLarge, 'The body is larger than allowed'),
  bodyNotJson: () =>
    new HttpProblem(PROBLEM_TYPES.unsupportedMediaType, 'Send the body as application/json'),
  /** `acceptPatch`: the media types PATCH takes, as `Accept-Patch` lists them (RFC 5789 §3.1). */
  bodyNotMergePatch: (acceptPatch: string) =>
    new HttpProblem(
      PROBLEM_TYPES.unsupportedMediaType,
      `Send the patch as ${acceptPatch} (RFC 7396)`,
      { headers: { 'Accept-Patch': acceptPatch } },
    ),
  bodyNotUtf8: () =>
    new HttpProblem(PROBLEM_TYPES.unsupportedMediaType, 'Send the body as UTF-8 JSON'),
  internalError: () =>
    new HttpProblem(PROBLEM_TYPES.internalError, 'Something went wrong on our side'),
  storeUnavailable: () =>
    new HttpProblem(
      PROBLEM_TYPES.storeUnavailable,
      'The event store did not answer in time. A write may still have been stored: retry it with the same Idempotency-Key, or read the user first',
      { headers: { 'Retry-After': '1' } },
    ),
  contention: () =>
    new HttpProblem(PROBLEM_TYPES.contention, 'Too many concurrent writes to this user', {
      headers: { 'Retry-After': '1' },
    }),
  erasurePending: () =>
    new HttpProblem(
      PROBLEM_TYPES.erasurePending,
      'The erasure is stored, but not yet applied everywhere reads are answered: retry it until it answers 204',
      { headers: { 'Retry-After': '1' } },
    ),
  /** Retry-After is long: only a deploy of a version that reads the event can help. */
  userUnreadable: (unreadable: { readonly userId: string; readonly eventId: string }) =>
    new HttpProblem(
      PROBLEM_TYPES.userUnreadable,
      `User ${unreadable.userId} cannot be read: its event ${unreadable.eventId} is of a kind or shape this version does not know`,
      { headers: { 'Retry-After': '60' } },
    ),
  /** Retry-After is long: only giving the process the master key it lacks can help. */
  personalDataUnopenable: (userId: string) =>
    new HttpProblem(
      PROBLEM_TYPES.userUnreadable,
      `User ${userId} cannot be read: its personal data is sealed with a key this service's master keys do not open`,
      { headers: { 'Retry-After': '60' } },
    ),
  notReady: (detail = 'Not caught up with the store') =>
    new HttpProblem(PROBLEM_TYPES.notReady, detail),
  notOwner: (partitions: readonly number[]) =>
    new HttpProblem(
      PROBLEM_TYPES.notOwner,
      `This aggregator holds no lease on partition ${partitions.join(', ')}`,
    ),
};

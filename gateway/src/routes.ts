import {
  type AsOf,
  validateCreateUser,
  type UserState,
  validateUpdateUser,
} from '@user-service/common/domain';
import {
  cacheFor,
  parseRfc3339,
  problems,
  type QueryValues,
  requestIdOf,
} from '@user-service/common/http';
import type { Request, Response } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { QUERIES } from './query-schemas';
import { pathId } from './request-parts';
import type { RouteHandler } from './route-table';
import {
  type BeforeReplay,
  idempotent,
  type IdempotencyContext,
  type Write,
} from './idempotent-writes';
import { untilErasureApplied } from './erasure-applied';
import { userPatchOf } from './merge-patch';
import {
  checkCollectionWrite,
  checkWrite,
  evaluateForRead,
  type Preconditions,
  preconditionsOf,
} from './preconditions';
import { type CommandContext, execute } from './user-commands';
import { deletedOutcome, sendOutcome, userOutcome, type WriteOutcome } from './write-outcome';
import { type QueryContext, readUser, readUserAsOf } from './user-queries';
import { answerToken, type ConsistencyTokens, tokenOf } from './consistency-tokens';

export type UserRoutesContext = CommandContext &
  QueryContext &
  IdempotencyContext & { readonly tokens: ConsistencyTokens };

/** `POST /api/user`: creates a user, with the id in the body, derived from the key, or new. */
export function createUser(context: UserRoutesContext): RouteHandler<unknown> {
  return idempotentRoute(context, noPathId, async (req, res, keyed) => {
    checkCollectionWrite(preconditionsOf(req));
    const input = validateCreateUser(req.body);
    if (!input.ok) throw problems.validationError(input.errors);
    const userId = input.value.id ?? keyed?.userId ?? newUserId();
    return execute(
      context,
      { type: 'CreateUser', userId, fields: input.value.fields },
      {
        ...writeRequestOf(context, res),
        keyed,
        answer: (state) => userOutcome(state, 201, `/api/user/${userId}`),
      },
    );
  });
}

/**
 * `GET /api/user/{id}`: the user now, or as of a version or a time; 304 while the client's copy
 * is current, 412 when If-Match names another version.
 */
export function readUserRoute(context: UserRoutesContext): RouteHandler<UserQuery> {
  return async (req, res, query) => {
    const userId = pathId(req);
    const asOf = asOfQuery(query);
    const preconditions = preconditionsOf(req);
    const found = asOf
      ? await readUserAsOf(context, userId, asOf)
      : await readUser(context, userId, requestIdOf(res), tokenOf(res));
    if (!found) throw problems.userNotFound(userId);
    // A past version stays no-store (the default): an erasure turns it into a 410.
    if (!asOf) cacheFor(res, 'revalidatePrivately');
    if (evaluateForRead(preconditions, userId, found.version) === 'notModified') {
      res.status(304).set('ETag', `"${found.version}"`).end();
      return;
    }
    sendOutcome(res, userOutcome(found, 200));
  };
}

/**
 * `PUT /api/user` (the id in the body) and `PUT /api/user/{id}`: changes the fields given, a
 * partial update, as the challenge defines it (PATCH is the standard form of one).
 */
export function updateUser(
  context: UserRoutesContext,
  userIdInPath: (req: Request) => string | undefined,
): RouteHandler<unknown> {
  return idempotentRoute(context, userIdInPath, async (req, res, keyed) => {
    // PUT sends a whole state; a part of one would need a range it cannot have here.
    if (req.get('content-range') !== undefined) throw problems.contentRangeOnPut();
    const preconditions = preconditionsOf(req);
    const pathUserId = userIdInPath(req);
    const withPathId = pathUserId !== undefined && isRecord(req.body) && req.body.id === undefined;
    const input = validateUpdateUser(withPathId ? { ...req.body, id: pathUserId } : req.body);
    if (!input.ok) throw problems.validationError(input.errors);
    if (pathUserId !== undefined && input.value.id !== pathUserId) {
      throw problems.validationError([{ field: 'id', message: 'must match the id in the path' }]);
    }
    const userId = input.value.id;
    return execute(
      context,
      { type: 'UpdateUser', userId, patch: input.value.patch },
      {
        ...writeRequestOf(context, res),
        keyed,
        precondition: guardedBy(preconditions, userId),
        answer: (state) => userOutcome(state, 200),
      },
    );
  });
}

/**
 * `PATCH /api/user/{id}` with a JSON merge patch (RFC 7396): the standard form of a partial
 * update. Answers the whole user, its new `ETag`, and `Content-Location` naming the user.
 */
export function patchUser(context: UserRoutesContext): RouteHandler<unknown> {
  return idempotentRoute(context, pathId, async (req, res, keyed) => {
    const userId = pathId(req);
    const preconditions = preconditionsOf(req);
    const input = userPatchOf(req.body, userId);
    return execute(
      context,
      { type: 'UpdateUser', userId, patch: input.patch },
      {
        ...writeRequestOf(context, res),
        keyed,
        precondition: guardedBy(preconditions, userId),
        answer: (state) => withContentLocation(userOutcome(state, 200), `/api/user/${userId}`),
      },
    );
  });
}

/** `DELETE /api/user/{id}` */
export function deleteUser(context: UserRoutesContext): RouteHandler<unknown> {
  return idempotentRoute(context, pathId, async (req, res, keyed) => {
    const userId = pathId(req);
    const preconditions = preconditionsOf(req);
    return execute(
      context,
      { type: 'DeleteUser', userId },
      {
        ...writeRequestOf(context, res),
        keyed,
        precondition: guardedBy(preconditions, userId),
        answer: () => deletedOutcome,
      },
    );
  });
}

/**
 * `DELETE /api/user/{id}/personal-data`: answered 204 only once the user's aggregator has applied
 * the erasure (untilErasureApplied), whether it was made now, before, or remembered for the key.
 */
export function erasePersonalData(context: UserRoutesContext): RouteHandler<unknown> {
  const applied = (req: Request, res: Response, version: number) =>
    untilErasureApplied(context, { userId: pathId(req), version, requestId: requestIdOf(res) });
  return idempotentRoute(
    context,
    pathId,
    async (req, res, keyed) => {
      const userId = pathId(req);
      // Irreversible, and ids are reusable: If-Match lets a client erase only the person it read.
      const preconditions = preconditionsOf(req);
      let erasedAt = 0;
      const answer = await execute(
        context,
        { type: 'EraseUser', userId },
        {
          ...writeRequestOf(context, res),
          keyed,
          precondition: guardedBy(preconditions, userId),
          answer: (state) => {
            erasedAt = state.version;
            return deletedOutcome;
          },
        },
      );
      await applied(req, res, erasedAt);
      return answer;
    },
    // A remembered 204 is sent again only once the erasure is applied too: its retry may come
    // after a 503 erasure-pending, the outcome remembered with the erasure's event.
    async (req, res) =>
      applied(req, res, (await context.userLog.loadSealed(pathId(req))).state.version),
  );
}

export const noPathId = (): undefined => undefined;

/** What every write request carries: its id, and the consistency token it answers. */
function writeRequestOf(context: UserRoutesContext, res: Response) {
  return { requestId: requestIdOf(res), written: answerToken(context.tokens, res) };
}

/** A write as a route's handler: run through the Idempotency-Key wrapper; it takes no query. */
function idempotentRoute(
  context: UserRoutesContext,
  userIdInPath: (req: Request) => string | undefined,
  write: Write,
  beforeReplay?: BeforeReplay,
): RouteHandler<unknown> {
  const keyed = idempotent(context, userIdInPath, write, beforeReplay);
  return (req, res, _query, next) => keyed(req, res, next);
}

/** The id of a user created without one (and without an Idempotency-Key to derive it from). */
function newUserId(): string {
  return uuidv4();
}

type UserQuery = QueryValues<(typeof QUERIES.user)['parameters']>;

/** `?version=N` or `?at=T`: which past state to read; undefined for the current one. */
function asOfQuery({ version, at }: UserQuery): AsOf | undefined {
  if (version !== undefined && at !== undefined) {
    throw problems.validationError([
      { field: 'version', message: 'must not be given together with at' },
      { field: 'at', message: 'must not be given together with version' },
    ]);
  }
  if (version !== undefined) return { version };
  if (at === undefined) return undefined;
  const time = parseRfc3339(at, 'at');
  if (!time.ok) throw problems.validationError(time.errors);
  return { at: time.value };
}

function guardedBy(preconditions: Preconditions, userId: string) {
  return (state: UserState) => checkWrite(preconditions, userId, state);
}

function withContentLocation(outcome: WriteOutcome, location: string): WriteOutcome {
  return { ...outcome, headers: { ...outcome.headers, 'Content-Location': location } };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

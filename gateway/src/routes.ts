import {
  API_BODY_LIMIT,
  type AsOf,
  cacheFor,
  jsonBody,
  parseRfc3339,
  problems,
  rememberRoute,
  requestIdOf,
  validateCreateUser,
  type UserState,
  validateUpdateUser,
} from '@user-service/common';
import { type Request, type Response, Router } from 'express';
import { v4 as uuidv4 } from 'uuid';
import { QUERIES } from './query-schemas';
import { pathId, validQuery } from './request-parts';
import { idempotent, type IdempotencyContext, type Write } from './idempotent-writes';
import { MERGE_PATCH_TYPE, mergePatchBody, userPatchOf } from './merge-patch';
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

export function userRoutes(context: CommandContext & QueryContext & IdempotencyContext): Router {
  const router = Router();
  const body = jsonBody(API_BODY_LIMIT);

  router.post(
    '/',
    rememberRoute,
    ...body,
    idempotent(context, noPathId, async (req, res, keyed) => {
      validQuery(req, QUERIES.none);
      checkCollectionWrite(preconditionsOf(req));
      const input = validateCreateUser(req.body);
      if (!input.ok) throw problems.validationError(input.errors);
      const userId = input.value.id ?? keyed?.userId ?? newUserId();
      const state = await execute(
        context,
        { type: 'CreateUser', userId, fields: input.value.fields },
        requestIdOf(res),
        keyed?.eventId,
      );
      return userOutcome(state, 201, `/api/user/${userId}`);
    }),
  );

  router.get('/:id', rememberRoute, async (req, res) => {
    const userId = pathId(req);
    const asOf = asOfQuery(req);
    const preconditions = preconditionsOf(req);
    const found = asOf
      ? await readUserAsOf(context, userId, asOf)
      : await readUser(context, userId, requestIdOf(res));
    if (!found) throw problems.userNotFound(userId);
    // A past version stays no-store (the default): an erasure turns it into a 410.
    if (!asOf) cacheFor(res, 'revalidatePrivately');
    if (evaluateForRead(preconditions, userId, found.version) === 'notModified') {
      res.status(304).set('ETag', `"${found.version}"`).end();
      return;
    }
    sendOutcome(res, userOutcome(found, 200));
  });

  const update =
    (userIdInPath: (req: Request) => string | undefined): Write =>
    async (req, res, keyed) => {
      validQuery(req, QUERIES.none);
      // PUT sends a whole state; a part of one would need a range it cannot have here.
      if (req.get('content-range') !== undefined) throw problems.contentRangeOnPut();
      const preconditions = preconditionsOf(req);
      const pathUserId = userIdInPath(req);
      const withPathId =
        pathUserId !== undefined && isRecord(req.body) && req.body.id === undefined;
      const input = validateUpdateUser(withPathId ? { ...req.body, id: pathUserId } : req.body);
      if (!input.ok) throw problems.validationError(input.errors);
      if (pathUserId !== undefined && input.value.id !== pathUserId) {
        throw problems.validationError([{ field: 'id', message: 'must match the id in the path' }]);
      }
      const userId = input.value.id;
      const state = await execute(
        context,
        { type: 'UpdateUser', userId, patch: input.value.patch },
        requestIdOf(res),
        keyed?.eventId,
        guardedBy(preconditions, userId),
      );
      return userOutcome(state, 200);
    };
  router.put('/', rememberRoute, ...body, idempotent(context, noPathId, update(noPathId)));
  router.put('/:id', rememberRoute, ...body, idempotent(context, pathId, update(pathId)));

  router.patch(
    '/:id',
    rememberRoute,
    ...mergePatchBody(API_BODY_LIMIT),
    idempotent(context, pathId, async (req, res, keyed) => {
      const userId = pathId(req);
      validQuery(req, QUERIES.none);
      const preconditions = preconditionsOf(req);
      const input = userPatchOf(req.body, userId);
      const state = await execute(
        context,
        { type: 'UpdateUser', userId, patch: input.patch },
        requestIdOf(res),
        keyed?.eventId,
        guardedBy(preconditions, userId),
      );
      return withContentLocation(userOutcome(state, 200), `/api/user/${userId}`);
    }),
  );

  router.delete(
    '/:id',
    rememberRoute,
    idempotent(context, pathId, async (req, res, keyed) => {
      const userId = pathId(req);
      validQuery(req, QUERIES.none);
      const preconditions = preconditionsOf(req);
      await execute(
        context,
        { type: 'DeleteUser', userId },
        requestIdOf(res),
        keyed?.eventId,
        guardedBy(preconditions, userId),
      );
      return deletedOutcome;
    }),
  );

  router.delete(
    '/:id/personal-data',
    rememberRoute,
    idempotent(context, pathId, async (req, res, keyed) => {
      const userId = pathId(req);
      validQuery(req, QUERIES.none);
      // Irreversible, and ids are reusable: If-Match lets a client erase only the person it read.
      const preconditions = preconditionsOf(req);
      await execute(
        context,
        { type: 'EraseUser', userId },
        requestIdOf(res),
        keyed?.eventId,
        guardedBy(preconditions, userId),
      );
      return deletedOutcome;
    }),
  );

  router.all('/', rememberRoute, methodNotAllowed('GET, POST, PUT'));
  router.all('/:id', rememberRoute, acceptsPatch, methodNotAllowed('GET, PUT, PATCH, DELETE'));
  router.all('/:id/personal-data', rememberRoute, methodNotAllowed('DELETE'));
  return router;
}

const noPathId = (): undefined => undefined;

/** The id of a user created without one (and without an Idempotency-Key to derive it from). */
function newUserId(): string {
  return uuidv4();
}

/** `?version=N` or `?at=T`: which past state to read; undefined for the current one. */
function asOfQuery(req: Request): AsOf | undefined {
  const { version, at } = validQuery(req, QUERIES.user);
  if (version !== undefined && at !== undefined) {
    throw problems.validationError([
      { field: 'version', message: 'must not be given together with at' },
      { field: 'at', message: 'must not be given together with version' },
    ]);
  }
  if (version !== undefined) return { version: Number(version) };
  if (at === undefined) return undefined;
  const time = parseRfc3339(String(at), 'at');
  if (!time.ok) throw problems.validationError(time.errors);
  return { at: time.value };
}

function guardedBy(preconditions: Preconditions, userId: string) {
  return (state: UserState) => checkWrite(preconditions, userId, state);
}

function withContentLocation(outcome: WriteOutcome, location: string): WriteOutcome {
  return { ...outcome, headers: { ...outcome.headers, 'Content-Location': location } };
}

/** Tells a client that meets a 405 on a user how to patch it (RFC 5789 §3.1). */
function acceptsPatch(_req: Request, res: Response, next: () => void): void {
  res.set('Accept-Patch', MERGE_PATCH_TYPE);
  next();
}

function methodNotAllowed(allow: string) {
  return (req: Request) => {
    throw problems.methodNotAllowed(req.method, allow);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

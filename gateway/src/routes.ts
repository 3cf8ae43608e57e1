import {
  type AsOf,
  parseRfc3339,
  problems,
  type QueryValues,
  requestIdOf,
  validateCreateUser,
  validateUpdateUser,
} from '@user-service/common';
import type { Request } from 'express';
import { v4 as uuidv4 } from 'uuid';
import type { QUERIES } from './query-schemas';
import { pathId } from './request-parts';
import type { RouteHandler } from './route-table';
import { idempotent, type IdempotencyContext } from './idempotent-writes';
import { type CommandContext, execute } from './user-commands';
import { deletedOutcome, sendOutcome, userOutcome } from './write-outcome';
import { type QueryContext, readUser, readUserAsOf } from './user-queries';

export type UserRoutesContext = CommandContext & QueryContext & IdempotencyContext;

/** `POST /api/user`: creates a user, with the id in the body, derived from the key, or new. */
export function createUser(context: UserRoutesContext): RouteHandler<unknown> {
  const write = idempotent(context, noPathId, async (req, res, keyed) => {
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
  });
  return (req, res, _query, next) => write(req, res, next);
}

/** `GET /api/user/{id}`: the user now, or as of a version or a time; 304 while the client's copy is current. */
export function readUserRoute(context: UserRoutesContext): RouteHandler<UserQuery> {
  return async (req, res, query) => {
    const userId = pathId(req);
    const asOf = asOfQuery(query);
    const found = asOf
      ? await readUserAsOf(context, userId, asOf)
      : await readUser(context, userId, requestIdOf(res));
    if (!found) throw problems.userNotFound(userId);
    if (matchesIfNoneMatch(req, found.version)) {
      res.status(304).set('ETag', `"${found.version}"`).end();
      return;
    }
    sendOutcome(res, userOutcome(found, 200));
  };
}

/** `PUT /api/user` (the id in the body) and `PUT /api/user/{id}`: changes the fields given. */
export function updateUser(
  context: UserRoutesContext,
  userIdInPath: (req: Request) => string | undefined,
): RouteHandler<unknown> {
  const write = idempotent(context, userIdInPath, async (req, res, keyed) => {
    const pathUserId = userIdInPath(req);
    const withPathId = pathUserId !== undefined && isRecord(req.body) && req.body.id === undefined;
    const input = validateUpdateUser(withPathId ? { ...req.body, id: pathUserId } : req.body);
    if (!input.ok) throw problems.validationError(input.errors);
    if (pathUserId !== undefined && input.value.id !== pathUserId) {
      throw problems.validationError([{ field: 'id', message: 'must match the id in the path' }]);
    }
    const expectedVersion = ifMatchVersion(req);
    const state = await execute(
      context,
      {
        type: 'UpdateUser',
        userId: input.value.id,
        patch: input.value.patch,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      },
      requestIdOf(res),
      keyed?.eventId,
    );
    return userOutcome(state, 200);
  });
  return (req, res, _query, next) => write(req, res, next);
}

/** `DELETE /api/user/{id}` */
export function deleteUser(context: UserRoutesContext): RouteHandler<unknown> {
  const write = idempotent(context, pathId, async (req, res, keyed) => {
    const userId = pathId(req);
    const expectedVersion = ifMatchVersion(req);
    await execute(
      context,
      {
        type: 'DeleteUser',
        userId,
        ...(expectedVersion === undefined ? {} : { expectedVersion }),
      },
      requestIdOf(res),
      keyed?.eventId,
    );
    return deletedOutcome;
  });
  return (req, res, _query, next) => write(req, res, next);
}

/** `DELETE /api/user/{id}/personal-data` */
export function erasePersonalData(context: UserRoutesContext): RouteHandler<unknown> {
  const write = idempotent(context, pathId, async (req, res, keyed) => {
    const userId = pathId(req);
    await execute(context, { type: 'EraseUser', userId }, requestIdOf(res), keyed?.eventId);
    return deletedOutcome;
  });
  return (req, res, _query, next) => write(req, res, next);
}

export const noPathId = (): undefined => undefined;

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

/**
 * `If-None-Match: "3"` (a list; weak tags compare weakly, as RFC 9110 says) or `*`: true when it
 * names the version about to be sent, so the client's copy is current. A well-formed tag we did
 * not hand out just does not match; a malformed header is the client's mistake.
 */
function matchesIfNoneMatch(req: Request, version: number): boolean {
  const header = req.get('if-none-match')?.trim();
  if (header === undefined) return false;
  if (header === '*') return true;
  // Empty list elements are ignored (RFC 9110 §5.6.1); a tag may hold obs-text bytes, which
  // Node hands over as latin1 characters.
  const elements = header.split(',').map((element) => element.trim());
  const tags = elements
    .filter((element) => element !== '')
    .map((element) => /^(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"$/.exec(element));
  if (tags.some((tag) => tag === null)) throw problems.badIfNoneMatch();
  return tags.some((tag) => tag?.[1] === String(version));
}

/** `If-Match: "3"` (the ETag we hand out) or `*`; anything else is a client error. */
function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('if-match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^"(\d{1,15})"$/.exec(header);
  if (!match?.[1]) throw problems.badIfMatch();
  return Number(match[1]);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

import {
  API_BODY_LIMIT,
  jsonBody,
  problems,
  rememberRoute,
  requestIdOf,
  type User,
  type UserState,
  validateCreateUser,
  validateUpdateUser,
  validateUserId,
} from '@user-service/common';
import { type Request, type Response, Router } from 'express';
import { v4 as uuidv4 } from 'uuid';
import { type CommandContext, execute } from './user-commands';
import { type QueryContext, readUser } from './user-queries';

export function userRoutes(context: CommandContext & QueryContext): Router {
  const router = Router();
  const body = jsonBody(API_BODY_LIMIT);

  router.post('/', rememberRoute, ...body, async (req, res) => {
    const input = validateCreateUser(req.body);
    if (!input.ok) throw problems.validationError(input.errors);
    const userId = input.value.id ?? newUserId();
    const state = await execute(context, {
      type: 'CreateUser',
      userId,
      fields: input.value.fields,
    });
    res.status(201).location(`/api/user/${userId}`);
    sendUser(res, state);
  });

  router.get('/:id', rememberRoute, async (req, res) => {
    const userId = pathId(req);
    const found = await readUser(context, userId, requestIdOf(res));
    if (!found) throw problems.userNotFound(userId);
    sendUser(res, found);
  });

  const update = async (req: Request, res: Response, pathUserId?: string) => {
    const withPathId = pathUserId !== undefined && isRecord(req.body) && req.body.id === undefined;
    const input = validateUpdateUser(withPathId ? { ...req.body, id: pathUserId } : req.body);
    if (!input.ok) throw problems.validationError(input.errors);
    if (pathUserId !== undefined && input.value.id !== pathUserId) {
      throw problems.validationError([{ field: 'id', message: 'must match the id in the path' }]);
    }
    const expectedVersion = ifMatchVersion(req);
    const state = await execute(context, {
      type: 'UpdateUser',
      userId: input.value.id,
      patch: input.value.patch,
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
    });
    sendUser(res, state);
  };
  router.put('/', rememberRoute, ...body, (req, res) => update(req, res));
  router.put('/:id', rememberRoute, ...body, (req, res) => update(req, res, pathId(req)));

  router.delete('/:id', rememberRoute, async (req, res) => {
    const userId = pathId(req);
    const expectedVersion = ifMatchVersion(req);
    await execute(context, {
      type: 'DeleteUser',
      userId,
      ...(expectedVersion === undefined ? {} : { expectedVersion }),
    });
    res.status(204).end();
  });

  router.all('/', rememberRoute, methodNotAllowed('POST, PUT'));
  router.all('/:id', rememberRoute, methodNotAllowed('GET, PUT, DELETE'));
  return router;
}

/** The id of a user created without one. */
function newUserId(): string {
  return uuidv4();
}

function sendUser(res: Response, state: UserState): void {
  const { user } = state;
  if (!user) throw new Error('sendUser needs a live user');
  const body: User = { id: user.id, name: user.name, email: user.email, group: user.group };
  res.set('ETag', `"${state.version}"`).json(body);
}

function pathId(req: Request): string {
  const id = validateUserId(req.params.id);
  if (!id.ok) throw problems.validationError(id.errors);
  return id.value;
}

/** `If-Match: "3"` (the ETag we hand out) or `*`; anything else is a client error. */
function ifMatchVersion(req: Request): number | undefined {
  const header = req.get('if-match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^"(\d{1,15})"$/.exec(header);
  if (!match?.[1]) throw problems.badIfMatch();
  return Number(match[1]);
}

function methodNotAllowed(allow: string) {
  return (req: Request) => {
    throw problems.methodNotAllowed(req.method, allow);
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

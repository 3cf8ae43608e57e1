/**
 * The baseline: the same API and validation in one process, users in a Map, nothing
 * distributed and nothing durable. What a plain CRUD service costs on this machine.
 */
import { createLogger, createMetricsRegistry } from '@user-service/common/observability';
import {
  createBaseApp,
  API_BODY_LIMIT,
  jsonBody,
  listen,
  problemHandler,
  problems,
  unknownRoute,
} from '@user-service/common/http';
import {
  type User,
  validateCreateUser,
  validateUpdateUser,
  validateUserId,
} from '@user-service/common/domain';
import type { Request, Response } from 'express';
import { PassThrough } from 'node:stream';
import { randomUUID } from 'node:crypto';

const users = new Map<string, { user: User; version: number }>();
const log = createLogger({
  service: 'baseline',
  level: 'warn',
  stream: new PassThrough().resume(),
});
const app = createBaseApp(log, createMetricsRegistry());
const body = jsonBody(API_BODY_LIMIT);

function send(res: Response, status: number, entry: { user: User; version: number }): void {
  res.status(status).set('ETag', `"${entry.version}"`).json(entry.user);
}

function idOf(req: Request): string {
  const id = validateUserId(req.params.id);
  if (!id.ok) throw problems.validationError(id.errors);
  return id.value;
}

app.get('/readyz', (_req, res) => {
  res.json({ ready: true });
});

app.post(['/api/user', '/api/users'], ...body, (req, res) => {
  const input = validateCreateUser(req.body);
  if (!input.ok) throw problems.validationError(input.errors);
  const id = input.value.id ?? randomUUID();
  if (users.has(id)) throw problems.userExists(id);
  const entry = { user: { id, ...input.value.fields }, version: 1 };
  users.set(id, entry);
  send(res.location(`/api/user/${id}`), 201, entry);
});

app.get(['/api/user/:id', '/api/users/:id'], (req, res) => {
  const id = idOf(req);
  const entry = users.get(id);
  if (!entry) throw problems.userNotFound(id);
  send(res, 200, entry);
});

app.put(['/api/user', '/api/users'], ...body, (req, res) => {
  const input = validateUpdateUser(req.body);
  if (!input.ok) throw problems.validationError(input.errors);
  const entry = users.get(input.value.id);
  if (!entry) throw problems.userNotFound(input.value.id);
  const updated = { user: { ...entry.user, ...input.value.patch }, version: entry.version + 1 };
  users.set(input.value.id, updated);
  send(res, 200, updated);
});

app.delete(['/api/user/:id', '/api/users/:id'], (req, res) => {
  const id = idOf(req);
  if (!users.delete(id)) throw problems.userNotFound(id);
  res.status(204).end();
});

app.use(unknownRoute);
app.use(problemHandler(log));

void listen(app, Number(process.env.PORT ?? 8090)).then(() => process.send?.('ready'));

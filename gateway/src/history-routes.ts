import {
  type HistoryQuery,
  parseRfc3339,
  type PersonalData,
  problems,
  rememberRoute,
  type Store,
  type UserEvent,
  type UserEventType,
} from '@user-service/common';
import { type Request, Router } from 'express';
import { DEFAULT_LIMIT, QUERIES } from './query-schemas';
import { linkNext, onlyGet, pathId, validQuery } from './request-parts';

/** One event as a client sees it: the envelope's routing fields (partition) stay inside. */
export interface HistoryEvent {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly data: unknown;
  readonly requestId: string | null;
}

/**
 * `GET /api/user/{id}/events`: the user's events, oldest first, filtered by type, time and
 * version, a page at a time; straight from the log, so a deleted user keeps its history.
 */
export function historyRoutes(context: {
  readonly store: Store;
  readonly personalData: PersonalData;
}): Router {
  const router = Router();
  router.get('/:id/events', rememberRoute, async (req, res) => {
    const userId = pathId(req);
    const query = historyQuery(req);
    const page = await context.store.events.readUserHistory(userId, {
      ...query,
      limit: query.limit + 1,
    });
    if (page.length === 0 && !(await hasEvents(context.store, userId)))
      throw problems.userNotFound(userId);
    // Asked of the store, not this process's cache, whether the keys still exist: another
    // gateway may have erased the user a moment ago.
    const events = await context.personalData.openEvents(userId, page.slice(0, query.limit), {
      checkKeys: true,
    });
    const last = events.at(-1);
    if (page.length > query.limit && last) linkNext(req, res, { after: String(last.version) });
    res.json(events.map(toHistoryEvent));
  });
  router.all('/:id/events', rememberRoute, onlyGet);
  return router;
}

function historyQuery(req: Request): HistoryQuery {
  const { type, from, to, after, limit } = validQuery(req, QUERIES.history);
  return {
    afterVersion: after === undefined ? 0 : Number(after),
    limit: limit === undefined ? DEFAULT_LIMIT : Number(limit),
    ...(type === undefined ? {} : { types: String(type).split(',') as UserEventType[] }),
    ...(from === undefined ? {} : { from: time(from, 'from') }),
    ...(to === undefined ? {} : { to: time(to, 'to') }),
  };
}

function time(value: string | number, field: string): Date {
  const parsed = parseRfc3339(String(value), field);
  if (!parsed.ok) throw problems.validationError(parsed.errors);
  return parsed.value;
}

async function hasEvents(store: Store, userId: string): Promise<boolean> {
  const first = await store.events.readUserHistory(userId, { afterVersion: 0, limit: 1 });
  return first.length > 0;
}

function toHistoryEvent(event: UserEvent): HistoryEvent {
  const { eventId, type, version, occurredAt, data, requestId } = event;
  return { eventId, type, version, occurredAt: occurredAt.toISOString(), data, requestId };
}

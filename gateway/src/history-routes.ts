import { type HistoryQuery } from '@user-service/common/store';
import { parseRfc3339, problems, type QueryValues } from '@user-service/common/http';
import { type UserEvent, type UserEventType } from '@user-service/common/domain';
import type { UserLog } from './user-log';
import type { QUERIES } from './query-schemas';
import { linkNext, pathId } from './request-parts';
import type { RouteHandler } from './route-table';

/** One event as a client sees it: the envelope's routing fields (partition) stay inside. */
export interface HistoryEvent {
  readonly eventId: string;
  readonly type: string;
  readonly version: number;
  readonly occurredAt: string;
  readonly data: unknown;
  readonly requestId: string | null;
}

type HistoryParameters = QueryValues<(typeof QUERIES.history)['parameters']>;

/**
 * `GET /api/user/{id}/events`: the user's events, oldest first, filtered by type, time and
 * version, a page at a time; straight from the log, so a deleted user keeps its history.
 */
export function userHistoryRoute(context: {
  readonly userLog: UserLog;
}): RouteHandler<HistoryParameters> {
  return async (req, res, parameters) => {
    const userId = pathId(req);
    const query = historyQuery(parameters);
    // One more than asked: whether there is a next page.
    const page = await context.userLog.history(userId, { ...query, limit: query.limit + 1 });
    if (page.length === 0 && !(await context.userLog.exists(userId)))
      throw problems.userNotFound(userId);
    const events = page.slice(0, query.limit);
    const last = events.at(-1);
    if (page.length > query.limit && last) linkNext(req, res, { after: String(last.version) });
    res.json(events.map(toHistoryEvent));
  };
}

function historyQuery({ type, from, to, after, limit }: HistoryParameters): HistoryQuery {
  return {
    afterVersion: after,
    limit,
    ...(type === undefined ? {} : { types: type.split(',') as UserEventType[] }),
    ...(from === undefined ? {} : { from: time(from, 'from') }),
    ...(to === undefined ? {} : { to: time(to, 'to') }),
  };
}

function time(value: string, field: string): Date {
  const parsed = parseRfc3339(value, field);
  if (!parsed.ok) throw problems.validationError(parsed.errors);
  return parsed.value;
}

function toHistoryEvent(event: UserEvent): HistoryEvent {
  const { eventId, type, version, occurredAt, data, requestId } = event;
  return { eventId, type, version, occurredAt: occurredAt.toISOString(), data, requestId };
}

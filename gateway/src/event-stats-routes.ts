import { problems, type QueryValues } from '@user-service/common/http';
import { type Store } from '@user-service/common/store';
import type { QUERIES } from './query-schemas';
import type { RouteHandler } from './route-table';

const DAY_MS = 86_400_000;
/** Days in the range when `from` is not given: `to` and the 29 before it. */
const DEFAULT_DAYS = 30;
/** The longest range one request may ask for, both ends counted. */
const MAX_DAYS = 366;

type EventStatsQuery = QueryValues<(typeof QUERIES.eventStats)['parameters']>;

/**
 * `GET /api/stats/events?from&to`: how many events of each type occurred on each UTC day, counted
 * by the store from the log itself, so exact.
 */
export function eventStatsRoute(context: { readonly store: Store }): RouteHandler<EventStatsQuery> {
  return async (_req, res, query) => {
    const { from, to } = dayRange(query, new Date());
    res.json(await context.store.events.countEventsByDay(from, new Date(to.getTime() + DAY_MS)));
  };
}

/** The first and last day asked for (both included), as UTC midnights. */
function dayRange(query: EventStatsQuery, now: Date): { from: Date; to: Date } {
  const to = new Date(query.to ?? now.toISOString().slice(0, 10));
  const from =
    query.from === undefined
      ? new Date(to.getTime() - (DEFAULT_DAYS - 1) * DAY_MS)
      : new Date(query.from);
  if (from > to) {
    throw problems.validationError([{ field: 'from', message: 'must not be after to' }]);
  }
  const days = (to.getTime() - from.getTime()) / DAY_MS + 1;
  if (days > MAX_DAYS) {
    throw problems.validationError([
      { field: 'to', message: `must be at most ${MAX_DAYS} days from from, both included` },
    ]);
  }
  return { from, to };
}

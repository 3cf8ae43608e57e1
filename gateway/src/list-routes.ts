import { type QueryValues, requestIdOf } from '@user-service/common/http';
import type { Response } from 'express';
import type { QUERIES } from './query-schemas';
import { linkNext } from './request-parts';
import type { RouteHandler } from './route-table';
import { tokenOf } from './consistency-tokens';
import { type Consistency, countUsers, type ListContext, listUsers } from './user-lists';

type ListQuery = QueryValues<(typeof QUERIES.list)['parameters']>;
type CountQuery = QueryValues<(typeof QUERIES.count)['parameters']>;

/** `GET /api/user`: a page of live users in id order. */
export function listUsersRoute(context: ListContext): RouteHandler<ListQuery> {
  return async (req, res, { group, after, offset, limit }) => {
    const page = await listUsers(
      context,
      {
        limit,
        offset,
        ...(group === undefined ? {} : { group }),
        ...(after === undefined ? {} : { after }),
      },
      requestIdOf(res),
      tokenOf(res),
    );
    const last = page.users.at(-1);
    if (page.more && last) linkNext(req, res, { after: last.id, offset: null });
    withConsistency(res, page.consistency).json(page.users);
  };
}

/** `GET /api/user/count` */
export function countUsersRoute(context: ListContext): RouteHandler<CountQuery> {
  return async (_req, res, { group }) => {
    const counts = await countUsers(context, group, requestIdOf(res), tokenOf(res));
    withConsistency(res, counts.consistency).json({ count: counts.total });
  };
}

/** `GET /api/stats/users`: live users in total and per group. */
export function userStatsRoute(context: ListContext): RouteHandler<unknown> {
  return async (_req, res) => {
    const counts = await countUsers(context, undefined, requestIdOf(res), tokenOf(res));
    withConsistency(res, counts.consistency).json({ total: counts.total, byGroup: counts.byGroup });
  };
}

function withConsistency(res: Response, consistency: Consistency): Response {
  return res.set('X-Consistency', consistency);
}

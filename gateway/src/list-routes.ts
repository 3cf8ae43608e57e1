import { rememberRoute, requestIdOf } from '@user-service/common';
import { type Response, Router } from 'express';
import { DEFAULT_LIMIT, QUERIES } from './query-schemas';
import { linkNext, onlyGet, validQuery } from './request-parts';
import { type Consistency, countUsers, type ListContext, listUsers } from './user-lists';

/** `GET /api/user` (a page of live users in id order) and `GET /api/user/count`. */
export function listRoutes(context: ListContext): Router {
  const router = Router();
  router.get('/', rememberRoute, async (req, res) => {
    const { group, after, offset, limit } = validQuery(req, QUERIES.list);
    const page = await listUsers(
      context,
      {
        limit: limit === undefined ? DEFAULT_LIMIT : Number(limit),
        offset: offset === undefined ? 0 : Number(offset),
        ...(group === undefined ? {} : { group: Number(group) }),
        ...(after === undefined ? {} : { after: String(after) }),
      },
      requestIdOf(res),
    );
    const last = page.users.at(-1);
    if (page.more && last) linkNext(req, res, { after: last.id, offset: null });
    withConsistency(res, page.consistency).json(page.users);
  });
  router.get('/count', rememberRoute, async (req, res) => {
    const { group } = validQuery(req, QUERIES.count);
    const counts = await countUsers(
      context,
      group === undefined ? undefined : Number(group),
      requestIdOf(res),
    );
    withConsistency(res, counts.consistency).json({ count: counts.total });
  });
  return router;
}

/** `GET /api/stats/users`: live users in total and per group. */
export function userStatsRoutes(context: ListContext): Router {
  const router = Router();
  router.get('/users', rememberRoute, async (req, res) => {
    validQuery(req, QUERIES.userStats);
    const counts = await countUsers(context, undefined, requestIdOf(res));
    withConsistency(res, counts.consistency).json({ total: counts.total, byGroup: counts.byGroup });
  });
  router.all('/users', rememberRoute, onlyGet);
  return router;
}

function withConsistency(res: Response, consistency: Consistency): Response {
  return res.set('X-Consistency', consistency);
}

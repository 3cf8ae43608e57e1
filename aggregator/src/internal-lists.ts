import {
  COMMON_PARAMETERS,
  problems,
  type QueryParameters,
  type QueryValidator,
  type QueryValues,
  queryValidator,
  rememberRoute,
} from '@user-service/common/http';
import { listedUsersOf } from '@user-service/common/personal-data';
import { type Request, Router } from 'express';
import type { AggregatorReads } from './aggregator-reads';

/** How long a list may wait for the writes the asking gateway made (as long as a user read). */
const POSITION_WAIT_MS = 50;
/** A page is at most the gateway's largest `offset + limit + 1`; this bounds what one call costs. */
const MAX_PAGE = 101_001;
const DEFAULT_PAGE = 100;

const position = {
  schema: { type: 'string', pattern: '^[0-9.]{1,64}$' },
  expected: 'a commit position this store handed out',
} as const;
const { group, afterUser } = COMMON_PARAMETERS;
const readPage = queryValidator({
  position,
  group,
  after: afterUser,
  limit: {
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
    expected: `an integer from 1 to ${MAX_PAGE}`,
  },
});
const readCounts = queryValidator({ position, group });

/**
 * The gateway's lists and counts: `GET /internal/users?after&group&limit` answers a page of the
 * live users held here in id order, `GET /internal/user-counts?group` their number per group.
 * Both answer only what is exact: while this copy is not caught up, holds a user it cannot read,
 * or has not applied the asking gateway's latest write here (`position`) within a short wait,
 * they refuse, and the gateway reads the snapshot instead.
 */
export function internalListRoutes(aggregator: AggregatorReads): Router {
  const router = Router();
  router.get('/internal/users', rememberRoute, async (req, res) => {
    const { limit, after, group } = await exactQuery(aggregator, req, readPage);
    const page = aggregator.users.page({
      limit,
      ...(after === undefined ? {} : { after }),
      ...(group === undefined ? {} : { group }),
    });
    // A user this aggregator cannot open (a key its master keys do not unwrap, a damaged value)
    // is named for the gateway, which leaves it out and says so, rather than failing the page.
    res.json(listedUsersOf(await aggregator.opened.openPage(page)));
  });
  router.get('/internal/user-counts', rememberRoute, async (req, res) => {
    const { group } = await exactQuery(aggregator, req, readCounts);
    const counts = aggregator.users.countByGroup(group);
    res.json({ byGroup: Object.fromEntries(counts) });
  });
  return router;
}

async function exactQuery<P extends QueryParameters & { readonly position: typeof position }>(
  aggregator: AggregatorReads,
  req: Request,
  validate: QueryValidator<P>,
): Promise<QueryValues<P>> {
  if (!aggregator.isReady) throw problems.notReady();
  const parked = aggregator.users.anyParked();
  if (parked) throw problems.userUnreadable(parked);
  const query = validate(req.url.split('?', 2)[1] ?? '');
  if (!query.ok) throw problems.validationError(query.errors);
  const written: string | undefined = query.value.position;
  if (written !== undefined && !(await reaches(aggregator, written)))
    throw problems.positionNotApplied();
  return query.value;
}

async function reaches(aggregator: AggregatorReads, written: string): Promise<boolean> {
  try {
    return await aggregator.positions.waitFor(written, POSITION_WAIT_MS);
  } catch {
    throw problems.validationError([
      { field: 'position', message: `must be ${position.expected}` },
    ]);
  }
}

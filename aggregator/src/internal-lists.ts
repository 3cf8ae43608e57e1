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
import { type AggregatorReads, readsOf, type ServedPartitions } from './aggregator-reads';
import { reachesPosition } from './internal-read';

/** How long a list may wait for the positions it is asked to reach (as long as a user read). */
const POSITION_WAIT_MS = 50;
/** A page is at most the gateway's largest `offset + limit + 1`; this bounds what one call costs. */
const MAX_PAGE = 101_001;
const DEFAULT_PAGE = 100;

const partitions = {
  schema: { type: 'string', pattern: '^[0-9]{1,4}(,[0-9]{1,4}){0,4095}$' },
  expected: 'partition numbers, comma-separated',
} as const;
const positions = {
  schema: {
    type: 'string',
    pattern: '^[0-9]{1,4}:[0-9.]{1,64}(,[0-9]{1,4}:[0-9.]{1,64}){0,4095}$',
  },
  expected: 'partition:position pairs, comma-separated',
} as const;
const { group, afterUser } = COMMON_PARAMETERS;
const readPage = queryValidator({
  positions,
  partitions,
  group,
  after: afterUser,
  limit: {
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE, default: DEFAULT_PAGE },
    expected: `an integer from 1 to ${MAX_PAGE}`,
  },
});
const readCounts = queryValidator({ positions, partitions, group });

/**
 * The gateway's lists and counts over some partitions held here (`partitions`):
 * `GET /internal/users?partitions&after&group&limit` answers a page of their live users in id
 * order, `GET /internal/user-counts?partitions&group` their number per group. Both answer only
 * what is exact: while one of the partitions is not held here under a trusted lease, not caught
 * up, holds a user it cannot read, or has not applied `positions` (per partition, the asking
 * gateway's latest write there, or a client's consistency token's) within a short wait, they
 * refuse, and the gateway reads the snapshot instead.
 */
export function internalListRoutes(served: ServedPartitions): Router {
  const router = Router();
  router.get('/internal/users', rememberRoute, async (req, res) => {
    const { aggregator, limit, after, group } = await exactQuery(served, req, readPage);
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
    const { aggregator, group } = await exactQuery(served, req, readCounts);
    const counts = aggregator.users.countByGroup(group);
    res.json({ byGroup: Object.fromEntries(counts) });
  });
  return router;
}

async function exactQuery<
  P extends QueryParameters & {
    readonly positions: typeof positions;
    readonly partitions: typeof partitions;
  },
>(
  served: ServedPartitions,
  req: Request,
  validate: QueryValidator<P>,
): Promise<QueryValues<P> & { readonly aggregator: AggregatorReads }> {
  const query = validate(req.url.split('?', 2)[1] ?? '');
  if (!query.ok) throw problems.validationError(query.errors);
  const asked: string | undefined = query.value.partitions;
  if (asked === undefined)
    throw problems.validationError([{ field: 'partitions', message: 'is required' }]);
  const aggregator = readsOf(served, asked.split(',').map(Number));
  if (!aggregator.isReady) throw problems.notReady();
  const parked = aggregator.users.anyParked();
  if (parked) throw problems.userUnreadable(parked);
  const written: string | undefined = query.value.positions;
  if (written !== undefined && !(await reachesAll(served, written)))
    throw problems.positionNotApplied();
  return { ...query.value, aggregator };
}

/** Whether each partition named has applied its position, every one waiting at once. */
async function reachesAll(served: ServedPartitions, positions: string): Promise<boolean> {
  const reached = await Promise.all(
    positions.split(',').map((pair) => {
      const [partition = '', position = ''] = pair.split(':');
      return reachesPosition(readsOf(served, [Number(partition)]), position, POSITION_WAIT_MS);
    }),
  );
  return reached.every(Boolean);
}

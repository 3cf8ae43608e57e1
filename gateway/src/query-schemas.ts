import { COMMON_PARAMETERS, queryValidator } from '@user-service/common/http';
import { USER_EVENT_TYPES } from '@user-service/common/domain';

/** The largest page of users or events one request answers. */
export const MAX_LIMIT = 1000;
export const DEFAULT_LIMIT = 100;
/**
 * The deepest `offset` a list takes: each aggregator sends `offset + limit + 1` users, so deeper
 * pages would cost more than they are worth; `after` (the `Link` the answer gives) goes anywhere.
 */
export const MAX_OFFSET = 100_000;

const limit = {
  schema: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, default: DEFAULT_LIMIT },
  expected: `an integer from 1 to ${MAX_LIMIT}`,
} as const;
const { group, afterUser } = COMMON_PARAMETERS;
const dateTime = {
  schema: { type: 'string', format: 'date-time' },
  expected: 'an RFC 3339 date-time such as 2026-11-22T01:47:42.123Z',
} as const;
const day = {
  schema: { type: 'string', format: 'date' },
  expected: 'a date such as 2026-11-22',
} as const;

/** Every query parameter of every gateway route, in one place: the routes validate with these. */
export const QUERIES = {
  /** Writes take no query parameters: one sent by mistake is refused rather than ignored. */
  none: queryValidator({}),
  /** `GET /api/user/{id}`: the current state, or as of a version or a time. */
  user: queryValidator({
    version: {
      schema: { type: 'integer', minimum: 1, maximum: Number.MAX_SAFE_INTEGER },
      expected: 'a positive integer',
    },
    at: dateTime,
  }),
  /** `GET /api/user/{id}/events` */
  history: queryValidator({
    type: {
      schema: {
        type: 'string',
        pattern: `^(${USER_EVENT_TYPES.join('|')})(,(${USER_EVENT_TYPES.join('|')}))*$`,
      },
      expected: `one or more of ${USER_EVENT_TYPES.join(', ')}, separated by commas`,
    },
    from: dateTime,
    to: dateTime,
    after: {
      schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
      expected: 'an integer of 0 or more',
    },
    limit,
  }),
  /** `GET /api/user` */
  list: queryValidator({
    group,
    limit,
    after: afterUser,
    offset: {
      schema: { type: 'integer', minimum: 0, maximum: MAX_OFFSET, default: 0 },
      expected: `an integer from 0 to ${MAX_OFFSET}`,
    },
  }),
  /** `GET /api/user/count` */
  count: queryValidator({ group }),
  /** `GET /api/stats/users`: no parameters either. */
  userStats: queryValidator({}),
  /** `GET /api/stats/events` */
  eventStats: queryValidator({ from: day, to: day }),
};

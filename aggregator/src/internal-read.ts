import { HttpProblem, problems, queryValidator } from '@user-service/common/http';
import { StoreUnavailableError } from '@user-service/common/store';
import { validateUserId } from '@user-service/common/domain';
import { type AggregatorReads, readsOf, type ServedPartitions } from './aggregator-reads';
import { answerPlainly, type PlainAnswer, type PlainRead } from './plain-answer';

export const READ_PREFIX = '/internal/users/';
const ROUTE = '/internal/users/:id';
/** How long a read may wait for a version the caller knows was written. */
const VERSION_WAIT_MS = 50;

/**
 * `minVersion`: at least this version (0: any); `deleted=true`: that write was a delete;
 * `position`: every change committed up to this commit position applied (a client's consistency
 * token).
 */
export const POSITION_PARAMETER = {
  schema: { type: 'string', pattern: '^[0-9.]{1,64}$' },
  expected: 'a commit position this store handed out',
} as const;
const readQuery = queryValidator({
  position: POSITION_PARAMETER,
  minVersion: {
    schema: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, default: 0 },
    expected: 'a non-negative integer',
  },
  deleted: { schema: { type: 'string', enum: ['true'] }, expected: 'true when present' },
});

/**
 * GET /internal/users/:id?minVersion=n, the one request every gateway read makes, served on
 * plain node:http: express's routing and middleware cost more than the read itself (see
 * bench/README.md). `minVersion` (and `deleted=true` when that write was a delete) carries
 * read-your-writes: the gateway asks for at least the version it last wrote, and gets 409 if
 * this copy does not reach it within a short wait, so that it answers from the store instead of
 * serving an older state.
 */
export const serveInternalRead: PlainRead = (served, req, res, reads, log) =>
  answerPlainly(req, res, log, ROUTE, async () => {
    const answered = await answer(served, req.url ?? '');
    reads.inc({ status: String(answered.status) });
    return answered;
  });

async function answer(served: ServedPartitions, url: string): Promise<PlainAnswer> {
  try {
    const [encodedId = '', query = ''] = url.slice(READ_PREFIX.length).split('?', 2);
    const id = validateUserId(decode(encodedId));
    if (!id.ok) throw problems.validationError(id.errors);
    const parameters = readQuery(query);
    if (!parameters.ok) throw problems.validationError(parameters.errors);
    const { minVersion, deleted, position } = parameters.value;
    const floor = {
      minVersion,
      deleted: deleted !== undefined,
      waitMs: VERSION_WAIT_MS,
      ...(position === undefined ? {} : { position }),
    };
    const reads = readsOf(served, [served.partitionOf(id.value)]);
    return await answerRead(reads, id.value, floor);
  } catch (error) {
    return asAnswer(error);
  }
}

/**
 * What a read asks beyond the user: a version it must reach, whether that write deleted, and
 * how long it may wait for it (at once 409 when 0).
 */
export interface ReadFloor {
  readonly minVersion: number;
  readonly deleted: boolean;
  /** Every change committed up to it applied here first (a client's consistency token). */
  readonly position?: string;
  readonly waitMs: number;
}

/** One user's answer, as its status and body: the user and its version, or a problem. */
export async function answerRead(
  aggregator: AggregatorReads,
  userId: string,
  { minVersion, deleted, position, waitMs }: ReadFloor,
): Promise<PlainAnswer> {
  try {
    if (!aggregator.isReady) throw problems.notReady();
    if (position !== undefined && !(await reachesPosition(aggregator, position, waitMs)))
      throw problems.positionNotApplied();
    const parked = aggregator.users.parkedBecause(userId);
    if (parked) throw problems.userUnreadable(parked);
    const held = aggregator.users.get(userId);
    // After the caller's own delete, "no such user" is already as new as its write, even when
    // this copy cannot tell the version: a deleted user leaves no trace in a restored snapshot.
    const currentEnough = held.version >= minVersion || (deleted && held.user === null);
    if (!currentEnough) {
      const reached =
        waitMs > 0 && (await aggregator.users.waitForVersion(userId, minVersion, waitMs));
      if (!reached) throw problems.versionNotApplied(minVersion);
    }
    const { user, version } = aggregator.users.get(userId);
    const [opened] = user ? await aggregator.opened.open([user]) : [null];
    // An erasure under way (its key destroyed, its event not yet here) reads as no user too.
    if (!opened) throw problems.userNotFound(userId);
    return { status: 200, body: { user: opened, version } };
  } catch (error) {
    return asAnswer(error);
  }
}

/**
 * Whether every change up to `position` is applied here, waiting up to `waitMs` (not at all when
 * 0). A position that is not one of this store's is the caller's mistake: 400.
 */
export async function reachesPosition(
  aggregator: AggregatorReads,
  position: string,
  waitMs: number,
): Promise<boolean> {
  try {
    return await aggregator.positions.waitFor(position, waitMs);
  } catch {
    throw problems.validationError([
      { field: 'position', message: `must be ${POSITION_PARAMETER.expected}` },
    ]);
  }
}

/** A problem thrown while answering, as the answer; anything else is a fault and rethrown. */
export function asAnswer(error: unknown): PlainAnswer {
  // A user's key not held here is fetched from the store: unreachable, the gateway reads the
  // store itself (and answers 503 too, if it is down for the gateway as well).
  const problem = error instanceof StoreUnavailableError ? problems.storeUnavailable() : error;
  if (!(problem instanceof HttpProblem)) throw error;
  return { status: problem.status, body: problem.toDetails() };
}

function decode(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

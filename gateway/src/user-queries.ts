import { aggregatorOf, type AsOf, type User } from '@user-service/common/domain';
import { problems } from '@user-service/common/http';
import type { AggregatorClient } from './aggregator-client';
import { countFallbackRead, type GatewayMetrics } from './gateway-metrics';
import type { UserLog } from './user-log';
import type { WrittenVersions } from './written-versions';

export interface QueryContext {
  readonly userLog: UserLog;
  readonly aggregators: AggregatorClient;
  readonly aggregatorCount: number;
  readonly partitionOf: (userId: string) => number;
  readonly written: WrittenVersions;
  readonly metrics: GatewayMetrics;
}

/** A live user and the version its ETag names. */
export interface FoundUser {
  readonly version: number;
  readonly user: User;
}

/**
 * A read goes to the one aggregator owning the user's partition. When it cannot answer (down,
 * restoring, slow, failing, or behind a version this gateway wrote) the user is folded from the
 * store instead: exact, only slower. Null when there is no live user: never created, or deleted.
 */
export async function readUser(
  context: QueryContext,
  userId: string,
  requestId: string,
): Promise<FoundUser | null> {
  const aggregator = aggregatorOf(context.partitionOf(userId), context.aggregatorCount);
  const ownWrite = context.written.get(userId);
  const answer = await context.aggregators.read(aggregator, { userId, ownWrite, requestId });
  switch (answer.kind) {
    case 'found':
      return { version: answer.version, user: answer.user };
    case 'notFound':
      return null;
    case 'unanswered': {
      countFallbackRead(context.metrics, aggregator, answer.reason);
      const { version, user } = (await context.userLog.load(userId)).state;
      return user ? { version, user } : null;
    }
  }
}

/**
 * The user as it was right after one of its versions, or as of a moment: folded from all its
 * events, so exact. Null when there was no live user then (or no such version). Throws the
 * `personal-data-erased` problem when there was one, but its personal data is erased since.
 */
export async function readUserAsOf(
  context: Pick<QueryContext, 'userLog'>,
  userId: string,
  asOf: AsOf,
): Promise<FoundUser | null> {
  const state = await context.userLog.asOf(userId, asOf);
  if (state?.erasure === 'unreadable') throw problems.personalDataErased(userId);
  return state?.user ? { version: state.version, user: state.user } : null;
}

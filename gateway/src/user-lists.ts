import { compareIds, partitionsOwnedBy, type User } from '@user-service/common/domain';
import { type Store } from '@user-service/common/store';
import type { AggregatorClient, ForwardedQuery, QueryRequest } from './aggregator-client';
import { countFallbackRead, type GatewayMetrics } from './gateway-metrics';
import type { UserLog } from './user-log';
import type { WrittenPositions } from './written-positions';

export interface ListContext {
  readonly store: Store;
  readonly userLog: UserLog;
  readonly aggregators: AggregatorClient;
  readonly aggregatorCount: number;
  readonly partitions: number;
  readonly writtenPositions: WrittenPositions;
  readonly metrics: GatewayMetrics;
}

/**
 * `exact`: every aggregator answered, having applied every write this gateway acknowledged to
 * its partitions. `snapshot`: some partitions were read from their last snapshot instead.
 * `partial` (a page only): some users that match could not be opened here (a key the master keys
 * do not unwrap, a damaged value), and are left out; it says more than `snapshot`, so it wins.
 */
export type Consistency = 'exact' | 'snapshot' | 'partial';

export interface UserListQuery {
  readonly group?: number;
  readonly after?: string;
  readonly offset: number;
  readonly limit: number;
}

export interface UserPage {
  readonly users: readonly User[];
  /** More users match after the last one of this page. */
  readonly more: boolean;
  readonly consistency: Consistency;
}

export interface UserCounts {
  readonly total: number;
  readonly byGroup: Readonly<Record<string, number>>;
  readonly consistency: Consistency;
}

/**
 * A page of live users in id order across all aggregators: one call to each, asking for the
 * first `offset + limit + 1` users after `after`, merged; the extra one tells whether more follow.
 */
export async function listUsers(
  context: ListContext,
  query: UserListQuery,
  requestId: string,
): Promise<UserPage> {
  const wanted = query.offset + query.limit + 1;
  const { group, after } = query;
  const filter = {
    limit: wanted,
    ...(group === undefined ? {} : { group }),
    ...(after === undefined ? {} : { after }),
  };
  const answers = await fromEachAggregator(
    context,
    (aggregator, request) => context.aggregators.list(aggregator, { ...request, ...filter }),
    async (partitions) => context.userLog.snapshotPage(partitions, filter),
    requestId,
  );
  const merged = answers.values
    .flatMap((page) => page.users)
    .sort((a, b) => compareIds(a.id, b.id));
  const leftOut = answers.values.reduce((count, page) => count + page.unopenable.length, 0);
  if (leftOut > 0) context.metrics.usersLeftOut.inc(leftOut);
  return {
    users: merged.slice(query.offset, query.offset + query.limit),
    more: merged.length > query.offset + query.limit,
    consistency: leftOut > 0 ? 'partial' : answers.consistency,
  };
}

/** Live users per group (only `group` when given) and in total, across all aggregators. */
export async function countUsers(
  context: ListContext,
  group: number | undefined,
  requestId: string,
): Promise<UserCounts> {
  const answers = await fromEachAggregator(
    context,
    (aggregator, request) =>
      context.aggregators.countByGroup(aggregator, {
        ...request,
        ...(group === undefined ? {} : { group }),
      }),
    async (partitions) =>
      Object.fromEntries(await context.store.snapshots.countUsersByGroup(partitions, group)),
    requestId,
  );
  const byGroup: Record<string, number> = {};
  let total = 0;
  for (const counts of answers.values) {
    for (const [key, count] of Object.entries(counts)) {
      byGroup[key] = (byGroup[key] ?? 0) + count;
      total += count;
    }
  }
  return { total, byGroup, consistency: answers.consistency };
}

/**
 * Asks every aggregator at once; the partitions of one that cannot answer are read from their
 * snapshot in the store instead, so an aggregator's downtime makes the answer `snapshot`, never
 * an error.
 */
async function fromEachAggregator<T>(
  context: ListContext,
  ask: (aggregator: number, request: QueryRequest) => Promise<ForwardedQuery<T>>,
  fromSnapshot: (partitions: number[]) => Promise<T>,
  requestId: string,
): Promise<{ values: T[]; consistency: Consistency }> {
  let consistency: Consistency = 'exact';
  const values = await Promise.all(
    Array.from({ length: context.aggregatorCount }, async (_, aggregator) => {
      const position = context.writtenPositions.get(aggregator);
      const answer = await ask(aggregator, { position, requestId });
      if (answer.kind === 'answered') return answer.value;
      consistency = 'snapshot';
      countFallbackRead(context.metrics, aggregator, answer.reason);
      return fromSnapshot(
        partitionsOwnedBy(aggregator, context.aggregatorCount, context.partitions),
      );
    }),
  );
  return { values, consistency };
}

import { compareIds, type User } from '@user-service/common/domain';
import { type CommitPosition, type LeaseHolder, type Store } from '@user-service/common/store';
import type { AggregatorClient, ForwardedQuery, QueryRequest } from './aggregator-client';
import { countFallbackRead, type GatewayMetrics } from './gateway-metrics';
import type { PartitionOwners } from './partition-owners';
import { ownerMayHaveChanged } from './user-queries';
import type { UserLog } from './user-log';
import type { WrittenPositions } from './written-positions';

export interface ListContext {
  readonly store: Store;
  readonly userLog: UserLog;
  readonly aggregators: AggregatorClient;
  readonly owners: PartitionOwners;
  readonly writtenPositions: WrittenPositions;
  readonly metrics: GatewayMetrics;
}

/**
 * `exact`: every partition's owner answered, having applied every write this gateway acknowledged
 * there (and the client's consistency token's). `snapshot`: some partitions were read from their
 * last snapshot instead (no owner, or one that could not answer).
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
  token?: ReadonlyMap<number, CommitPosition>,
): Promise<UserPage> {
  const wanted = query.offset + query.limit + 1;
  const { group, after } = query;
  const filter = {
    limit: wanted,
    ...(group === undefined ? {} : { group }),
    ...(after === undefined ? {} : { after }),
  };
  const answers = await fromEachOwner(
    context,
    (aggregator, request) => context.aggregators.list(aggregator, { ...request, ...filter }),
    async (partitions) => context.userLog.snapshotPage(partitions, filter),
    { requestId, token },
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
  token?: ReadonlyMap<number, CommitPosition>,
): Promise<UserCounts> {
  const answers = await fromEachOwner(
    context,
    (aggregator, request) =>
      context.aggregators.countByGroup(aggregator, {
        ...request,
        ...(group === undefined ? {} : { group }),
      }),
    async (partitions) =>
      Object.fromEntries(await context.store.snapshots.countUsersByGroup(partitions, group)),
    { requestId, token },
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
 * Asks every owner at once for its partitions; the partitions of one that cannot answer, and those
 * without an owner, are read from their snapshot in the store instead, so an aggregator's downtime
 * makes the answer `snapshot`, never an error.
 */
async function fromEachOwner<T>(
  context: ListContext,
  ask: (owner: LeaseHolder, request: QueryRequest) => Promise<ForwardedQuery<T>>,
  fromSnapshot: (partitions: readonly number[]) => Promise<T>,
  {
    requestId,
    token,
  }: { requestId: string; token: ReadonlyMap<number, CommitPosition> | undefined },
): Promise<{ values: T[]; consistency: Consistency }> {
  let consistency: Consistency = 'exact';
  const { owned, unowned } = context.owners.shares();
  const fromOwners = owned.map(async ({ holder, partitions }) => {
    const positions = context.writtenPositions.atLeast(partitions, token);
    const answer = await ask(holder, { partitions, positions, requestId });
    if (answer.kind === 'answered') return answer.value;
    consistency = 'snapshot';
    if (ownerMayHaveChanged(answer)) context.owners.refreshSoon();
    countFallbackRead(context.metrics, holder.name, answer.reason);
    return fromSnapshot(partitions);
  });
  const withoutOwner = async () => {
    consistency = 'snapshot';
    countFallbackRead(context.metrics, null, 'unowned');
    return fromSnapshot(unowned);
  };
  const values = await Promise.all([
    ...fromOwners,
    ...(unowned.length > 0 ? [withoutOwner()] : []),
  ]);
  return { values, consistency };
}

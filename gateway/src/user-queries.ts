import { type AsOf, type User } from '@user-service/common/domain';
import { problems } from '@user-service/common/http';
import type { CommitPosition, LeaseHolder } from '@user-service/common/store';
import type { AggregatorClient, ForwardedRead, Unanswered } from './aggregator-client';
import { countFallbackRead, type GatewayMetrics } from './gateway-metrics';
import type { PartitionOwners } from './partition-owners';
import type { UserLog } from './user-log';
import type { OwnWrite, WrittenVersions } from './written-versions';

export interface QueryContext {
  readonly userLog: UserLog;
  readonly aggregators: AggregatorClient;
  readonly owners: PartitionOwners;
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
 * A read goes to the aggregator owning the user's partition. When it cannot answer (none owns it,
 * down, restoring, slow, failing, no longer the owner, or behind a version this gateway wrote or
 * the client's token names) the user is folded from the store instead: exact, only slower. Null
 * when there is no live user: never created, or deleted.
 */
export async function readUser(
  context: QueryContext,
  userId: string,
  requestId: string,
  token?: ReadonlyMap<number, CommitPosition>,
): Promise<FoundUser | null> {
  const partition = context.partitionOf(userId);
  const position = token?.get(partition);
  const owner = context.owners.ownerOf(partition);
  const answer = await askOwner(context, owner, {
    userId,
    ownWrite: context.written.get(userId),
    ...(position === undefined ? {} : { position }),
    requestId,
  });
  switch (answer.kind) {
    case 'found':
      return { version: answer.version, user: answer.user };
    case 'notFound':
      return null;
    case 'unanswered': {
      countFallbackRead(context.metrics, owner?.name ?? null, answer.reason);
      const { version, user } = (await context.userLog.load(userId)).state;
      return user ? { version, user } : null;
    }
  }
}

/**
 * A read of a partition's owner as the leases last said (`owners.ownerOf`); `unanswered` when
 * it has none or cannot answer, and the leases are read again soon when it may have moved.
 */
export async function askOwner(
  context: Pick<QueryContext, 'aggregators' | 'owners'>,
  owner: LeaseHolder | undefined,
  read: {
    readonly userId: string;
    readonly ownWrite: OwnWrite;
    readonly position?: CommitPosition;
    readonly requestId: string;
  },
): Promise<ForwardedRead> {
  const answer: ForwardedRead = owner
    ? await context.aggregators.read(owner, read)
    : { kind: 'unanswered', reason: 'unowned' };
  if (answer.kind === 'unanswered' && ownerMayHaveChanged(answer)) context.owners.refreshSoon();
  return answer;
}

/**
 * Whether an owner's failure to answer may mean the partition moved: it says so (`not-owner`),
 * or it is gone or stalled (`failed`, `circuit-open`), and another may have taken it over.
 */
export function ownerMayHaveChanged(answer: Unanswered): boolean {
  return (
    answer.reason === 'not-owner' || answer.reason === 'failed' || answer.reason === 'circuit-open'
  );
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

import { problems } from '@user-service/common/http';
import type { AppliedPositions } from './applied-positions';
import type { OpenedUsers } from './opened-users';
import type { UserProjection } from './projection';

/** The users an aggregator holds, as the read routes may see them: never to change them. */
export type HeldUsers = Pick<
  UserProjection,
  'get' | 'parkedBecause' | 'anyParked' | 'waitForVersion' | 'page' | 'countByGroup'
>;

/**
 * What the internal read routes need of an aggregator: whether it may answer from memory, the
 * users it holds (sealed), their opened personal data, and how far it has applied the store.
 */
export interface AggregatorReads {
  readonly isReady: boolean;
  readonly users: HeldUsers;
  readonly opened: Pick<OpenedUsers, 'open' | 'openPage'>;
  readonly positions: Pick<AppliedPositions, 'waitFor'>;
}

/**
 * Why some partitions cannot be read here: the node has not yet taken its partitions
 * (`joining`), does not hold one (`not-owner`), or holds it under a lease that can no longer be
 * trusted (`lease-expired`).
 */
export interface NotServed {
  readonly notServed: 'joining' | 'not-owner' | 'lease-expired';
}

/** The partitions a node serves, as its read routes see them. */
export interface ServedPartitions {
  partitionOf(userId: string): number;
  /** Reads over these partitions, or why they cannot be served from here. */
  readsFor(partitions: readonly number[]): AggregatorReads | NotServed;
}

/** Reads over the partitions, or the problem that refuses them (the gateway reads the store). */
export function readsOf(served: ServedPartitions, partitions: readonly number[]): AggregatorReads {
  const reads = served.readsFor(partitions);
  if (!('notServed' in reads)) return reads;
  switch (reads.notServed) {
    case 'not-owner':
      throw problems.notOwner(partitions);
    case 'joining':
      throw problems.notReady('Not serving yet: joining the other aggregators');
    case 'lease-expired':
      throw problems.notReady('The lease on the partition could not be renewed in time');
  }
}

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

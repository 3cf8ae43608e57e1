import { defineDataKeyStoreContract } from './data-key-store-contract';
import { defineEventStoreContract } from './event-store-contract';
import { defineIdempotencyStoreContract } from './idempotency-store-contract';
import { definePartitionLeasesContract } from './partition-leases-contract';
import { defineProjectionRebuildsContract } from './projection-rebuilds-contract';
import { defineSnapshotStoreContract } from './snapshot-store-contract';
import { type StoreFixture, storeUnderTest } from './store-under-test';

export type { StoreFixture } from './store-under-test';

export interface StoreContractOptions {
  /**
   * False when the fixture has no way to make a checkpoint fall out of the store's history (a
   * MongoDB server without test commands, whose fresh oplog never rolls over): the one test
   * that needs it is then reported as skipped, rather than run on a checkpoint that still works,
   * where it could only fail, or pass without testing anything if weakened. `loseHistorySince`
   * is never called then.
   */
  readonly canLoseHistory?: boolean;
}

/**
 * The behaviour every event store adapter must have. One definition, run against each adapter,
 * so that the in-memory store used by fast tests cannot drift from the MongoDB one.
 */
/**
 * The behaviour every store adapter must have, one port per file beside its tests. One definition,
 * run against each adapter, so that the in-memory store used by fast tests cannot drift from the
 * MongoDB one.
 */
export function defineStoreContract(
  createFixture: () => Promise<StoreFixture>,
  { canLoseHistory = true }: StoreContractOptions = {},
): void {
  const underTest = storeUnderTest(createFixture);
  describe('event store', () => defineEventStoreContract(underTest, { canLoseHistory }));
  describe('snapshot store', () => defineSnapshotStoreContract(underTest));
  describe('idempotency store', () => defineIdempotencyStoreContract(underTest));
  describe('data key store', () => defineDataKeyStoreContract(underTest));
  describe('partition leases', () => definePartitionLeasesContract(underTest));
  describe('projection rebuilds', () => defineProjectionRebuildsContract(underTest));
}

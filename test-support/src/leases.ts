import type { LeaseHolder, Store } from '@user-service/common/store';

/** Long enough that no lease taken by `leaseEveryPartition` runs out during a test. */
const HOUR_MS = 3_600_000;

/**
 * Leases every partition of the store to `holder` for an hour, as a live aggregator would hold
 * them: for a gateway under test that should route its reads to a stand-in at `holder.url`.
 */
export async function leaseEveryPartition(store: Store, holder: LeaseHolder): Promise<void> {
  const { partitions } = await store.layout();
  for (let partition = 0; partition < partitions; partition++)
    await store.leases.acquire(partition, holder, HOUR_MS);
}

import type { DataKeyStore } from './data-key-store';
import type { EventStore } from './event-store';
import type { IdempotencyStore } from './idempotency-store';
import type { PartitionLeases, StoreLayout } from './partition-leases';
import type { ProjectionRebuilds } from './projection-rebuilds';
import type { SnapshotStore } from './snapshot-store';

/** The store's ports, as one adapter provides them all; each port's contract is in its own file. */
export interface Store {
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
  readonly idempotency: IdempotencyStore;
  readonly dataKeys: DataKeyStore;
  readonly leases: PartitionLeases;
  readonly rebuilds: ProjectionRebuilds;
  /** What was fixed when the store was initialised; throws StoreUnavailableError if unreachable. */
  layout(): Promise<StoreLayout>;
  /** Resolves if the store answers now; throws StoreUnavailableError otherwise. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

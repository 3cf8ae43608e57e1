import { randomUUID } from 'node:crypto';
import { DEFAULT_PARTITIONS } from '../../domain/partitioning';
import type { StoreLayout } from '../partition-leases';
import type { Store } from '../store';
import { InMemoryDataKeyStore } from './memory-data-key-store';
import { InMemoryEventStore } from './memory-event-store';
import { InMemoryIdempotencyStore } from './memory-idempotency-store';
import { InMemoryPartitionLeases } from './memory-partition-leases';
import { InMemoryProjectionRebuilds } from './memory-projection-rebuilds';
import { InMemorySnapshotStore } from './memory-snapshot-store';
import { OutageSwitch } from './outage-switch';

export interface InMemoryStoreOptions {
  /** The partition count, fixed for the store's life as mongo-init fixes it for a database. */
  readonly partitions?: number;
  /** The store's clock for lease expiry; tests pass a fake one. */
  readonly now?: () => number;
}

/** STORE=memory: everything lives in this process and is lost when it exits. */
export class InMemoryStore implements Store {
  /** Fault injection: `outage.setDown(true)` makes the store unreachable until set back. */
  readonly outage = new OutageSwitch();
  readonly leases: InMemoryPartitionLeases;
  readonly snapshots: InMemorySnapshotStore;
  readonly rebuilds: InMemoryProjectionRebuilds;
  readonly idempotency = new InMemoryIdempotencyStore(this.outage);
  readonly dataKeys = new InMemoryDataKeyStore(this.outage);
  // Reads and writes the other three in its one-call reads and atomic appends, as the MongoDB
  // adapter reads and writes their collections in one command or transaction.
  readonly events: InMemoryEventStore;
  private readonly fixed: StoreLayout;

  constructor(options: InMemoryStoreOptions = {}) {
    this.fixed = { partitions: options.partitions ?? DEFAULT_PARTITIONS, storeId: randomUUID() };
    this.leases = new InMemoryPartitionLeases(this.outage, options.now);
    this.snapshots = new InMemorySnapshotStore(this.outage, this.leases);
    this.rebuilds = new InMemoryProjectionRebuilds(this.outage, this.fixed.partitions, (p) =>
      this.snapshots.generationOf(p),
    );
    this.events = new InMemoryEventStore(this.outage, this);
  }

  async layout(): Promise<StoreLayout> {
    this.outage.check('read the layout');
    return this.fixed;
  }

  async ping(): Promise<void> {
    this.outage.check('ping');
  }

  async close(): Promise<void> {}
}

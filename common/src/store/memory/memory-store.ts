import type { Store } from '../store';
import { InMemoryDataKeyStore } from './memory-data-key-store';
import { InMemoryEventStore } from './memory-event-store';
import { InMemoryIdempotencyStore } from './memory-idempotency-store';
import { InMemorySnapshotStore } from './memory-snapshot-store';
import { OutageSwitch } from './outage-switch';

/** STORE=memory: everything lives in this process and is lost when it exits. */
export class InMemoryStore implements Store {
  /** Fault injection: `outage.setDown(true)` makes the store unreachable until set back. */
  readonly outage = new OutageSwitch();
  readonly snapshots = new InMemorySnapshotStore(this.outage);
  readonly idempotency = new InMemoryIdempotencyStore(this.outage);
  readonly dataKeys = new InMemoryDataKeyStore(this.outage);
  // Reads and writes the other three in its one-call reads and atomic appends, as the MongoDB
  // adapter reads and writes their collections in one command or transaction.
  readonly events = new InMemoryEventStore(this.outage, this);

  async ping(): Promise<void> {
    this.outage.check('ping');
  }

  async close(): Promise<void> {}
}

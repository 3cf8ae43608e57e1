import type { Store } from '../ports';
import { InMemoryEventStore } from './memory-event-store';
import { InMemorySnapshotStore } from './memory-snapshot-store';

/** STORE=memory: everything lives in this process and is lost when it exits. */
export class InMemoryStore implements Store {
  readonly events = new InMemoryEventStore();
  readonly snapshots = new InMemorySnapshotStore();

  async close(): Promise<void> {}
}

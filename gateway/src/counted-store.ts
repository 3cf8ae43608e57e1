import type { Store } from '@user-service/common';
import type { Counter } from 'prom-client';

/**
 * The store as the gateway uses it, counting each operation, so that "one append per write" and
 * the reads around it can be seen from outside (the benchmark's complexity check reads these).
 */
export function countedStore(store: Store, operations: Counter<'operation'>): Store {
  const count = <T>(operation: string, call: () => Promise<T>): Promise<T> => {
    operations.inc({ operation });
    return call();
  };
  return {
    events: {
      append: (...args) => count('append', () => store.events.append(...args)),
      readUserEvents: (...args) => count('read_user_events', () => store.events.readUserEvents(...args)),
      subscribe: (...args) => store.events.subscribe(...args),
    },
    snapshots: {
      save: (...args) => count('save_snapshot', () => store.snapshots.save(...args)),
      load: (...args) => count('load_snapshot', () => store.snapshots.load(...args)),
      loadUser: (...args) => count('load_user_snapshot', () => store.snapshots.loadUser(...args)),
    },
    close: () => store.close(),
  };
}

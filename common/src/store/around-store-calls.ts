import type { Store } from './ports';
import { wrapStore } from './wrap-store';

export type StoreOperation =
  'append' | 'read_user_events' | 'save_snapshot' | 'load_snapshot' | 'load_user_snapshot' | 'ping';

export type AroundCall = <T>(operation: StoreOperation, call: () => Promise<T>) => Promise<T>;

/**
 * The same store with every call that answers a request passed through `around` (to count it,
 * to bound it). Subscriptions and closing pass straight through: they are not requests.
 */
export function aroundStoreCalls(store: Store, around: AroundCall): Store {
  return wrapStore(store, {
    events: {
      append: (...args) => around('append', () => store.events.append(...args)),
      readUserEvents: (...args) =>
        around('read_user_events', () => store.events.readUserEvents(...args)),
    },
    snapshots: {
      save: (...args) => around('save_snapshot', () => store.snapshots.save(...args)),
      load: (...args) => around('load_snapshot', () => store.snapshots.load(...args)),
      loadUser: (...args) => around('load_user_snapshot', () => store.snapshots.loadUser(...args)),
    },
    ping: () => around('ping', () => store.ping()),
  });
}

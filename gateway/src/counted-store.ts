import { aroundStoreCalls, type Store } from '@user-service/common/store';
import type { Counter } from 'prom-client';

/**
 * The store as the gateway uses it, counting each operation, so that "one append per write" and
 * the reads around it can be seen from outside (the benchmark's complexity check reads these).
 */
export function countedStore(store: Store, operations: Counter<'operation'>): Store {
  return aroundStoreCalls(store, (operation, call) => {
    operations.inc({ operation });
    return call();
  });
}

import { aroundStoreCalls } from './around-store-calls';
import { StoreUnavailableError } from './errors';
import type { Store } from './store';

/**
 * The store with a deadline on every request-path call: one that has not settled after
 * `timeoutMs` fails with StoreUnavailableError, so the request gets its 503 in time whatever the
 * store does. The call itself goes on until the driver's own bounds (wtimeout, maxTimeMS, the
 * pool's wait queue) end it, so connections are not held for long either.
 */
export function boundedStore(store: Store, timeoutMs: number): Store {
  return aroundStoreCalls(store, (operation, call) => withDeadline(call(), timeoutMs, operation));
}

export function withDeadline<T>(
  work: Promise<T>,
  timeoutMs: number,
  operation: string,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new StoreUnavailableError(
            `the store did not answer ${operation} within ${timeoutMs} ms; its outcome is unknown`,
          ),
        ),
      timeoutMs,
    );
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

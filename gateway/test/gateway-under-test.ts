import {
  aroundStoreCalls,
  type Store,
  StoreUnavailableError,
  VersionConflictError,
} from '@user-service/common/store';
import {
  type ApiSpecification,
  apiSpecification,
  type StartApi,
  TEST_INTERNAL_TOKEN,
  TEST_MASTER_KEYS,
  leaseEveryPartition,
} from '@user-service/test-support';
import { createServer, type Socket } from 'node:net';
import { PassThrough } from 'node:stream';
import { startGatewayNode } from '../src/gateway-node';

export interface HangingUpAggregator {
  readonly url: string;
  close(): Promise<void>;
}

/**
 * An aggregator that hangs up on every request, as a dead one would: each read the gateway
 * forwards to it fails at once, and the gateway folds the user from the store instead.
 */
export async function hangingUpAggregator(): Promise<HangingUpAggregator> {
  const server = createServer((socket: Socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Starts the gateway as its process does (bounded, counted store; its own HTTP server on a free
 * port), on the spec's store as `around` changes it, with one aggregator at `aggregatorUrl`
 * holding every partition's lease.
 */
export function startGateway(
  aggregatorUrl: string,
  around: (store: Store) => Store = (store) => store,
): StartApi {
  return async (store) => {
    await leaseEveryPartition(store, { name: 'hanging-up', url: aggregatorUrl });
    return startGatewayNode({
      store: around(store),
      masterKeys: TEST_MASTER_KEYS,
      port: 0,
      forwardTimeoutMs: 1000,
      internalToken: TEST_INTERNAL_TOKEN,
      storeTimeoutMs: 1000,
      logLevel: 'error',
      logStream: new PassThrough().resume(),
    });
  };
}

/**
 * API specifications on a gateway whose one aggregator hangs up, so that every read is folded
 * from the store: for tests of the gateway's own answers. The aggregator is started before the
 * enclosing `describe`'s tests and stopped after them; `around` changes the spec's store.
 */
export function specsOnHangingUpAggregator(): (
  around?: (store: Store) => Store,
) => ApiSpecification {
  let aggregator: HangingUpAggregator | undefined;
  beforeAll(async () => {
    aggregator = await hangingUpAggregator();
  });
  afterAll(() => aggregator?.close());
  return (around) => {
    if (!aggregator) throw new Error('specs are made inside a test, once the aggregator is up');
    return apiSpecification(startGateway(aggregator.url, around));
  };
}

/** A store that cannot be reached: every call fails as a timed-out one does. */
export const unreachable = (store: Store): Store =>
  aroundStoreCalls(store, (operation) =>
    Promise.reject(new StoreUnavailableError(`${operation}: store unreachable`)),
  );

/** A store where every append loses the race for its version to another writer. */
export const alwaysContended = (store: Store): Store =>
  aroundStoreCalls(store, (operation, call) =>
    operation === 'append' ? Promise.reject(new VersionConflictError('contended', 0)) : call(),
  );

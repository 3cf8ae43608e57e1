import type { Store } from '@user-service/common/store';
import { waitUntil } from '@user-service/common/lifecycle';
import { PassThrough } from 'node:stream';
import { type GatewayNode, startGatewayNode } from '@user-service/gateway';
import { InProcessCluster, type InProcessClusterOptions } from '@user-service/launcher';
import type { MasterKeyring } from '@user-service/common/personal-data';
import { TEST_MASTER_KEYS } from '@user-service/test-support';

/** A system for tests: three aggregators, free ports, and quiet logs unless asked otherwise. */
export function startTestSystem(
  options: Partial<InProcessClusterOptions> & { readonly store: Store },
): Promise<InProcessCluster> {
  return InProcessCluster.start({
    aggregatorCount: 3,
    snapshotEvery: 100,
    gatewayPort: 0,
    aggregatorBasePort: 0,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
    masterKeys: TEST_MASTER_KEYS,
    ...options,
  });
}

/**
 * Resolves once the partitions are settled among the running aggregators (each holds the share
 * the assignment gives it, and the gateway routes there) and the aggregators at `indexes` report
 * ready (caught up), or fails after 15 s.
 */
export async function untilAggregatorsReady(
  system: InProcessCluster,
  indexes: readonly number[],
): Promise<void> {
  await system.untilSettled();
  await waitUntil(() => indexes.every((index) => system.aggregator(index).aggregator.isReady), {
    describe: `aggregators ${indexes.join(', ')} to be ready`,
    timeoutMs: 10_000,
    intervalMs: 10,
  });
}

/**
 * Another gateway beside `system`, on `store` (the store its own gateway uses) and its
 * aggregators, as a deployment with two gateways runs; with the test master key unless told
 * another. Closed by the caller.
 */
export function startGatewayBeside(
  system: InProcessCluster,
  store: Store,
  masterKeys: MasterKeyring = TEST_MASTER_KEYS,
): Promise<GatewayNode> {
  return startGatewayNode({
    store,
    masterKeys,
    port: 0,
    internalToken: system.internalToken,
    forwardTimeoutMs: 1000,
    storeTimeoutMs: 2000,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
  });
}

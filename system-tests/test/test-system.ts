import type { Store } from '@user-service/common';
import { PassThrough } from 'node:stream';
import { InProcessCluster, type InProcessClusterOptions } from '@user-service/launcher';

/** A system for tests: three aggregators, free ports, and quiet logs unless asked otherwise. */
export function startTestSystem(
  options: Partial<InProcessClusterOptions> & { store: Store },
): Promise<InProcessCluster> {
  return InProcessCluster.start({
    aggregatorCount: 3,
    partitions: 12,
    snapshotEvery: 100,
    gatewayPort: 0,
    aggregatorBasePort: 0,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
    ...options,
  });
}

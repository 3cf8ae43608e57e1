import type { Store } from '@user-service/common';
import { PassThrough } from 'node:stream';
import { System, type SystemOptions } from '../src/system';

/** A system for tests: three aggregators, free ports, and quiet logs unless asked otherwise. */
export function startTestSystem(options: Partial<SystemOptions> & { store: Store }): Promise<System> {
  return System.start({
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

import type { Registry } from 'prom-client';
import {
  countMetricsOf,
  createLogger,
  createMetricsRegistry,
  publishMasterKeyIds,
  errorFields,
} from '@user-service/common/observability';
import { listen, type SlowClientLimits } from '@user-service/common/http';
import { type MasterKeyring, PersonalData } from '@user-service/common/personal-data';
import { partitionsOwnedBy } from '@user-service/common/domain';
import { type Store } from '@user-service/common/store';
import { Aggregator } from './aggregator';
import { createAggregatorMetrics } from './aggregator-metrics';
import { createInternalApi } from './internal-api';

export interface AggregatorNodeOptions {
  readonly index: number;
  readonly aggregatorCount: number;
  readonly partitions: number;
  readonly snapshotEvery: number;
  /** See AggregatorOptions.maxLagMs. */
  readonly maxLagMs?: number;
  /** See AggregatorOptions.checkpointEveryMs. */
  readonly checkpointEveryMs?: number;
  readonly store: Store;
  /** Unwraps the users' data keys (DATA_KEY), to open personal data for the gateways' reads. */
  readonly masterKeys: MasterKeyring;
  readonly port: number;
  /** The address it listens on; by default this machine only (HOST). */
  readonly host?: string;
  readonly logLevel?: string;
  readonly logStream?: NodeJS.WritableStream;
  readonly slowClientLimits?: SlowClientLimits;
  /**
   * Where its metrics go; by default a registry of its own with node's default metrics. A copy of
   * the system that lives for a moment (the launcher's warm-up) passes a bare one: the default
   * metrics' event-loop monitor and GC observer would outlive it.
   */
  readonly registry?: Registry;
  /** The secret every /internal/* call must present (INTERNAL_TOKEN): the gateways hold it. */
  readonly internalToken: string;
}

export interface AggregatorNode {
  readonly aggregator: Aggregator;
  readonly url: string;
  readonly port: number;
  /** Graceful: stops serving, then saves a final snapshot. */
  stop(): Promise<void>;
  /** Stops serving and drops the state in memory, with no final snapshot. */
  crash(): Promise<void>;
}

export async function startAggregatorNode(options: AggregatorNodeOptions): Promise<AggregatorNode> {
  const labels = { aggregator: String(options.index) };
  const log = createLogger({
    service: 'aggregator',
    fields: labels,
    ...(options.logLevel ? { level: options.logLevel } : {}),
    ...(options.logStream ? { stream: options.logStream } : {}),
  });
  const registry = options.registry ?? createMetricsRegistry(labels);
  publishMasterKeyIds(registry, options.masterKeys);
  // The store's own metrics (a MongoDB store's commands) are this process's too.
  const stopCountingStore = countMetricsOf(options.store, registry);
  const partitions = partitionsOwnedBy(options.index, options.aggregatorCount, options.partitions);
  const aggregator = new Aggregator({
    partitions,
    snapshotEvery: options.snapshotEvery,
    ...(options.maxLagMs ? { maxLagMs: options.maxLagMs } : {}),
    ...(options.checkpointEveryMs ? { checkpointEveryMs: options.checkpointEveryMs } : {}),
    store: options.store,
    // Its keys do not expire: it applies every UserErased of its users, and forgets the key then,
    // and it must answer its users from memory while the store is unreachable.
    personalData: new PersonalData(options.store.dataKeys, options.masterKeys, {
      ttlMs: Number.POSITIVE_INFINITY,
    }),
    log,
    metrics: createAggregatorMetrics(registry),
  });
  const server = await listen(
    createInternalApi(aggregator, log, registry, options.internalToken),
    options.port,
    { host: options.host, limits: options.slowClientLimits },
  );
  const { port, address } = server.address;
  log.info('aggregator listening', { address, port, partitions });
  aggregator
    .start()
    .catch((error: unknown) =>
      log.error('aggregator failed to start', { error: errorFields(error) }),
    );
  return {
    aggregator,
    port,
    url: server.url,
    async stop() {
      await server.close();
      await aggregator.stop();
      stopCountingStore();
    },
    async crash() {
      await server.close();
      await aggregator.crash();
      stopCountingStore();
    },
  };
}

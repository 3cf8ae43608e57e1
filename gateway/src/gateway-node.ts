import { boundedStore, type Store, StoreMisconfiguredError } from '@user-service/common/store';
import {
  countMetricsOf,
  createLogger,
  createMetricsRegistry,
  errorFields,
  publishMasterKeyIds,
} from '@user-service/common/observability';
import {
  listen,
  prepareBodyParsing,
  type RunningServer,
  type SlowClientLimits,
} from '@user-service/common/http';
import { type MasterKeyring, PersonalData } from '@user-service/common/personal-data';
import { partitionOf, prepareBodyCheckers } from '@user-service/common/domain';
import type { Registry } from 'prom-client';
import { type AccessTokenSettings, accessTokenVerifier } from './access-tokens';
import { AggregatorClient } from './aggregator-client';
import { createGatewayApp } from './gateway-app';
import { countedStore } from './counted-store';
import { createGatewayMetrics } from './gateway-metrics';
import { DEFAULT_IDEMPOTENCY_LEASE_MS, DEFAULT_IDEMPOTENCY_TTL_HOURS } from './idempotent-writes';
import { DEFAULT_OWNERS_REFRESH_MS, PartitionOwners } from './partition-owners';
import { KnownLayout } from './known-layout';

const HOUR_MS = 3_600_000;

export interface GatewayNodeOptions {
  readonly store: Store;
  /** Wraps and unwraps the users' data keys (DATA_KEY); the aggregators must hold the same. */
  readonly masterKeys: MasterKeyring;
  readonly port: number;
  /** The address it listens on; by default this machine only (HOST). */
  readonly host?: string;
  readonly forwardTimeoutMs: number;
  /** How often the partition leases are read again, to route to their owners. */
  readonly ownersRefreshMs?: number;
  /** How long a store operation may take before the request is answered 503. */
  readonly storeTimeoutMs: number;
  readonly logLevel?: string;
  readonly logStream?: NodeJS.WritableStream;
  readonly slowClientLimits?: SlowClientLimits;
  /** Presented to the aggregators as a bearer token (INTERNAL_TOKEN). */
  readonly internalToken: string;
  /** How clients' access tokens are checked (AUTH_*); without, the API asks for none. */
  readonly accessTokens?: AccessTokenSettings;
  /** How long the outcome of a request with an Idempotency-Key is remembered. */
  readonly idempotencyTtlMs?: number;
  /** How long an attempt holds its key before another gateway may take it over. */
  readonly idempotencyLeaseMs?: number;
  /**
   * The API's public base URL, under which problem `type`s are absolute (PUBLIC_BASE_URL).
   * Default: `http://localhost:<port>`, where a developer's own gateway answers.
   */
  readonly publicBaseUrl?: string;
  /** The clock that keys' leases and expiries are read against; tests move it by hand. */
  readonly now?: () => Date;
  /** Where its metrics go; by default a registry of its own with node's default metrics. */
  readonly registry?: Registry;
}

export interface GatewayNode {
  readonly url: string;
  /** Who owns each partition as this gateway last read the leases: for tests and drills. */
  readonly owners: Pick<PartitionOwners, 'shares' | 'ownerOf'>;
  close(): Promise<void>;
}

/** Where a gateway started on `port` on this machine answers; port 0 (any) names none. */
export function defaultPublicBaseUrl(port: number): string {
  return port === 0 ? 'http://localhost' : `http://localhost:${port}`;
}

export async function startGatewayNode(options: GatewayNodeOptions): Promise<GatewayNode> {
  const log = createLogger({
    service: 'gateway',
    ...(options.logLevel ? { level: options.logLevel } : {}),
    ...(options.logStream ? { stream: options.logStream } : {}),
  });
  const registry = options.registry ?? createMetricsRegistry();
  const metrics = createGatewayMetrics(registry);
  publishMasterKeyIds(registry, options.masterKeys);
  // The store's own metrics (a MongoDB store's commands) are this process's too.
  const stopCountingStore = countMetricsOf(options.store, registry);
  const aggregators = new AggregatorClient(
    { timeoutMs: options.forwardTimeoutMs, internalToken: options.internalToken },
    metrics,
    log,
  );
  const store = countedStore(
    boundedStore(options.store, options.storeTimeoutMs),
    metrics.storeOperations,
  );
  // Every partition a user's events are written to comes from the store's own count, never from
  // this process's configuration (docs/decisions/0015).
  const layout = new KnownLayout(() => store.layout());
  await layout.ensure().catch((error: unknown) => {
    if (error instanceof StoreMisconfiguredError) throw error;
    log.warn('cannot read the store’s layout yet; the first request that can will', {
      error: errorFields(error),
    });
  });
  const owners = new PartitionOwners(
    store.leases,
    () => (layout.isKnown ? layout.current.partitions : null),
    log,
    options.ownersRefreshMs ?? DEFAULT_OWNERS_REFRESH_MS,
    (current) => aggregators.retain(current),
  );
  await owners.start();
  const app = createGatewayApp({
    store,
    personalData: new PersonalData(store.dataKeys, options.masterKeys),
    aggregators,
    owners,
    layout,
    partitionOf: (userId) => partitionOf(userId, layout.current.partitions),
    metrics,
    registry,
    log,
    publicBaseUrl: options.publicBaseUrl ?? defaultPublicBaseUrl(options.port),
    ...(options.accessTokens === undefined
      ? {}
      : { accessTokens: accessTokenVerifier(options.accessTokens) }),
    idempotency: {
      ttlMs: options.idempotencyTtlMs ?? DEFAULT_IDEMPOTENCY_TTL_HOURS * HOUR_MS,
      leaseMs: options.idempotencyLeaseMs ?? DEFAULT_IDEMPOTENCY_LEASE_MS,
      now: options.now ?? (() => new Date()),
    },
  });
  // What the first requests would otherwise pay for, done before the gateway takes any (see
  // bench/README.md, the tail on a fresh system).
  prepareBodyCheckers();
  prepareBodyParsing();
  await aggregators.warmUp(owners.shares().owned.map((share) => share.holder));
  const server: RunningServer = await listen(app, options.port, {
    host: options.host,
    limits: options.slowClientLimits,
  });
  const { port, address } = server.address;
  log.info('gateway listening', { address, port });
  return {
    url: server.url,
    owners,
    async close() {
      await server.close();
      owners.close();
      await aggregators.close();
      stopCountingStore();
    },
  };
}

import { hostname } from 'node:os';
import {
  ConfigError,
  DEFAULT_AGGREGATOR_PORT,
  type Environment,
  integer,
  optionalInteger,
  optionalText,
  readConfig,
  readSharedConfig,
} from '@user-service/common/config';
import { DEFAULT_LEASE_MS } from './aggregator-node';

export function readAggregatorConfig(env: Environment) {
  const shared = readSharedConfig(env);
  const own = readConfig(env, {
    /**
     * Names this aggregator in the partition leases: unique among the live ones, and the same
     * after a restart, so that it takes its partitions straight back. Unset: `aggregator-<index>`
     * with AGGREGATOR_INDEX, this host's name otherwise (a container's, under Compose's --scale).
     */
    AGGREGATOR_NAME: optionalText(),
    /** Only to name it (above) when AGGREGATOR_NAME is unset: partitions go by lease, not by index. */
    AGGREGATOR_INDEX: optionalInteger({ min: 0, max: 4095 }),
    /** Where gateways reach it; unset, the address it listens on (HOST, PORT). */
    ADVERTISED_URL: optionalText(),
    PORT: integer({ default: DEFAULT_AGGREGATOR_PORT, min: 0, max: 65535 }),
    SNAPSHOT_EVERY: integer({ default: 100, min: 1 }),
    /** How long the aggregator may go without confirming it is caught up before it stops serving reads. */
    MAX_LAG_MS: integer({ default: 10_000, min: 100 }),
    /** How long a partition lease lasts unless renewed: a dead aggregator's partitions are taken over after it. */
    LEASE_MS: integer({ default: DEFAULT_LEASE_MS, min: 300, max: 600_000 }),
  });
  if (own.ADVERTISED_URL !== undefined && !/^https?:\/\/[^/?#]+\/?$/.test(own.ADVERTISED_URL)) {
    throw new ConfigError(
      `ADVERTISED_URL must be an http(s) URL of a host and port, got "${own.ADVERTISED_URL}"`,
    );
  }
  const name =
    own.AGGREGATOR_NAME ??
    (own.AGGREGATOR_INDEX === undefined ? hostname() : `aggregator-${own.AGGREGATOR_INDEX}`);
  return { ...shared, ...own, AGGREGATOR_NAME: name };
}

export type AggregatorConfig = ReturnType<typeof readAggregatorConfig>;

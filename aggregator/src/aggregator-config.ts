import {
  ConfigError,
  DEFAULT_AGGREGATOR_PORT,
  type Environment,
  integer,
  readConfig,
  readSharedConfig,
} from '@user-service/common/config';

export function readAggregatorConfig(env: Environment) {
  const shared = readSharedConfig(env);
  const own = readConfig(env, {
    AGGREGATOR_INDEX: integer({ min: 0 }),
    PORT: integer({ default: DEFAULT_AGGREGATOR_PORT, min: 0, max: 65535 }),
    SNAPSHOT_EVERY: integer({ default: 100, min: 1 }),
    /** How long the aggregator may go without confirming it is caught up before it stops serving reads. */
    MAX_LAG_MS: integer({ default: 10_000, min: 100 }),
  });
  if (own.AGGREGATOR_INDEX >= shared.AGG_N) {
    throw new ConfigError(
      `AGGREGATOR_INDEX must be below AGG_N (${shared.AGG_N}), got ${own.AGGREGATOR_INDEX}`,
    );
  }
  return { ...shared, ...own };
}

export type AggregatorConfig = ReturnType<typeof readAggregatorConfig>;

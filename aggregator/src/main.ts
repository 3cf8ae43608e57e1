import {
  configOrExit,
  looseSecretFiles,
  requireInternalToken,
  requireMongoUrl,
} from '@user-service/common/config';
import { createLogger } from '@user-service/common/observability';
import { stopOnSignals } from '@user-service/common/lifecycle';
import { connectOrExit } from '@user-service/common/store/mongo';
import { readAggregatorConfig } from './aggregator-config';
import { startAggregatorNode } from './aggregator-node';

// First of all, so that a signal stops the process even while it still waits for MongoDB.
const shutdown = stopOnSignals();

async function main(): Promise<void> {
  const config = configOrExit(() => {
    const read = readAggregatorConfig(process.env);
    return {
      ...read,
      MONGO_URL: requireMongoUrl(read),
      INTERNAL_TOKEN: requireInternalToken(read),
    };
  });
  const log = createLogger({
    service: 'aggregator',
    level: config.LOG_LEVEL,
    fields: { aggregator: config.AGGREGATOR_NAME },
  });
  for (const warning of looseSecretFiles(process.env)) log.warn(warning);
  const store = await connectOrExit(
    { ...config, partitionsGiven: process.env.PARTITIONS ? config.PARTITIONS : undefined },
    log,
  );
  shutdown.add(() => store.close());
  const node = await startAggregatorNode({
    name: config.AGGREGATOR_NAME,
    ...(config.ADVERTISED_URL === undefined ? {} : { advertisedUrl: config.ADVERTISED_URL }),
    leaseMs: config.LEASE_MS,
    expectedAggregators: config.AGG_N,
    snapshotEvery: config.SNAPSHOT_EVERY,
    maxLagMs: config.MAX_LAG_MS,
    store,
    masterKeys: config.masterKeys,
    port: config.PORT,
    host: config.HOST,
    logLevel: config.LOG_LEVEL,
    internalToken: config.INTERNAL_TOKEN,
  });
  shutdown.add(async () => {
    log.info('stopping: handing partitions over, each with a final snapshot');
    await node.stop();
  });
}

main().catch((error: unknown) => {
  // A start cut short by a signal fails because its store was closed under it: that is the stop, not a crash.
  if (!shutdown.stopping) throw error;
});

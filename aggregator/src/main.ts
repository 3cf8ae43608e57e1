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
    fields: { aggregator: String(config.AGGREGATOR_INDEX) },
  });
  for (const warning of looseSecretFiles(process.env)) log.warn(warning);
  const store = await connectOrExit(config, log);
  shutdown.add(() => store.close());
  const node = await startAggregatorNode({
    index: config.AGGREGATOR_INDEX,
    aggregatorCount: config.AGG_N,
    partitions: config.PARTITIONS,
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
    log.info('stopping: saving a final snapshot');
    await node.stop();
  });
}

main().catch((error: unknown) => {
  // A start cut short by a signal fails because its store was closed under it: that is the stop, not a crash.
  if (!shutdown.stopping) throw error;
});

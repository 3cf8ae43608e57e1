import { ConfigError, configOrExit, connectMongoWhenReachable, createLogger } from '@user-service/common';
import { readAggregatorConfig } from './aggregator-config';
import { startAggregatorNode } from './aggregator-node';

async function main(): Promise<void> {
  const config = configOrExit(() => {
    const read = readAggregatorConfig(process.env);
    if (read.STORE !== 'mongo' || !read.MONGO_URL) {
      throw new ConfigError('STORE=memory runs every service in one process: use `STORE=memory npm start`');
    }
    return { ...read, MONGO_URL: read.MONGO_URL };
  });
  const log = createLogger({ service: 'aggregator', level: config.LOG_LEVEL, fields: { aggregator: String(config.AGGREGATOR_INDEX) } });
  const store = await connectMongoWhenReachable(config.MONGO_URL, config.MONGO_DB, log);
  const node = await startAggregatorNode({
    index: config.AGGREGATOR_INDEX,
    aggregatorCount: config.AGG_N,
    partitions: config.PARTITIONS,
    snapshotEvery: config.SNAPSHOT_EVERY,
    store,
    port: config.PORT,
    logLevel: config.LOG_LEVEL,
  });
  const shutDown = async () => {
    log.info('stopping: saving a final snapshot');
    await node.stop();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutDown());
  process.once('SIGINT', () => void shutDown());
}

void main();

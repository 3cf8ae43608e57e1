import { ConfigError, configOrExit, connectMongoWhenReachable, createLogger } from '@user-service/common';
import { readGatewayConfig } from './gateway-config';
import { startGatewayNode } from './gateway-node';

async function main(): Promise<void> {
  const config = configOrExit(() => {
    const read = readGatewayConfig(process.env);
    if (read.STORE !== 'mongo' || !read.MONGO_URL) {
      throw new ConfigError('STORE=memory runs every service in one process: use `STORE=memory npm start`');
    }
    return { ...read, MONGO_URL: read.MONGO_URL };
  });
  const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const store = await connectMongoWhenReachable(config.MONGO_URL, config.MONGO_DB, log);
  const node = await startGatewayNode({
    store,
    port: config.PORT,
    aggregatorUrls: config.aggregatorUrls,
    partitions: config.PARTITIONS,
    forwardTimeoutMs: config.FORWARD_TIMEOUT_MS,
    logLevel: config.LOG_LEVEL,
  });
  const shutDown = async () => {
    await node.close();
    await store.close();
    process.exit(0);
  };
  process.once('SIGTERM', () => void shutDown());
  process.once('SIGINT', () => void shutDown());
}

void main();

import { configOrExit, connectOrExit, createLogger, requireMongoUrl, stopOnSignals } from '@user-service/common';
import { readGatewayConfig } from './gateway-config';
import { startGatewayNode } from './gateway-node';

async function main(): Promise<void> {
  const config = configOrExit(() => {
    const read = readGatewayConfig(process.env);
    return { ...read, MONGO_URL: requireMongoUrl(read) };
  });
  const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  const store = await connectOrExit(config, log);
  const node = await startGatewayNode({
    store,
    port: config.PORT,
    aggregatorUrls: config.aggregatorUrls,
    partitions: config.PARTITIONS,
    forwardTimeoutMs: config.FORWARD_TIMEOUT_MS,
    storeTimeoutMs: config.STORE_TIMEOUT_MS,
    logLevel: config.LOG_LEVEL,
    ...(config.INTERNAL_TOKEN ? { internalToken: config.INTERNAL_TOKEN } : {}),
  });
  stopOnSignals(async () => {
    await node.close();
    await store.close();
  });
}

void main();

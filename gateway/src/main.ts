import {
  configOrExit,
  looseSecretFiles,
  requireInternalToken,
  requireMongoUrl,
} from '@user-service/common/config';
import { createLogger } from '@user-service/common/observability';
import { stopOnSignals } from '@user-service/common/lifecycle';
import { connectOrExit } from '@user-service/common/store/mongo';
import { readGatewayConfig } from './gateway-config';
import { startGatewayNode } from './gateway-node';

// First of all, so that a signal stops the process even while it still waits for MongoDB.
const shutdown = stopOnSignals();

async function main(): Promise<void> {
  const config = configOrExit(() => {
    const read = readGatewayConfig(process.env);
    return {
      ...read,
      MONGO_URL: requireMongoUrl(read),
      INTERNAL_TOKEN: requireInternalToken(read),
    };
  });
  const log = createLogger({ service: 'gateway', level: config.LOG_LEVEL });
  for (const warning of looseSecretFiles(process.env)) log.warn(warning);
  const store = await connectOrExit(
    { ...config, partitionsGiven: process.env.PARTITIONS ? config.PARTITIONS : undefined },
    log,
  );
  shutdown.add(() => store.close());
  const node = await startGatewayNode({
    store,
    masterKeys: config.masterKeys,
    port: config.PORT,
    host: config.HOST,
    forwardTimeoutMs: config.FORWARD_TIMEOUT_MS,
    storeTimeoutMs: config.STORE_TIMEOUT_MS,
    idempotencyTtlMs: config.IDEMPOTENCY_TTL_HOURS * 3_600_000,
    ...(config.publicBaseUrl ? { publicBaseUrl: config.publicBaseUrl } : {}),
    logLevel: config.LOG_LEVEL,
    internalToken: config.INTERNAL_TOKEN,
    ...(config.accessTokens === undefined ? {} : { accessTokens: config.accessTokens }),
  });
  shutdown.add(() => node.close());
}

main().catch((error: unknown) => {
  // A start cut short by a signal fails because its store was closed under it: that is the stop, not a crash.
  if (!shutdown.stopping) throw error;
});

import {
  configOrExit,
  exitOnMisconfiguration,
  DEFAULT_AGGREGATOR_PORT,
  integer,
  optionalInteger,
  optionalText,
  readConfig,
  readSharedConfig,
  text,
} from '@user-service/common/config';
import { createLogger, errorText } from '@user-service/common/observability';
import { stopOnSignals } from '@user-service/common/lifecycle';
import {
  DEFAULT_GATEWAY_PORT,
  publicBaseUrl,
  readAccessTokenSettings,
} from '@user-service/gateway';
import { resolve } from 'node:path';
import { dataKeyFileBeside } from './data-key-file';
import { runOnMongo } from './mongo-mode';
import { runInMemory } from './memory-mode';
import { withLocalIssuer } from './local-issuer';

async function main(): Promise<void> {
  const env = await withLocalIssuer(process.env).catch(exitOnMisconfiguration);
  const config = configOrExit(() => {
    const read = {
      // Without MONGO_URL the launcher starts MongoDB itself.
      // Without DATA_KEY or DATA_KEY_FILE it makes a master key itself (see mongo-mode, memory-mode).
      ...readSharedConfig(env, { mongoUrl: 'optional', masterKeys: 'optional' }),
      ...readConfig(env, {
        PORT: integer({ default: DEFAULT_GATEWAY_PORT, min: 0, max: 65535 }),
        AGGREGATOR_BASE_PORT: integer({ default: DEFAULT_AGGREGATOR_PORT, min: 0, max: 65535 }),
        SNAPSHOT_EVERY: integer({ default: 100, min: 1 }),
        EMBEDDED_MONGO_DIR: text({ default: resolve(__dirname, '../../.data/mongo') }),
        EMBEDDED_MONGO_PORT: integer({ default: 27517, min: 1, max: 65535 }),
        PUBLIC_BASE_URL: optionalText(),
        /** In memory, the aggregators' lease time (on MongoDB each aggregator reads it itself). */
        LEASE_MS: optionalInteger({ min: 300, max: 600_000 }),
      }),
    };
    // Checked here, so that a bad value is the one line every bad setting is.
    const base =
      read.PUBLIC_BASE_URL === undefined ? undefined : publicBaseUrl(read.PUBLIC_BASE_URL);
    // On MongoDB the gateway process reads AUTH_* itself, from the environment it inherits.
    const accessTokens = readAccessTokenSettings(env, read.HOST);
    return {
      ...read,
      ...(base === undefined ? {} : { publicBaseUrl: base }),
      ...(accessTokens === undefined ? {} : { accessTokens }),
    };
  });
  const log = createLogger({ service: 'launcher', level: config.LOG_LEVEL });
  const stop =
    config.STORE === 'memory'
      ? await runInMemory(
          {
            aggregatorCount: config.AGG_N,
            partitions: config.PARTITIONS,
            ...(config.LEASE_MS === undefined ? {} : { leaseMs: config.LEASE_MS }),
            snapshotEvery: config.SNAPSHOT_EVERY,
            gatewayPort: config.PORT,
            aggregatorBasePort: config.AGGREGATOR_BASE_PORT,
            logLevel: config.LOG_LEVEL,
            masterKeys: config.masterKeys,
            gatewayHost: config.HOST,
            ...(config.accessTokens === undefined ? {} : { accessTokens: config.accessTokens }),
            ...(config.INTERNAL_TOKEN === undefined
              ? {}
              : { internalToken: config.INTERNAL_TOKEN }),
            // On MongoDB the gateway process reads PUBLIC_BASE_URL itself; here it is in-process.
            ...(config.publicBaseUrl === undefined ? {} : { publicBaseUrl: config.publicBaseUrl }),
          },
          log,
        )
      : await runOnMongo(
          {
            mongoUrl: config.MONGO_URL,
            mongoCredentials: config.mongoCredentials,
            dataDir: resolve(config.EMBEDDED_MONGO_DIR),
            port: config.EMBEDDED_MONGO_PORT,
            database: config.MONGO_DB,
            partitions: config.PARTITIONS,
            aggregatorCount: config.AGG_N,
            gatewayPort: config.PORT,
            aggregatorBasePort: config.AGGREGATOR_BASE_PORT,
            // ./.data/data-key, unless the environment gives the services a master key.
            dataKeyFile: config.masterKeys
              ? undefined
              : dataKeyFileBeside(resolve(config.EMBEDDED_MONGO_DIR)),
            internalToken: config.INTERNAL_TOKEN,
            gatewayHost: config.HOST,
            env,
          },
          log,
        );
  stopOnSignals(async () => {
    log.info('stopping');
    await stop();
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorText(error)}\n`);
  process.exit(1);
});

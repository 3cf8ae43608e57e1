import type { Credentials } from '../../config/credentials';
import { exitOnMisconfiguration } from '../../config/config-or-exit';
import type { Logger } from '../../observability';
import { StoreMisconfiguredError } from '../errors';
import { connectMongoWhenReachable } from './connect-mongo';
import type { MongoStore } from './mongo-store';

/**
 * The store of a gateway or aggregator: waits for MongoDB as long as it takes, but stops the
 * process with one line when it can never serve as configured (refused credentials included, a
 * database mongo-init never initialised, or PARTITIONS set to another count than the store's).
 */
export function connectOrExit(
  config: {
    readonly MONGO_URL: string;
    readonly MONGO_DB: string;
    readonly STORE_TIMEOUT_MS: number;
    readonly MONGO_WRITE_TIMEOUT_MS: number;
    readonly MONGO_SELECTION_TIMEOUT_MS: number;
    /** MONGO_USER and MONGO_PASSWORD; without them, whatever MONGO_URL holds. */
    readonly mongoCredentials: Credentials | undefined;
    /** PARTITIONS when set: it must be the store's own count, which is what every process uses. */
    readonly partitionsGiven?: number | undefined;
  },
  log: Logger,
): Promise<MongoStore> {
  return connectMongoWhenReachable(config.MONGO_URL, config.MONGO_DB, log, {
    timeoutMs: config.STORE_TIMEOUT_MS,
    writeConcernTimeoutMs: config.MONGO_WRITE_TIMEOUT_MS,
    serverSelectionTimeoutMs: config.MONGO_SELECTION_TIMEOUT_MS,
    credentials: config.mongoCredentials,
  })
    .then(async (store) => {
      const { partitions } = await store.layout();
      const given = config.partitionsGiven;
      if (given !== undefined && given !== partitions) {
        await store.close();
        throw new StoreMisconfiguredError(
          `PARTITIONS=${given}, but database "${config.MONGO_DB}" was initialised with ${partitions} partitions: unset PARTITIONS, or set it to ${partitions} (docs/decisions/0015 says how to grow it)`,
        );
      }
      return store;
    })
    .catch(exitOnMisconfiguration);
}

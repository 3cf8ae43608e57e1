import type { Credentials } from '../../config/credentials';
import { exitOnMisconfiguration } from '../../config/config-or-exit';
import type { Logger } from '../../observability';
import { connectMongoWhenReachable } from './connect-mongo';
import type { MongoStore } from './mongo-store';

/**
 * The store of a gateway or aggregator: waits for MongoDB as long as it takes, but stops the
 * process with one line when it can never serve as configured (refused credentials included).
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
  },
  log: Logger,
): Promise<MongoStore> {
  return connectMongoWhenReachable(config.MONGO_URL, config.MONGO_DB, log, {
    timeoutMs: config.STORE_TIMEOUT_MS,
    writeConcernTimeoutMs: config.MONGO_WRITE_TIMEOUT_MS,
    serverSelectionTimeoutMs: config.MONGO_SELECTION_TIMEOUT_MS,
    credentials: config.mongoCredentials,
  }).catch(exitOnMisconfiguration);
}

import type { Logger } from '../observability';
import type { MongoStore } from '../store/mongo/mongo-store';
import { connectMongoWhenReachable } from '../store/mongo/connect-mongo';
import { ConfigError } from './config';
import type { Credentials } from './credentials';
import { exitOnMisconfiguration } from './config-or-exit';

/**
 * A gateway or aggregator started as a process of its own talks to MongoDB: the in-memory store
 * exists only inside one process, so it is reached through `STORE=memory npm start` instead.
 */
export function requireMongoUrl(config: { STORE: string; MONGO_URL: string | undefined }): string {
  if (config.STORE !== 'mongo' || !config.MONGO_URL) {
    throw new ConfigError('STORE=memory runs every service in one process: use `STORE=memory npm start`');
  }
  return config.MONGO_URL;
}

/**
 * The store of a gateway or aggregator: waits for MongoDB as long as it takes, but stops the
 * process with one line when it can never serve as configured (refused credentials included).
 */
export function connectOrExit(
  config: {
    readonly MONGO_URL: string;
    readonly MONGO_DB: string;
    readonly STORE_TIMEOUT_MS: number;
    /** MONGO_USER and MONGO_PASSWORD; without them, whatever MONGO_URL holds. */
    readonly mongoCredentials: Credentials | undefined;
  },
  log: Logger,
): Promise<MongoStore> {
  return connectMongoWhenReachable(config.MONGO_URL, config.MONGO_DB, log, {
    timeoutMs: config.STORE_TIMEOUT_MS,
    credentials: config.mongoCredentials,
  }).catch(exitOnMisconfiguration);
}

import type { Logger } from '../observability';
import type { MongoStore } from '../store/mongo/mongo-store';
import { connectMongoWhenReachable } from '../store/open-store';
import { ConfigError } from './config';
import { exitOnMisconfiguration } from './exit-on-config-error';

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
 * process with one line when it can never serve as configured.
 */
export function connectOrExit(
  config: { readonly MONGO_URL: string; readonly MONGO_DB: string; readonly STORE_TIMEOUT_MS: number },
  log: Logger,
): Promise<MongoStore> {
  return connectMongoWhenReachable(config.MONGO_URL, config.MONGO_DB, log, { timeoutMs: config.STORE_TIMEOUT_MS }).catch(
    exitOnMisconfiguration,
  );
}

/** Runs `stop` once on SIGTERM or SIGINT, then exits. */
export function stopOnSignals(stop: () => Promise<void>): void {
  let stopping = false;
  const onSignal = () => {
    if (stopping) return;
    stopping = true;
    stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

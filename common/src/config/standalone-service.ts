import type { Logger } from '../observability';
import type { MongoStore } from '../store/mongo/mongo-store';
import { connectMongoWhenReachable } from '../store/connect-mongo';
import { ConfigError } from './config';
import type { Credentials } from './credentials';
import { exitOnMisconfiguration } from './config-or-exit';
import { Shutdown } from './shutdown';

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

/**
 * On the first SIGTERM or SIGINT, stops what the returned Shutdown holds then (`stop` first, when
 * given), then exits: 0 when everything stopped, 1 when something failed to. Registered before
 * anything starts, so that `docker stop` works even while the process still waits for MongoDB
 * (as PID 1 in a container, a process without a handler ignores SIGTERM).
 */
export function stopOnSignals(stop?: () => Promise<void>): Shutdown {
  const shutdown = new Shutdown();
  if (stop) shutdown.add(stop);
  const onSignal = () => {
    if (shutdown.stopping) return;
    shutdown.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return shutdown;
}

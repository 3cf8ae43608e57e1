import { ConfigError } from './config';

/**
 * A gateway or aggregator started as a process of its own talks to MongoDB: the in-memory store
 * exists only inside one process, so it is reached through `STORE=memory npm start` instead.
 */
export function requireMongoUrl(config: { STORE: string; MONGO_URL: string | undefined }): string {
  if (config.STORE !== 'mongo' || !config.MONGO_URL) {
    throw new ConfigError(
      'STORE=memory runs every service in one process: use `STORE=memory npm start`',
    );
  }
  return config.MONGO_URL;
}

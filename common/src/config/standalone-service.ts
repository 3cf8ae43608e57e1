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

export const INTERNAL_TOKEN_REQUIRED =
  'INTERNAL_TOKEN or INTERNAL_TOKEN_FILE is required: the secret the gateways present to the aggregators’ /internal/* API, the same in every gateway and aggregator (`npm start` makes one each start)';

/**
 * A gateway or aggregator started as a process of its own needs the internal token: aggregators
 * answer /internal/* only to callers that present it, and no process can hand it a generated one
 * (`npm start` does, for the processes it starts).
 */
export function requireInternalToken(config: { INTERNAL_TOKEN: string | undefined }): string {
  if (config.INTERNAL_TOKEN === undefined) throw new ConfigError(INTERNAL_TOKEN_REQUIRED);
  return config.INTERNAL_TOKEN;
}

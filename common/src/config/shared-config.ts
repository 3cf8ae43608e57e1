import { DEFAULT_PARTITIONS } from '../domain/partitioning';
import {
  ConfigError,
  type Environment,
  integer,
  oneOf,
  optionalText,
  readConfig,
  text,
} from './config';
import { credentialPair } from './credentials';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * Where the first aggregator listens unless told otherwise (aggregator i of `npm start` on this
 * plus i); a gateway's default AGGREGATOR_URLS point there.
 */
export const DEFAULT_AGGREGATOR_PORT = 9100;

export interface SharedConfigOptions {
  /**
   * 'required' (the default): STORE=mongo needs MONGO_URL. 'optional': without it the caller
   * starts a MongoDB of its own (the launcher), and MONGO_URL comes back undefined.
   */
  readonly mongoUrl?: 'required' | 'optional';
}

/** Variables every process reads; they must agree across processes. */
export function readSharedConfig(env: Environment, options: SharedConfigOptions = {}) {
  const config = readConfig(env, {
    PARTITIONS: integer({ default: DEFAULT_PARTITIONS, min: 1, max: 4096 }),
    AGG_N: integer({ default: 3, min: 1, max: 4096 }),
    STORE: oneOf(['mongo', 'memory'], 'mongo'),
    MONGO_URL: optionalText(),
    MONGO_DB: text({ default: 'users' }),
    /** The user gateways and aggregators log in as (mongo-init's MONGO_SERVICE_USER); unset, MONGO_URL decides. */
    MONGO_USER: optionalText(),
    MONGO_PASSWORD: optionalText(),
    /** How long a store operation may take before a request is answered 503. */
    STORE_TIMEOUT_MS: integer({ default: 2000, min: 50, max: 600_000 }),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    /** When set, aggregators answer /internal/* only to callers presenting it (the gateways). */
    INTERNAL_TOKEN: optionalText(),
  });
  if (config.AGG_N > config.PARTITIONS) {
    throw new ConfigError(
      `AGG_N (${config.AGG_N}) must not exceed PARTITIONS (${config.PARTITIONS}): an aggregator would own no partition`,
    );
  }
  const mongoCredentials = credentialPair(
    { user: 'MONGO_USER', password: 'MONGO_PASSWORD' },
    { user: config.MONGO_USER, password: config.MONGO_PASSWORD },
  );
  if (
    config.STORE === 'mongo' &&
    config.MONGO_URL === undefined &&
    options.mongoUrl !== 'optional'
  ) {
    throw new ConfigError('MONGO_URL is required when STORE=mongo (or set STORE=memory)');
  }
  return { ...config, mongoCredentials };
}

export type SharedConfig = ReturnType<typeof readSharedConfig>;

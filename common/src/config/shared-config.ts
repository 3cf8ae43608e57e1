import { DEFAULT_PARTITIONS } from '../domain/partitioning';
import {
  ConfigError,
  type Environment,
  integer,
  oneOf,
  optionalInteger,
  optionalText,
  readConfig,
  text,
} from './config';
import { credentialPair } from './credentials';
import { internalToken, listenHost } from './listener-config';
import { readMasterKeys } from './master-key-config';
import type { MasterKeyring } from '../personal-data/master-keys';

export const LOG_LEVELS = ['error', 'warn', 'info', 'debug'] as const;

/**
 * Where the first aggregator listens unless told otherwise (aggregator i of `npm start` on this
 * plus i); a gateway's default AGGREGATOR_URLS point there.
 */
export const DEFAULT_AGGREGATOR_PORT = 9100;

/**
 * The least a MongoDB majority wait (wtimeoutMS) or server selection may be given: replication to
 * another zone, or finding the new primary after a stepdown, routinely takes hundreds of
 * milliseconds, and a smaller bound answers 503 for writes that then commit (review m8).
 */
export const MIN_MONGO_WAIT_MS = 1000;
const MAX_WAIT_MS = 600_000;

export interface SharedConfigOptions {
  /**
   * 'required' (the default): STORE=mongo needs MONGO_URL. 'optional': without it the caller
   * starts a MongoDB of its own (the launcher), and MONGO_URL comes back undefined.
   */
  readonly mongoUrl?: 'required' | 'optional';
  /**
   * 'required' (the default): DATA_KEY or DATA_KEY_FILE must hold the master key, as every
   * gateway and aggregator needs it. 'optional': without them masterKeys comes back undefined,
   * for a caller that makes a key of its own or needs none (the launcher).
   */
  readonly masterKeys?: 'required' | 'optional';
}

/** Variables every process reads; they must agree across processes. */
export function readSharedConfig(
  env: Environment,
  options?: SharedConfigOptions & { readonly masterKeys?: 'required' },
): SharedConfig;
export function readSharedConfig(
  env: Environment,
  options: SharedConfigOptions,
): SharedConfigWithoutKeys & { readonly masterKeys: MasterKeyring | undefined };
export function readSharedConfig(env: Environment, options: SharedConfigOptions = {}) {
  return {
    ...readVariables(env, options),
    masterKeys: readMasterKeys(env, options.masterKeys ?? 'required'),
  };
}

function readVariables(env: Environment, options: SharedConfigOptions) {
  const config = readConfig(env, {
    PARTITIONS: integer({ default: DEFAULT_PARTITIONS, min: 1, max: 4096 }),
    AGG_N: integer({ default: 3, min: 1, max: 4096 }),
    STORE: oneOf(['mongo', 'memory'], 'mongo'),
    MONGO_URL: optionalText(),
    MONGO_DB: text({ default: 'users' }),
    /** The user gateways and aggregators log in as (mongo-init's MONGO_SERVICE_USER); unset, MONGO_URL decides. */
    MONGO_USER: optionalText(),
    MONGO_PASSWORD: optionalText(),
    /**
     * How long a store operation may take before a request is answered 503; on MongoDB also the
     * server time of a read or commit and the wait for a pooled connection. At least
     * MIN_MONGO_WAIT_MS with STORE=mongo (checked below): each operation encloses the waits below.
     */
    STORE_TIMEOUT_MS: integer({ default: 2000, min: 50, max: MAX_WAIT_MS }),
    /** How long a MongoDB write waits for the majority (wtimeoutMS); unset, STORE_TIMEOUT_MS. */
    MONGO_WRITE_TIMEOUT_MS: optionalInteger({ min: MIN_MONGO_WAIT_MS, max: MAX_WAIT_MS }),
    /** How long a MongoDB operation waits for a server (serverSelectionTimeoutMS); unset, STORE_TIMEOUT_MS. */
    MONGO_SELECTION_TIMEOUT_MS: optionalInteger({ min: MIN_MONGO_WAIT_MS, max: MAX_WAIT_MS }),
    LOG_LEVEL: oneOf(LOG_LEVELS, 'info'),
    /**
     * The secret aggregators ask of every /internal/* call, and gateways present: required by a
     * process started on its own (requireInternalToken); `npm start` makes one when unset.
     */
    INTERNAL_TOKEN: internalToken(),
    /** The address every listener binds (listener-config.ts): 127.0.0.1 unless told otherwise. */
    HOST: listenHost(),
  });
  if (config.AGG_N > config.PARTITIONS) {
    throw new ConfigError(
      `AGG_N (${config.AGG_N}) must not exceed PARTITIONS (${config.PARTITIONS}): an aggregator would own no partition`,
    );
  }
  // A hard stop rather than raising it quietly: the operator asked for a bound the service cannot
  // keep on a replica set, and should learn it at start, not from 503s for writes that commit.
  if (config.STORE === 'mongo' && config.STORE_TIMEOUT_MS < MIN_MONGO_WAIT_MS) {
    throw new ConfigError(
      `STORE_TIMEOUT_MS must be at least ${MIN_MONGO_WAIT_MS} with STORE=mongo, got ${config.STORE_TIMEOUT_MS}: a majority write or finding a new primary routinely takes longer`,
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
  return {
    ...config,
    MONGO_WRITE_TIMEOUT_MS: config.MONGO_WRITE_TIMEOUT_MS ?? config.STORE_TIMEOUT_MS,
    MONGO_SELECTION_TIMEOUT_MS: config.MONGO_SELECTION_TIMEOUT_MS ?? config.STORE_TIMEOUT_MS,
    mongoCredentials,
  };
}

type SharedConfigWithoutKeys = ReturnType<typeof readVariables>;

export type SharedConfig = SharedConfigWithoutKeys & {
  /** The master keys that wrap the users' data keys, from DATA_KEY or DATA_KEY_FILE. */
  readonly masterKeys: MasterKeyring;
};

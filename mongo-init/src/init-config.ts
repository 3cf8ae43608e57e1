import {
  ConfigError,
  credentialPair,
  type Environment,
  integer,
  optionalText,
  readConfig,
  text,
} from '@user-service/common/config';
import { DEFAULT_PARTITIONS } from '@user-service/common/domain';

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

export function readInitConfig(env: Environment) {
  const config = readConfig(env, {
    MONGO_MEMBERS: text(),
    MONGO_REPLICA_SET: text({ default: 'rs0' }),
    MONGO_DB: text({ default: 'users' }),
    /**
     * How many partitions a new database's users are hashed into; checked against an existing
     * one's, which never changes (docs/decisions/0015).
     */
    PARTITIONS: integer({ default: DEFAULT_PARTITIONS, min: 1, max: 4096 }),
    MONGO_INIT_TIMEOUT_MS: integer({ default: 120_000, min: 1000 }),
    /** The user the mongo image's entrypoint created on each member (MONGO_INITDB_ROOT_USERNAME). */
    MONGO_ROOT_USER: optionalText(),
    MONGO_ROOT_PASSWORD: optionalText(),
    /** The user gateways and aggregators log in as (their MONGO_USER); mongo-init creates it. */
    MONGO_SERVICE_USER: optionalText(),
    MONGO_SERVICE_PASSWORD: optionalText(),
  });
  const members = config.MONGO_MEMBERS.split(',').map((member) => member.trim());
  const bad = members.find((member) => !HOST_PORT.test(member));
  if (bad !== undefined) {
    throw new ConfigError(
      `MONGO_MEMBERS must be a comma-separated list of host:port, got "${config.MONGO_MEMBERS}"`,
    );
  }
  return {
    members,
    replicaSet: config.MONGO_REPLICA_SET,
    database: config.MONGO_DB,
    partitions: config.PARTITIONS,
    timeoutMs: config.MONGO_INIT_TIMEOUT_MS,
    rootCredentials: credentialPair(
      { user: 'MONGO_ROOT_USER', password: 'MONGO_ROOT_PASSWORD' },
      { user: config.MONGO_ROOT_USER, password: config.MONGO_ROOT_PASSWORD },
    ),
    serviceUser: credentialPair(
      { user: 'MONGO_SERVICE_USER', password: 'MONGO_SERVICE_PASSWORD' },
      { user: config.MONGO_SERVICE_USER, password: config.MONGO_SERVICE_PASSWORD },
    ),
  };
}

export type InitConfig = ReturnType<typeof readInitConfig>;

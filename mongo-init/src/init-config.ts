import { ConfigError, type Environment, integer, readConfig, text } from '@user-service/common';

const HOST_PORT = /^[A-Za-z0-9.-]+:\d{1,5}$/;

export function readInitConfig(env: Environment) {
  const config = readConfig(env, {
    MONGO_MEMBERS: text(),
    MONGO_REPLICA_SET: text({ default: 'rs0' }),
    MONGO_DB: text({ default: 'users' }),
    MONGO_INIT_TIMEOUT_MS: integer({ default: 120_000, min: 1000 }),
  });
  const members = config.MONGO_MEMBERS.split(',').map((member) => member.trim());
  const bad = members.find((member) => !HOST_PORT.test(member));
  if (bad !== undefined) {
    throw new ConfigError(`MONGO_MEMBERS must be a comma-separated list of host:port, got "${config.MONGO_MEMBERS}"`);
  }
  return {
    members,
    replicaSet: config.MONGO_REPLICA_SET,
    database: config.MONGO_DB,
    timeoutMs: config.MONGO_INIT_TIMEOUT_MS,
  };
}

export type InitConfig = ReturnType<typeof readInitConfig>;

// What the store tools run against MONGO_URL (`npm run rotate-data-key`, `npm run rebuild`) share:
// where the store is, connecting to it, and how they fail.
import {
  ConfigError,
  type Environment,
  integer,
  readConfig,
  readSharedConfig,
} from '@user-service/common/config';
import { errorText } from '@user-service/common/observability';
import { MongoStore } from '@user-service/common/store/mongo';

/** The replica set of `npm start`'s embedded MongoDB (launcher/src/replica-set.ts). */
const EMBEDDED_REPLICA_SET = 'rs0';

/**
 * The shared settings and the store's URL: MONGO_URL, or the embedded MongoDB of a running
 * `npm start` without it. `memoryRefusal` says why the tool has nothing to do on STORE=memory.
 */
export function readToolConfig(env: Environment, memoryRefusal: string) {
  const shared = readSharedConfig(env, { mongoUrl: 'optional' });
  if (shared.STORE === 'memory') throw new ConfigError(memoryRefusal);
  const own = readConfig(env, {
    /** Where `npm start` runs its embedded MongoDB; the default when MONGO_URL is unset. */
    EMBEDDED_MONGO_PORT: integer({ default: 27517, min: 1, max: 65535 }),
  });
  const mongoUrl =
    shared.MONGO_URL ??
    `mongodb://127.0.0.1:${own.EMBEDDED_MONGO_PORT}/?replicaSet=${EMBEDDED_REPLICA_SET}`;
  return { ...shared, ...own, mongoUrl, embedded: shared.MONGO_URL === undefined };
}

export type ToolConfig = ReturnType<typeof readToolConfig>;

/** The error's message and those of its causes: ours say what failed, the cause says why. */
export function reasons(error: unknown): string {
  const messages: string[] = [];
  for (let cause = error, depth = 0; cause !== undefined && depth < 5; depth++) {
    const message = errorText(cause);
    if (!messages.some((said) => said.includes(message))) messages.push(message);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return messages.join(': ');
}

/** One line saying why, then exit 1. */
export function fail(message: string): never {
  process.stderr.write(`${JSON.stringify({ level: 'error', message })}\n`);
  process.exit(1);
}

export async function connect(config: ToolConfig): Promise<MongoStore> {
  try {
    return await MongoStore.connect(config.mongoUrl, config.MONGO_DB, {
      timeoutMs: config.STORE_TIMEOUT_MS,
      writeConcernTimeoutMs: config.MONGO_WRITE_TIMEOUT_MS,
      serverSelectionTimeoutMs: config.MONGO_SELECTION_TIMEOUT_MS,
      credentials: config.mongoCredentials,
    });
  } catch (error) {
    const hint = config.embedded
      ? ` (MONGO_URL is unset, so the embedded MongoDB of \`npm start\` was tried at ${config.mongoUrl}: start it, or set MONGO_URL)`
      : '';
    return fail(`${reasons(error)}${hint}`);
  }
}

/** The tool's config, or one line with the usage and exit 1. */
export function toolConfigOr<T>(read: () => T, usage: string): T {
  try {
    return read();
  } catch (error) {
    if (error instanceof ConfigError) return fail(`${error.message}. ${usage}`);
    throw error;
  }
}

import { errorText } from '@user-service/common/observability';
import { MongoMemoryReplSet } from 'mongodb-memory-server';
import { mkdirSync, readdirSync } from 'node:fs';
import { dataDirectoryProblem } from './data-directory-problem';

export interface ReplicaSetOptions {
  readonly binary: string;
  /** Kept between runs when given; without it mongodb-memory-server uses a temporary one. */
  readonly dataDir?: string;
  /** Without it mongodb-memory-server picks a free one. */
  readonly port?: number;
  /** More mongod arguments, e.g. ['--setParameter', 'enableTestCommands=1']. */
  readonly args?: readonly string[];
}

/** The name the compose deployment and the README's MONGO_URL examples use too. */
export const REPLICA_SET_NAME = 'rs0';

/**
 * Starts a 1-member replica set from `binary`. When it fails on a data directory that already
 * held data, the error is one message saying what to do about that directory; any other failure
 * is thrown as it came.
 */
export async function startReplicaSet(options: ReplicaSetOptions): Promise<MongoMemoryReplSet> {
  const { dataDir } = options;
  if (dataDir !== undefined) mkdirSync(dataDir, { recursive: true });
  const heldData = dataDir !== undefined && readdirSync(dataDir).length > 0;
  try {
    return await holdingWarnings(() =>
      MongoMemoryReplSet.create({
        binary: { systemBinary: options.binary },
        // Bound to loopback (mongod --bind_ip), said here rather than left to the library's default:
        // only the gateway and the aggregators beside it, on this machine, use it.
        replSet: { name: REPLICA_SET_NAME, count: 1, storageEngine: 'wiredTiger', ip: '127.0.0.1' },
        instanceOpts: [
          {
            ...(dataDir === undefined ? {} : { dbPath: dataDir }),
            ...(options.port === undefined ? {} : { port: options.port }),
            args: [...(options.args ?? [])],
            // Recovering a large data directory can take longer than the 10 s mongodb-memory-server allows by default.
            launchTimeout: 60_000,
          },
        ],
      }),
    );
  } catch (error) {
    const problem = heldData ? dataDirectoryProblem(dataDir, errorText(error)) : undefined;
    throw problem === undefined ? error : new Error(problem);
  }
}

/**
 * mongodb-memory-server writes a failed start to console.warn, stack and all, before throwing it
 * (once for the server and once for the replica set). Callers explain a failure in one message of
 * their own, so warnings are held during the start and shown only if it succeeds.
 */
async function holdingWarnings<T>(start: () => Promise<T>): Promise<T> {
  const held: unknown[][] = [];
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    held.push(args);
  };
  let started = false;
  try {
    const result = await start();
    started = true;
    return result;
  } finally {
    console.warn = warn;
    if (started) for (const args of held) warn(...args);
  }
}

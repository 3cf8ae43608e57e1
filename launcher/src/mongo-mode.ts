import { type Credentials, newInternalToken } from '@user-service/common/config';
import { localUrl } from '@user-service/common/http';
import { type Logger } from '@user-service/common/observability';
import { ensureSchema } from '@user-service/common/store/mongo';
import { MongoClient } from 'mongodb';
import { type MongoMemoryReplSet } from 'mongodb-memory-server';
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { acceptControl } from './control-channel';
import { ensureDataKeyFile } from './data-key-file';
import { connectGivenMongo } from './given-mongo';
import { obtainMongod } from './mongod-binary';
import { startReplicaSet } from './replica-set';
import { stopChild } from './stop-child';
import { untilReady } from './until-ready';
import {
  aggregatorEnvironment,
  aggregatorUrl,
  mongoChildEnvironments,
  mongoModePorts,
} from './wiring';

export interface MongoModeOptions {
  readonly mongoUrl: string | undefined;
  /** MONGO_USER and MONGO_PASSWORD, as the services log in with them. */
  readonly mongoCredentials: Credentials | undefined;
  /** Where the embedded replica set keeps its data between runs (without mongoUrl). */
  readonly dataDir: string;
  /** Fixed, because the replica set's saved configuration names it. */
  readonly port: number;
  readonly database: string;
  /** The partition count a new database is initialised with (PARTITIONS); an existing one keeps its own. */
  readonly partitions: number;
  readonly aggregatorCount: number;
  readonly gatewayPort: number;
  readonly aggregatorBasePort: number;
  /**
   * The master key file to make on the first start and reuse after, given to the gateway and the
   * aggregators as DATA_KEY_FILE; undefined when the environment gives them DATA_KEY or
   * DATA_KEY_FILE itself.
   */
  readonly dataKeyFile: string | undefined;
  /** INTERNAL_TOKEN or INTERNAL_TOKEN_FILE as the environment gives it; else one is made. */
  readonly internalToken: string | undefined;
  /** HOST: where the gateway listens. */
  readonly gatewayHost: string;
  readonly env: NodeJS.ProcessEnv;
}

const REPO = resolve(__dirname, '../..');

/** Says why there is no MongoDB, and names the three other ways to run. */
export function noMongoMessage(reason: string): string {
  return (
    `No MongoDB can be had: MONGO_URL is unset and ${reason}. ` +
    'Set MONGOMS_SYSTEM_BINARY=/path/to/mongod, or MONGO_URL to a replica set, or run STORE=memory npm start.'
  );
}

/**
 * The embedded default: a 1-member replica set keeping its data in dataDir (or MONGO_URL), the
 * schema, then the gateway and the aggregators as child processes of their own.
 */
export async function runOnMongo(
  options: MongoModeOptions,
  log: Logger,
): Promise<() => Promise<void>> {
  // Refused ports are told before anything starts.
  const ports = mongoModePorts(options);
  let replSet: MongoMemoryReplSet | undefined;
  let mongoUrl = options.mongoUrl;
  let client: MongoClient;
  // Whether the data directory held data before this start, for the master key's warning.
  let embeddedData = false;
  if (mongoUrl) {
    client = await connectGivenMongo(mongoUrl, options.mongoCredentials);
  } else {
    const mongod = await obtainMongod({ download: true, log: (line) => log.info(line) });
    if (mongod.binary === undefined) throw new Error(noMongoMessage(mongod.reason));
    embeddedData = holdsData(options.dataDir);
    // Before the replica set starts: a start that cannot work says so at once.
    requireKeyOfData(options, embeddedData);
    replSet = await startReplicaSet({
      binary: mongod.binary,
      dataDir: options.dataDir,
      port: options.port,
    });
    mongoUrl = replSet.getUri();
    log.info('embedded MongoDB started', { dataDir: options.dataDir, url: mongoUrl });
    client = await MongoClient.connect(mongoUrl);
  }
  await ensureSchema(client.db(options.database), options.partitions).finally(() => client.close());

  // Made only once there is a MongoDB to hold what it seals: a start that fails makes no key.
  const environments = mongoChildEnvironments({
    ...options,
    mongoUrl,
    masterKey: masterKeyEnvironment(options, embeddedData, log),
    // Made for this start when none is given: the children learn it from their environment,
    // readable only by this user (/proc/<pid>/environ), and it dies with them.
    internalToken:
      options.internalToken === undefined ? { INTERNAL_TOKEN: newInternalToken() } : {},
  });
  const aggregatorEnvironments = [...environments.aggregators];
  const aggregators = aggregatorEnvironments.map((env) => start('aggregator', env));
  const gateway = start('gateway', environments.gateway);
  const gatewayUrl = localUrl(options.gatewayHost, options.gatewayPort);
  log.info('ready', {
    api: `${gatewayUrl}/api/user`,
    docs: `${gatewayUrl}/docs/`,
    aggregators: ports.map(aggregatorUrl),
  });

  acceptControl({
    // A real crash: the process gets no chance to save a snapshot.
    crash: async (index) => {
      const child = aggregators[index];
      if (child) await stopChild(child, 'SIGKILL');
    },
    restart: async (index) => {
      const [env, port] = [aggregatorEnvironments[index], ports[index]];
      if (env === undefined || port === undefined)
        throw new Error(`there is no aggregator ${index}`);
      const child = start('aggregator', env);
      aggregators[index] = child;
      await untilReady(aggregatorUrl(port), { child });
    },
    // The real thing: the process is stopped by the kernel, timers and sockets and all.
    pause: async (index) => {
      aggregators[index]?.kill('SIGSTOP');
    },
    resume: async (index) => {
      aggregators[index]?.kill('SIGCONT');
    },
    add: async () => {
      const index = aggregators.length;
      const port = (ports.at(-1) ?? options.aggregatorBasePort) + 1;
      ports.push(port);
      const env = aggregatorEnvironment(aggregatorEnvironments[0] ?? {}, index, port);
      aggregatorEnvironments.push(env);
      const child = start('aggregator', env);
      aggregators.push(child);
      await untilReady(aggregatorUrl(port), { child });
    },
  });

  return async () => {
    await Promise.all([...aggregators, gateway].map((child) => stopChild(child, 'SIGTERM')));
    await replSet?.stop({ doCleanup: false });
  };
}

/**
 * Refuses to go on when the embedded data directory holds data but the master key file beside it
 * is gone: a new key would open none of the names and emails already stored, and every create
 * after it would seal under a key the old data does not share (crypto review m3). Nothing is made.
 */
export function requireKeyOfData(
  options: Pick<MongoModeOptions, 'dataKeyFile' | 'dataDir'>,
  embeddedData: boolean,
): void {
  if (options.dataKeyFile === undefined || !embeddedData || existsSync(options.dataKeyFile)) return;
  throw new Error(
    `The data directory ${options.dataDir} holds data, but its master key file ${options.dataKeyFile} is missing: ` +
      'restore it from the backup kept with the data (names and emails cannot be read without it), ' +
      'give the key as DATA_KEY or DATA_KEY_FILE, or start from an empty EMBEDDED_MONGO_DIR.',
  );
}

/**
 * The master key the services get when the environment names none: the file, never the key, so
 * that it shows in no process listing. Only its path is logged. `embeddedData`: the embedded
 * MongoDB's data directory held data before this start.
 */
export function masterKeyEnvironment(
  options: Pick<MongoModeOptions, 'dataKeyFile' | 'dataDir'>,
  embeddedData: boolean,
  log: Logger,
): NodeJS.ProcessEnv {
  if (options.dataKeyFile === undefined) return {};
  requireKeyOfData(options, embeddedData);
  const { path, created } = ensureDataKeyFile(options.dataKeyFile);
  if (created) {
    log.info(
      'made the master key of the data: back it up with the data, which cannot be read without it',
      { file: path },
    );
  }
  return { DATA_KEY_FILE: path };
}

/** Whether a data directory holds anything: a MongoDB made it before. */
export function holdsData(dir: string): boolean {
  try {
    return readdirSync(dir).length > 0;
  } catch {
    return false;
  }
}

function start(service: 'gateway' | 'aggregator', env: NodeJS.ProcessEnv): ChildProcess {
  return spawn(process.execPath, [resolve(REPO, service, 'dist/main.js')], {
    env,
    stdio: 'inherit',
  });
}

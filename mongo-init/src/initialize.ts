import { type Logger } from '@user-service/common/observability';
import { ensureSchema, hasCode, MONGO_ERROR } from '@user-service/common/store/mongo';
import { MongoClient, type MongoClientOptions } from 'mongodb';
import type { InitConfig } from './init-config';
import { retryUntil } from './retry';
import { explainRootRefused } from './root-refused';
import { ensureServiceUser } from './service-user';

/** One operation's bound; mongo-init's whole run is bounded by MONGO_INIT_TIMEOUT_MS. */
const OPERATION_TIMEOUT_MS = 10_000;

/**
 * Brings a fresh or existing deployment to a usable state; running it again changes nothing.
 * 1. initiate the replica set from the member list (already initiated counts as done);
 * 2. wait until it has a primary;
 * 3. create the collections and indexes, and fix the partition count on a new database;
 * 4. when configured, create the services' user, or update its password and role.
 */
export async function initialize(config: InitConfig, log: Logger): Promise<void> {
  const deadline = Date.now() + config.timeoutMs;
  const onRetry = (step: string) => (error: unknown) =>
    log.info(`waiting to ${step}`, {
      reason: error instanceof Error ? error.message : String(error),
    });

  await retryUntil(
    deadline,
    () => initiateReplicaSet(config),
    onRetry('initiate the replica set'),
  ).catch((error: unknown) => {
    throw explainRootRefused(error);
  });
  log.info('replica set initiated', { replicaSet: config.replicaSet, members: config.members });

  const client = new MongoClient(
    `mongodb://${config.members.join(',')}/?replicaSet=${config.replicaSet}`,
    {
      serverSelectionTimeoutMS: 5000,
      // Every operation bounded (the schema's majority writes included): a majority lost during
      // initialization fails an attempt, retried until the deadline, instead of hanging for ever.
      timeoutMS: OPERATION_TIMEOUT_MS,
      writeConcern: { w: 'majority' },
      ...asRoot(config),
    },
  );
  try {
    await retryUntil(
      deadline,
      () => client.db('admin').command({ ping: 1 }),
      onRetry('reach a primary'),
    );
    await retryUntil(
      deadline,
      () => ensureSchema(client.db(config.database), config.partitions),
      onRetry('create the schema'),
    );
    log.info('collections and indexes are in place', { database: config.database });
    const { serviceUser } = config;
    if (serviceUser) {
      const outcome = await retryUntil(
        deadline,
        () =>
          ensureServiceUser(
            (command) => client.db('admin').command(command),
            serviceUser,
            config.database,
          ),
        onRetry('create the service user'),
      );
      // The name only: the password is a secret.
      log.info(`service user ${outcome}`, {
        user: serviceUser.username,
        role: 'readWrite',
        database: config.database,
      });
    }
  } finally {
    await client.close();
  }
}

/** With keyFile auth on, every command needs the root user the mongo image created on each member. */
function asRoot(config: InitConfig): MongoClientOptions {
  return config.rootCredentials ? { auth: { ...config.rootCredentials }, authSource: 'admin' } : {};
}

async function initiateReplicaSet(config: InitConfig): Promise<void> {
  // Before initiation the member is no replica set yet, so it must be addressed directly.
  const client = new MongoClient(`mongodb://${config.members[0]}/`, {
    directConnection: true,
    serverSelectionTimeoutMS: 5000,
    timeoutMS: OPERATION_TIMEOUT_MS,
    ...asRoot(config),
  });
  try {
    const members = config.members.map((host, index) => ({ _id: index, host }));
    await client.db('admin').command({ replSetInitiate: { _id: config.replicaSet, members } });
  } catch (error) {
    if (!hasCode(error, MONGO_ERROR.AlreadyInitialized)) throw error;
  } finally {
    await client.close();
  }
}

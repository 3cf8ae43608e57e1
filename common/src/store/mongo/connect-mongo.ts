import { retry } from '../../lifecycle/retry';
import { errorFields, type Logger } from '../../observability';
import { StoreMisconfiguredError } from '../errors';
import { MongoStore, type MongoStoreOptions } from './mongo-store';

/**
 * Connects to MongoDB, waiting for it as long as it takes: in a fresh deployment the database
 * may come up after the services, and a process that gives up would only be restarted. A
 * deployment that can never work (StoreMisconfiguredError, refused credentials among them) is
 * not waited for: it is thrown.
 */
export function connectMongoWhenReachable(
  url: string,
  database: string,
  log: Logger,
  options: Omit<MongoStoreOptions, 'client'> = {},
): Promise<MongoStore> {
  return retry(() => MongoStore.connect(url, database, { ...options, log }), {
    backoff: (attempt) => Math.min(500 * attempt, 5000),
    shouldRetry: (error) => !(error instanceof StoreMisconfiguredError),
    onRetry: (error, attempt) =>
      log.warn('MongoDB not reachable yet', { attempt, error: errorFields(error) }),
  });
}

import { errorFields, type Logger } from '../observability';
import { StoreMisconfiguredError } from './errors';
import { type MongoLogin, MongoStore } from './mongo/mongo-store';

/**
 * Connects to MongoDB, waiting for it as long as it takes: in a fresh deployment the database
 * may come up after the services, and a process that gives up would only be restarted. A
 * deployment that can never work (StoreMisconfiguredError, refused credentials among them) is
 * not waited for: it is thrown.
 */
export async function connectMongoWhenReachable(
  url: string,
  database: string,
  log: Logger,
  options: { readonly timeoutMs?: number; readonly credentials?: MongoLogin | undefined } = {},
): Promise<MongoStore> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await MongoStore.connect(url, database, options);
    } catch (error) {
      if (error instanceof StoreMisconfiguredError) throw error;
      log.warn('MongoDB not reachable yet', { attempt, error: errorFields(error) });
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5000)));
    }
  }
}

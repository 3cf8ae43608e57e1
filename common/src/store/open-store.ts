import type { Logger } from '../observability';
import { MongoStore } from './mongo/mongo-store';

/**
 * Connects to MongoDB, waiting for it as long as it takes: in a fresh deployment the database
 * may come up after the services, and a process that gives up would only be restarted.
 */
export async function connectMongoWhenReachable(url: string, database: string, log: Logger): Promise<MongoStore> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await MongoStore.connect(url, database);
    } catch (error) {
      log.warn('MongoDB not reachable yet', { attempt, error: error instanceof Error ? error.message : String(error) });
      await new Promise((resolve) => setTimeout(resolve, Math.min(500 * attempt, 5000)));
    }
  }
}

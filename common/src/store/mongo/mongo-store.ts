import { MongoClient, type MongoClientOptions } from 'mongodb';
import { StoreUnavailableError } from '../errors';
import type { Store } from '../ports';
import { MongoEventStore } from './mongo-event-store';
import { MongoSnapshotStore } from './mongo-snapshot-store';

/**
 * Majority write concern: a write is acknowledged only once it survives the loss of the primary.
 * Majority read concern: nothing read can be rolled back later.
 */
const durable: MongoClientOptions = {
  writeConcern: { w: 'majority' },
  readConcern: { level: 'majority' },
  serverSelectionTimeoutMS: 2000,
};

export class MongoStore implements Store {
  readonly events: MongoEventStore;
  readonly snapshots: MongoSnapshotStore;

  private constructor(private readonly client: MongoClient, databaseName: string) {
    const db = client.db(databaseName);
    this.events = new MongoEventStore(client, db);
    this.snapshots = new MongoSnapshotStore(db);
  }

  static async connect(url: string, databaseName: string, options: MongoClientOptions = {}): Promise<MongoStore> {
    const client = new MongoClient(url, { ...durable, ...options });
    try {
      await client.connect();
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new StoreUnavailableError(`cannot connect to MongoDB: ${reason}`, { cause: error });
    }
    return new MongoStore(client, databaseName);
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

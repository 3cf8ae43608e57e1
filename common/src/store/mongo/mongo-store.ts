import {
  MongoClient,
  type MongoClientOptions,
  MongoInvalidArgumentError,
  MongoMissingCredentialsError,
  MongoParseError,
  MongoServerSelectionError,
} from 'mongodb';
import { createLogger } from '../../observability';
import { errorText } from '../../observability/error-fields';
import { StoreMisconfiguredError, StoreUnavailableError } from '../errors';
import type { Store } from '../store';
import { isAuthenticationFailure } from './authentication-failure';
import { CausalClock } from './causal-clock';
import { indexProblem, replicaSetProblem } from './deployment-check';
import { hasCode, MONGO_ERROR } from './error-codes';
import { MongoDataKeyStore } from './mongo-data-key-store';
import { MongoEventStore } from './mongo-event-store';
import { MongoIdempotencyStore } from './mongo-idempotency-store';
import { MongoSnapshotStore } from './mongo-snapshot-store';
import type { StoreLog } from './resume-token';
import { COLLECTIONS } from './schema';

export const DEFAULT_STORE_TIMEOUT_MS = 2000;

export interface MongoStoreOptions {
  /** How long one operation may wait: for a server, a pooled connection, the majority, a read. */
  readonly timeoutMs?: number;
  readonly client?: MongoClientOptions;
  /**
   * MONGO_USER and MONGO_PASSWORD. Looked up in the `admin` database (the driver's default when
   * MONGO_URL names no database or authSource), where mongo-init creates the service user.
   * Without them, credentials inside MONGO_URL, if any, are used.
   */
  readonly credentials?: MongoLogin | undefined;
  /** Where the store says what it cannot work out by itself; a logger of its own when absent. */
  readonly log?: StoreLog;
}

export interface MongoLogin {
  readonly username: string;
  readonly password: string;
}

/**
 * Majority write concern: a write is acknowledged only once it survives the loss of the primary.
 * Majority read concern: nothing read can be rolled back later. Every wait is bounded, so that a
 * majority that stops acknowledging, or a pool that runs dry, turns into an error in `timeoutMs`
 * and frees the connection, instead of a request that hangs. (The driver's `timeoutMS` would be
 * one knob for all of it, but it has no effect in driver 7; these are the options that do.)
 */
function boundedOptions(timeoutMs: number): MongoClientOptions {
  return {
    writeConcern: { w: 'majority', wtimeoutMS: timeoutMs },
    readConcern: { level: 'majority' },
    serverSelectionTimeoutMS: timeoutMs,
    waitQueueTimeoutMS: timeoutMs,
  };
}

export class MongoStore implements Store {
  readonly events: MongoEventStore;
  readonly snapshots: MongoSnapshotStore;
  readonly idempotency: MongoIdempotencyStore;
  readonly dataKeys: MongoDataKeyStore;

  private constructor(
    private readonly client: MongoClient,
    databaseName: string,
    timeoutMs: number,
    log: StoreLog,
  ) {
    const db = client.db(databaseName);
    // One clock for both: a read of either sees this process's writes to both (a user's key is
    // created just before its first event is appended).
    const clock = new CausalClock(client);
    this.events = new MongoEventStore(client, db, clock, timeoutMs, log);
    this.snapshots = new MongoSnapshotStore(client, db, timeoutMs);
    this.idempotency = new MongoIdempotencyStore(db, timeoutMs);
    this.dataKeys = new MongoDataKeyStore(db, clock, timeoutMs);
  }

  /**
   * Throws StoreUnavailableError when MongoDB cannot be reached (worth retrying), and
   * StoreMisconfiguredError when it never could work as configured (not worth it).
   */
  static async connect(
    url: string,
    databaseName: string,
    options: MongoStoreOptions = {},
  ): Promise<MongoStore> {
    const timeoutMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
    let client: MongoClient;
    try {
      const auth = options.credentials ? { auth: { ...options.credentials } } : {};
      client = new MongoClient(url, { ...boundedOptions(timeoutMs), ...auth, ...options.client });
    } catch (error) {
      throw new StoreMisconfiguredError(`MONGO_URL cannot be used: ${errorText(error)}`, {
        cause: error,
      });
    }
    try {
      await client.connect();
      const problem = await checkDeployment(client, databaseName);
      if (problem) throw new StoreMisconfiguredError(problem);
    } catch (error) {
      await client.close().catch(() => undefined);
      if (error instanceof StoreMisconfiguredError) throw error;
      if (isAuthenticationFailure(error))
        throw new StoreMisconfiguredError(refusedCredentials(options.credentials), {
          cause: error,
        });
      const problem =
        error instanceof MongoServerSelectionError
          ? await askSeedsDirectly(client, timeoutMs)
          : null;
      if (problem) throw new StoreMisconfiguredError(problem, { cause: error });
      if (isConfigurationError(error)) {
        throw new StoreMisconfiguredError(`MONGO_URL cannot be used: ${errorText(error)}`, {
          cause: error,
        });
      }
      throw new StoreUnavailableError(`cannot connect to MongoDB: ${errorText(error)}`, {
        cause: error,
      });
    }
    const log = options.log ?? createLogger({ service: 'mongo-store' });
    return new MongoStore(client, databaseName, timeoutMs, log);
  }

  async ping(): Promise<void> {
    try {
      await this.client.db('admin').command({ ping: 1 });
    } catch (error) {
      throw new StoreUnavailableError('MongoDB did not answer a ping', { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.client.close();
  }
}

async function checkDeployment(client: MongoClient, databaseName: string): Promise<string | null> {
  const db = client.db(databaseName);
  const hello = await db.command({ hello: 1 });
  const memberProblem = replicaSetProblem(hello);
  if (memberProblem) return memberProblem;
  const indexes = await db
    .collection(COLLECTIONS.events)
    .listIndexes()
    .toArray()
    .catch((error: unknown) => {
      if (hasCode(error, MONGO_ERROR.NamespaceNotFound)) return [];
      throw error;
    });
  return indexProblem(indexes, databaseName);
}

/**
 * No server could be selected. With `replicaSet=` in MONGO_URL the driver leaves out a
 * standalone server or another set's member, so that looks like an outage: asking each seed
 * what it is tells a misconfiguration (not worth waiting for) from a server that is down.
 */
async function askSeedsDirectly(client: MongoClient, timeoutMs: number): Promise<string | null> {
  for (const host of client.options.hosts) {
    const probe = new MongoClient(`mongodb://${host.toString()}/`, {
      directConnection: true,
      serverSelectionTimeoutMS: timeoutMs,
    });
    try {
      const problem = replicaSetProblem(
        await probe.db('admin').command({ hello: 1 }),
        client.options.replicaSet,
      );
      if (problem) return problem;
    } catch {
      // Not reachable directly either: an outage, or options (TLS, say) this probe does not carry.
    } finally {
      await probe.close().catch(() => undefined);
    }
  }
  return null;
}

/** Names whose credentials were refused, never the password. */
function refusedCredentials(credentials: MongoLogin | undefined): string {
  return credentials
    ? `MongoDB refused the credentials of MONGO_USER "${credentials.username}" (authentication failed): ` +
        'check MONGO_USER and MONGO_PASSWORD, and that mongo-init created that user (MONGO_SERVICE_USER, MONGO_SERVICE_PASSWORD)'
    : 'MongoDB refused the credentials in MONGO_URL (authentication failed)';
}

function isConfigurationError(error: unknown): boolean {
  return (
    error instanceof MongoParseError ||
    error instanceof MongoInvalidArgumentError ||
    error instanceof MongoMissingCredentialsError
  );
}

import {
  type Collection,
  type Db,
  type Document,
  MongoClient,
  type MongoClientOptions,
  MongoInvalidArgumentError,
  MongoMissingCredentialsError,
  MongoParseError,
  MongoServerSelectionError,
} from 'mongodb';
import type { Registry } from 'prom-client';
import { createLogger } from '../../observability';
import { errorText } from '../../observability/error-fields';
import type { MetricsSource } from '../../observability/metrics-source';
import { StoreMisconfiguredError, StoreUnavailableError } from '../errors';
import type { Store } from '../store';
import type { StoreLayout } from '../partition-leases';
import { isAuthenticationFailure } from './authentication-failure';
import { CausalClock } from './causal-clock';
import { boundedClientOptions, type MongoWaits } from './client-options';
import { countCommands } from './command-metrics';
import { emailIndexProblem, indexProblem, replicaSetProblem } from './deployment-check';
import { hasCode, MONGO_ERROR } from './error-codes';
import { MongoDataKeyStore } from './mongo-data-key-store';
import { MongoEventStore } from './mongo-event-store';
import { MongoIdempotencyStore } from './mongo-idempotency-store';
import { MongoPartitionLeases } from './mongo-partition-leases';
import { MongoProjectionRebuilds } from './mongo-projection-rebuilds';
import { MongoSnapshotStore } from './mongo-snapshot-store';
import { readLayout } from './store-layout';
import type { StoreLog } from './resume-token';
import { COLLECTIONS, EMAIL_INDEX_KEY_OWNER, INDEXES } from './schema';

export const DEFAULT_STORE_TIMEOUT_MS = 2000;

export interface MongoStoreOptions {
  /**
   * Server time one read or commit may take (maxTimeMS, maxCommitTimeMS), and how long an
   * operation waits for a pooled connection: STORE_TIMEOUT_MS.
   */
  readonly timeoutMs?: number;
  /** How long a write waits for the majority (wtimeoutMS); unset, `timeoutMs`. */
  readonly writeConcernTimeoutMs?: number;
  /** How long an operation waits for a server (serverSelectionTimeoutMS); unset, `timeoutMs`. */
  readonly serverSelectionTimeoutMs?: number;
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

/** Each wait of the client, from the options (see `boundedClientOptions` for what bounds what). */
export function mongoWaits(options: MongoStoreOptions): MongoWaits {
  const operationMs = options.timeoutMs ?? DEFAULT_STORE_TIMEOUT_MS;
  return {
    operationMs,
    writeConcernMs: options.writeConcernTimeoutMs ?? operationMs,
    serverSelectionMs: options.serverSelectionTimeoutMs ?? operationMs,
  };
}

export class MongoStore implements Store, MetricsSource {
  readonly events: MongoEventStore;
  readonly snapshots: MongoSnapshotStore;
  readonly idempotency: MongoIdempotencyStore;
  readonly dataKeys: MongoDataKeyStore;
  readonly leases: MongoPartitionLeases;
  readonly rebuilds: MongoProjectionRebuilds;
  private readonly db: Db;
  private readonly timeoutMs: number;
  /** Read once: the layout never changes (store-layout.ts). */
  private fixedLayout: Promise<StoreLayout> | null = null;

  private constructor(
    private readonly client: MongoClient,
    databaseName: string,
    timeoutMs: number,
    log: StoreLog,
  ) {
    const db = client.db(databaseName);
    this.db = db;
    this.timeoutMs = timeoutMs;
    // One clock for both: a read of either sees this process's writes to both (a user's key is
    // created just before its first event is appended).
    const clock = new CausalClock(client);
    this.events = new MongoEventStore(client, db, clock, timeoutMs, log);
    this.snapshots = new MongoSnapshotStore(client, db, timeoutMs);
    this.idempotency = new MongoIdempotencyStore(db, timeoutMs);
    this.dataKeys = new MongoDataKeyStore(db, clock, timeoutMs);
    this.leases = new MongoPartitionLeases(db, timeoutMs);
    this.rebuilds = new MongoProjectionRebuilds(
      db,
      timeoutMs,
      async () => (await this.layout()).partitions,
    );
  }

  layout(): Promise<StoreLayout> {
    this.fixedLayout ??= readLayout(this.db, this.timeoutMs).catch((error: unknown) => {
      this.fixedLayout = null;
      throw error;
    });
    return this.fixedLayout;
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
    const waits = mongoWaits(options);
    const timeoutMs = waits.operationMs;
    let client: MongoClient;
    try {
      const auth = options.credentials ? { auth: { ...options.credentials } } : {};
      client = new MongoClient(url, {
        ...boundedClientOptions(waits),
        // For countInto: the driver reports each command it sends (commandStarted). Its cost:
        // an event object per command, and each reply deserialized once more for the
        // commandSucceeded event (connection.ts sendCommand, `document.toObject`), which for a
        // cursor batch is otherwise read lazily: small on the request path (one user's
        // documents), a second parse of each batch for an aggregator's restore and catch-up.
        monitorCommands: true,
        ...auth,
        ...options.client,
      });
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
          ? await askSeedsDirectly(client, waits.serverSelectionMs)
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

  /**
   * Counts every command this store's client sends, and those that wait for a majority, into
   * `registry` (mongodb_commands_total, mongodb_majority_waits_total: command-metrics.ts). A
   * gateway or aggregator counts its own store's; where several share one store (the in-process
   * system), each counts every command of that client.
   */
  countInto(registry: Registry): () => void {
    return countCommands(this.client, registry);
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

/**
 * The deployment as the services need it, or the sentence saying what is wrong: a replica set,
 * every index mongo-init creates (services never create them), and the email claims' key.
 */
async function checkDeployment(client: MongoClient, databaseName: string): Promise<string | null> {
  const db = client.db(databaseName);
  const hello = await db.command({ hello: 1 });
  const memberProblem = replicaSetProblem(hello);
  if (memberProblem) return memberProblem;
  const indexes = Object.fromEntries(
    await Promise.all(
      Object.keys(INDEXES).map(
        async (name) => [name, await indexesOf(db.collection(name))] as const,
      ),
    ),
  );
  const problem = indexProblem(indexes, databaseName);
  if (problem) return problem;
  const [claim, emailIndexKey] = await Promise.all([
    db.collection(COLLECTIONS.emailClaims).findOne({}, { projection: { _id: 1 } }),
    db
      .collection<{ _id: string }>(COLLECTIONS.dataKeys)
      .findOne({ _id: EMAIL_INDEX_KEY_OWNER }, { projection: { _id: 1 } }),
  ]);
  return emailIndexProblem(
    { claims: claim !== null, emailIndexKey: emailIndexKey !== null },
    databaseName,
  );
}

/** The indexes of a collection as listIndexes answers them; none when it does not exist. */
function indexesOf(collection: Collection): Promise<Document[]> {
  return collection
    .listIndexes()
    .toArray()
    .catch((error: unknown) => {
      if (hasCode(error, MONGO_ERROR.NamespaceNotFound)) return [];
      throw error;
    });
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

import { type User } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { type Document, MongoClient } from 'mongodb';
import { MongoMemoryReplSet, type MongoMemoryServer } from 'mongodb-memory-server';
import { describeWithMongoBinary } from '@user-service/test-support';
import type { InProcessCluster } from '@user-service/launcher';
import { type Answer, apiClient, type ApiClient } from '../http-client';
import { startTestSystem } from '../test-system';

/** How long one store operation may wait, in the store and in the gateway: short, so that a 503 comes quickly. */
const STORE_TIMEOUT_MS = 1000;
/** What "quickly" means for a whole request through the running system. */
const ANSWER_WITHIN_MS = 5000;
/** The system's MongoDB client, so that a failpoint hits its commands and no one else's. */
const STORE_APP_NAME = 'majority-loss-system';

interface Member {
  readonly name: string;
  readonly state: string;
}

/**
 * Three data-bearing members (PSS), each started by this suite with test commands, so that a
 * member can be stopped or locked, and failpoints set, without touching the test run's replica set.
 */
class ThreeMemberSystem {
  private constructor(
    readonly replSet: MongoMemoryReplSet,
    readonly admin: MongoClient,
    /** The store the gateway and the aggregators use. */
    readonly store: MongoStore,
    readonly system: InProcessCluster,
    readonly api: ApiClient,
  ) {}

  static async start(binary: string, name: string): Promise<ThreeMemberSystem> {
    const replSet = await MongoMemoryReplSet.create({
      binary: { systemBinary: binary },
      replSet: {
        name,
        count: 3,
        storageEngine: 'wiredTiger',
        args: ['--setParameter', 'enableTestCommands=1'],
      },
    });
    const admin = await MongoClient.connect(replSet.getUri());
    let store: MongoStore | undefined;
    try {
      // mongodb-memory-server returns once there is a primary; the secondaries may still be syncing.
      await until(async () => {
        const states = (await members(admin)).map((member) => member.state).sort();
        return states.join() === 'PRIMARY,SECONDARY,SECONDARY';
      }, 'all three members to be PRIMARY or SECONDARY');
      const databaseName = 'users';
      await ensureSchema(admin.db(databaseName));
      store = await MongoStore.connect(replSet.getUri(), databaseName, {
        timeoutMs: STORE_TIMEOUT_MS,
        client: { appName: STORE_APP_NAME },
      });
      // A generous forward timeout: reads must be seen served by the aggregators, not by the
      // store because a busy test machine was slow to answer one.
      const system = await startTestSystem({
        store,
        storeTimeoutMs: STORE_TIMEOUT_MS,
        forwardTimeoutMs: 1000,
      });
      await until(
        () => [0, 1, 2].every((index) => system.aggregator(index).aggregator.isReady),
        'the aggregators to be ready',
      );
      return new ThreeMemberSystem(replSet, admin, store, system, apiClient(system.gateway.url));
    } catch (error) {
      // Nothing of a failed start may outlive the suite: three mongod processes would.
      await store?.close().catch(() => undefined);
      await admin.close();
      await replSet.stop();
      throw error;
    }
  }

  /** The members in this state (PRIMARY or SECONDARY), as their mongodb-memory-server instances. */
  async servers(state: string): Promise<MongoMemoryServer[]> {
    const ports = (await members(this.admin))
      .filter((member) => member.state === state)
      .map((member) => portOf(member.name));
    return this.replSet.servers.filter((server) => ports.includes(server.instanceInfo?.port ?? -1));
  }

  async stop(): Promise<void> {
    try {
      await this.system.close(); // closes the store too
      await this.admin.close();
    } finally {
      await this.replSet.stop();
    }
  }
}

async function members(admin: MongoClient): Promise<Member[]> {
  const status: Document = await admin.db('admin').command({ replSetGetStatus: 1 });
  const list: unknown = status.members;
  if (!Array.isArray(list)) return [];
  return list.flatMap((member: unknown) =>
    typeof member === 'object' && member !== null && 'name' in member && 'stateStr' in member
      ? [{ name: String(member.name), state: String(member.stateStr) }]
      : [],
  );
}

function portOf(hostAndPort: string): number {
  return Number(hostAndPort.slice(hostAndPort.lastIndexOf(':') + 1));
}

/** A client for one member alone, as an operator would connect to lock or inspect it. */
function directClient(server: MongoMemoryServer): Promise<MongoClient> {
  return MongoClient.connect(
    `mongodb://127.0.0.1:${server.instanceInfo!.port}/?directConnection=true`,
  );
}

/** Polls the replica set gently: its elections take seconds. */
function until(
  condition: () => Promise<boolean> | boolean,
  what: string,
  timeoutMs = 60_000,
): Promise<void> {
  return waitUntil(condition, { describe: what, timeoutMs, intervalMs: 100 });
}

/** `work`, or a rejection once it has taken `ms`: a hung request fails with a message, not the suite's timeout. */
function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Reads the gateway answered from the store because the owning aggregator could not. */
async function fallbackReads(gatewayUrl: string): Promise<number> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('gateway_fallback_reads_total'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

function expectUnavailable(answer: Answer): void {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('retry-after')).toBe('1');
  expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(answer.body).toEqual(
    expect.objectContaining({ status: 503, type: expect.any(String), detail: expect.any(String) }),
  );
}

const userNumbered = (n: number): User => ({
  id: `kept${n}`,
  name: `Kept ${n}`,
  email: `kept${n}@example.com`,
  group: n,
});

describeWithMongoBinary('majority lost: one secondary stopped, the other locked', (binary) => {
  let running: ThreeMemberSystem | undefined;

  beforeAll(async () => {
    running = await ThreeMemberSystem.start(binary, 'rs-majority-loss');
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  // The primary stays primary (it still sees a majority of voters), so nothing fails over and
  // nothing refuses a write: only the majority acknowledgement never comes. Unbounded, every
  // write would hang; bounded, the client is told at once to come back later.
  it('answers writes 503 with Retry-After within seconds, and keeps serving reads from the aggregators', async () => {
    const { api, system } = running!;
    const users = Array.from({ length: 6 }, (_, n) => userNumbered(n));
    for (const user of users) expect((await api.create(user)).status).toBe(201);
    await until(
      () =>
        users.every((user) =>
          [0, 1, 2].some(
            (index) => system.aggregator(index).aggregator.users.get(user.id).version === 1,
          ),
        ),
      'the aggregators to apply the users',
      10_000,
    );

    const [locked, stopped] = await running!.servers('SECONDARY');
    expect(locked).toBeDefined();
    expect(stopped).toBeDefined();
    const lockClient = await directClient(locked!);
    try {
      // fsyncLock stops the member applying (and so acknowledging) replicated writes, while it
      // keeps answering heartbeats: the primary still counts it as up.
      await lockClient.db('admin').command({ fsync: 1, lock: true });
      await stopped!.stop({ doCleanup: false, force: false });

      const started = Date.now();
      const answer = await within(
        api.create({ id: 'during', name: 'During', email: 'during@example.com', group: 1 }),
        ANSWER_WITHIN_MS * 3,
        'a POST without a majority',
      );
      const elapsed = Date.now() - started;
      expectUnavailable(answer);
      expect(elapsed).toBeLessThan(ANSWER_WITHIN_MS);

      const fallbacksBefore = await fallbackReads(system.gateway.url);
      for (const user of users) {
        const read = await api.get(user.id);
        expect({ id: user.id, status: read.status, body: read.body }).toEqual({
          id: user.id,
          status: 200,
          body: user,
        });
      }
      expect(await fallbackReads(system.gateway.url)).toBe(fallbacksBefore);
    } finally {
      // Unlocked before the system stops, so that its final snapshots have their majority again.
      await lockClient
        .db('admin')
        .command({ fsyncUnlock: 1 })
        .catch(() => undefined);
      await lockClient.close();
    }
  }, 60_000);
});

describeWithMongoBinary('the outcome of a 503 is unknown', (binary) => {
  let running: ThreeMemberSystem | undefined;

  beforeAll(async () => {
    running = await ThreeMemberSystem.start(binary, 'rs-unknown-outcome');
  }, 120_000);

  afterAll(async () => {
    await running?.stop();
  }, 60_000);

  // As when the primary commits a write and then steps down before the majority acknowledges
  // it: the client gets 503, yet the event is stored and the user exists. A client that retries
  // must read first.
  //
  // The failpoint targets the create's commit, the one command whose success stores the user:
  // - a create is one transaction (its data key, event and claim), so an insert's (or a
  //   bulkWrite's) write concern error would come back before the commit and the adapter would
  //   abort: nothing stored. The commit instead commits on the primary and then, instead of
  //   waiting for the majority, answers a writeConcernError (server:
  //   service_entry_point_shard_role.cpp, RunCommandAndWaitForWriteConcern::_waitForWriteConcern,
  //   checks failCommand for every command that supports a write concern, commitTransaction
  //   among them, and takes `errorLabels` from the top level of `data`);
  // - the driver retries a commit once when the error carries RetryableWriteError
  //   (node_modules/mongodb/src/sessions.ts commitTransaction, "SPEC-1185"); the retry of a
  //   committed transaction commits nothing new and meets the failpoint again, and the error then
  //   carries UnknownTransactionCommitResult (shouldAddUnknownTransactionCommitResultLabel);
  // - executeOperation never retries a RunCommandOperation itself (execute_operation.ts
  //   canRetry: "run command is only retryable if we get retryable overload errors"), and the
  //   failpoint's predicate needs `writeConcernError`, so the command-start check does not count
  //   it: `times: 2` is used up by exactly the first commit and its retry.
  // One create first, so that what a process's first create pays once (the `$email-index` data
  // key) is done and the failpoint meets the commit of the user's create, not anything before it.
  it('may have stored the write it answered 503', async () => {
    const { admin, api, store } = running!;
    const warmUp: User = { id: 'warm', name: 'Warm', email: 'warm@example.com', group: 2 };
    expect((await api.create(warmUp)).status).toBe(201);
    const user: User = { id: 'maybe', name: 'Maybe', email: 'maybe@example.com', group: 3 };
    // Through the replica set client, so on the primary, where the system's commits go.
    await admin.db('admin').command({
      configureFailPoint: 'failCommand',
      mode: { times: 2 },
      data: {
        failCommands: ['commitTransaction'],
        appName: STORE_APP_NAME,
        writeConcernError: { code: 91, errmsg: 'injected: the primary is shutting down' },
        errorLabels: ['RetryableWriteError'],
      },
    });
    let timesEntered: unknown;
    try {
      expectUnavailable(await api.create(user));
    } finally {
      // Switching it off answers how often it fired (FailPoint::setMode returns timesEntered,
      // which counts activations only: fail_point.cpp _slowShouldFailOpenBlock).
      const switchedOff: Document = await admin
        .db('admin')
        .command({ configureFailPoint: 'failCommand', mode: 'off' });
      timesEntered = switchedOff.count;
    }
    // The commit and the driver's one retry of it: nothing else of the create met it.
    expect(timesEntered).toBe(2);

    // Majority reads may take a moment to include it: the failed write was not acknowledged.
    await until(
      async () => (await store.events.readUserEvents(user.id)).length > 0,
      'the event to be visible',
      5000,
    );
    const stored = await store.events.readUserEvents(user.id);
    expect(stored).toEqual([
      expect.objectContaining({ userId: user.id, version: 1, type: 'UserCreated' }),
    ]);
    // The client's retry of its own create finds its own user, which the aggregators apply
    // like any other: it exists, though its create was answered 503.
    expect((await api.create(user)).status).toBe(409);
    await until(
      async () => (await api.get(user.id)).status === 200,
      'the user to be readable',
      5000,
    );
    expect((await api.get(user.id)).body).toEqual(user);
  }, 60_000);
});

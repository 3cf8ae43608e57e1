import { aggregatorOf, partitionOf, type User } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import type { InProcessCluster } from '@user-service/launcher';
import { describeWithMongo } from '@user-service/test-support';
import { MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import { type Answer, apiClient, type ApiClient } from './http-client';
import { startTestSystem } from './test-system';

const PARTITIONS = 12;
const AGGREGATORS = 3;

/** What one request cost the gateway's store: commands sent, and those that waited for a majority. */
interface Cost {
  readonly commands: number;
  readonly majorityWaits: number;
  /** Each command's count by `collection command`, to show where a ceiling was passed. */
  readonly detail: Readonly<Record<string, number>>;
}

/** The most a request may cost (issue 22, "Round trips"). */
interface Ceiling {
  readonly commands: number;
  readonly majorityWaits: number;
}

const CEILINGS = {
  create: { commands: 2, majorityWaits: 1 },
  updateKeepingEmail: { commands: 2, majorityWaits: 1 },
  updateChangingEmail: { commands: 3, majorityWaits: 1 },
  delete: { commands: 3, majorityWaits: 1 },
  erase: { commands: 3, majorityWaits: 1 },
  keyedReplay: { commands: 2, majorityWaits: 0 },
  fallbackRead: { commands: 2, majorityWaits: 0 },
} as const satisfies Record<string, Ceiling>;

/** A keyed write's first attempt: the plain write's ceiling and one command more. */
function keyed(plain: Ceiling): Ceiling {
  return { commands: plain.commands + 1, majorityWaits: plain.majorityWaits + 1 };
}

/** A counter of the gateway's, per label set (`collection="Events",command="insert"`), from /metrics. */
async function counters(gatewayUrl: string, metric: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const counts = new Map<string, number>();
  const line = new RegExp(`^${metric}\\{([^}]*)\\} (\\S+)$`);
  for (const found of text.split('\n').map((each) => line.exec(each))) {
    if (found) counts.set(found[1] ?? '', Number(found[2]));
  }
  return counts;
}

/** What a store counts per request: its round trips, and those that wait for a majority. */
interface Meter {
  readonly roundTrips: string;
  readonly majorityWaits?: string;
}

/**
 * MongoDB: every command the gateway's client sent. In memory: every call of the gateway on a
 * store port (gateway_store_operations_total), each of which stands for one command on MongoDB;
 * nothing is replicated there, so nothing waits for a majority.
 */
const MONGO: Meter = {
  roundTrips: 'mongodb_commands_total',
  majorityWaits: 'mongodb_majority_waits_total',
};
const MEMORY: Meter = { roundTrips: 'gateway_store_operations_total' };

function sum(counts: Map<string, number>): number {
  return [...counts.values()].reduce((total, count) => total + count, 0);
}

/**
 * Round trips per API request, counted where they happen: each request's cost is the difference
 * of the gateway's counters around it (`meter`). On MongoDB the gateway has a store client of its
 * own, as it has when it runs as its own process, so the aggregators' tails and snapshot saves
 * are not counted. Before anything is measured, one create warms the process: what only a
 * process's first write pays (the `$email-index` data key, found or made once and cached) is not
 * the cost of a request. `start` starts the system, `stop` cleans up after it.
 */
function defineRoundTrips(
  meter: Meter,
  start: () => Promise<InProcessCluster>,
  stop: () => Promise<void> = async () => undefined,
): void {
  let system: InProcessCluster;
  let api: ApiClient;

  beforeAll(async () => {
    system = await start();
    api = apiClient(system.gateway.url);
    expect((await api.create(user('warm-up'))).status).toBe(201);
  });

  afterAll(async () => {
    await system?.close();
    await stop();
  });

  function user(id: string, email = `${id}@example.com`): User {
    return { id, name: `User ${id}`, email, group: 1 };
  }

  /** The request's answer, and what it cost the gateway's store. */
  async function costOf(request: () => Promise<Answer>): Promise<{ answer: Answer; cost: Cost }> {
    const url = system.gateway.url;
    const read = async (metric: string | undefined) =>
      metric === undefined ? new Map<string, number>() : counters(url, metric);
    const [commandsBefore, waitsBefore] = await Promise.all([
      read(meter.roundTrips),
      read(meter.majorityWaits),
    ]);
    const answer = await request();
    const [commandsAfter, waitsAfter] = await Promise.all([
      read(meter.roundTrips),
      read(meter.majorityWaits),
    ]);
    const detail: Record<string, number> = {};
    for (const [name, count] of commandsAfter) {
      const spent = count - (commandsBefore.get(name) ?? 0);
      if (spent > 0) detail[name] = spent;
    }
    return {
      answer,
      cost: {
        commands: sum(commandsAfter) - sum(commandsBefore),
        majorityWaits: sum(waitsAfter) - sum(waitsBefore),
        detail,
      },
    };
  }

  /**
   * Shown whole when it fails: the cost, the ceiling, and each command the request sent. Every
   * request measured here reaches the store at least once: a cost of nothing means the counter
   * is not counting.
   */
  function expectWithin(cost: Cost, ceiling: Ceiling): void {
    expect({
      ...cost,
      within:
        cost.commands > 0 &&
        cost.commands <= ceiling.commands &&
        cost.majorityWaits <= ceiling.majorityWaits,
      ceiling,
    }).toMatchObject({ within: true });
  }

  async function created(id: string): Promise<void> {
    expect((await api.create(user(id))).status).toBe(201);
  }

  it('a create', async () => {
    const { answer, cost } = await costOf(() => api.create(user('carol')));
    expect(answer.status).toBe(201);
    expectWithin(cost, CEILINGS.create);
  });

  it('an update that keeps the email', async () => {
    await created('dave');
    const { answer, cost } = await costOf(() => api.update({ id: 'dave', group: 2 }));
    expect(answer.status).toBe(200);
    expectWithin(cost, CEILINGS.updateKeepingEmail);
  });

  it('an update that changes the email', async () => {
    await created('erin');
    const { answer, cost } = await costOf(() =>
      api.update({ id: 'erin', email: 'erin.new@example.com' }),
    );
    expect(answer.status).toBe(200);
    expectWithin(cost, CEILINGS.updateChangingEmail);
  });

  it('a delete', async () => {
    await created('frank');
    const { answer, cost } = await costOf(() => api.remove('frank'));
    expect(answer.status).toBe(204);
    expectWithin(cost, CEILINGS.delete);
  });

  it('an erasure', async () => {
    await created('grace');
    const { answer, cost } = await costOf(() =>
      api.send('DELETE', '/api/user/grace/personal-data'),
    );
    expect(answer.status).toBe(204);
    expectWithin(cost, CEILINGS.erase);
  });

  describe('with an Idempotency-Key', () => {
    const key = (value: string) => ({ 'idempotency-key': value });

    it('a keyed create costs the create and one command more; its replay at most 2, no majority wait', async () => {
      const first = await costOf(() => api.create(user('heidi'), key('create-heidi')));
      expect(first.answer.status).toBe(201);
      expectWithin(first.cost, keyed(CEILINGS.create));

      const replay = await costOf(() => api.create(user('heidi'), key('create-heidi')));
      expect(replay.answer.status).toBe(201);
      expect(replay.answer.headers.get('idempotent-replayed')).toBe('true');
      expectWithin(replay.cost, CEILINGS.keyedReplay);
    });

    it('a keyed update and a keyed delete cost the plain write and one command more', async () => {
      await created('ivan');
      const update = await costOf(() => api.update({ id: 'ivan', group: 3 }, key('move-ivan')));
      expect(update.answer.status).toBe(200);
      expectWithin(update.cost, keyed(CEILINGS.updateKeepingEmail));

      const removal = await costOf(() =>
        api.send('DELETE', '/api/user/ivan', { headers: key('delete-ivan') }),
      );
      expect(removal.answer.status).toBe(204);
      expectWithin(removal.cost, keyed(CEILINGS.delete));
    });
  });

  // Last: it stops an aggregator. The gateway reads from the store only when the owning
  // aggregator cannot answer, as in the system contract's fallback tests.
  it('a read the owning aggregator cannot answer, served from the store', async () => {
    await created('judy');
    await system.stopAggregator(
      aggregatorOf(partitionOf('judy', PARTITIONS), AGGREGATORS),
      'crash',
    );
    const { answer, cost } = await costOf(() => api.get('judy'));
    expect({ status: answer.status, body: answer.body }).toEqual({
      status: 200,
      body: user('judy'),
    });
    expectWithin(cost, CEILINGS.fallbackRead);
  });
}

describeWithMongo('round trips per request on MongoDB', (mongoUrl) => {
  let admin: MongoClient;
  const databaseName = `trips_${uuidv4().replaceAll('-', '')}`;
  defineRoundTrips(
    MONGO,
    async () => {
      admin = await MongoClient.connect(mongoUrl);
      await ensureSchema(admin.db(databaseName));
      return startTestSystem({
        store: await MongoStore.connect(mongoUrl, databaseName),
        gatewayStore: await MongoStore.connect(mongoUrl, databaseName),
        aggregatorCount: AGGREGATORS,
      });
    },
    async () => {
      await admin.db(databaseName).dropDatabase();
      await admin.close();
    },
  );
});

describe('round trips per request in memory', () => {
  defineRoundTrips(MEMORY, () =>
    startTestSystem({
      store: new InMemoryStore(),
      aggregatorCount: AGGREGATORS,
    }),
  );
});

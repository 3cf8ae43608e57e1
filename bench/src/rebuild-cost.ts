import { startAggregatorNode } from '@user-service/aggregator';
import { partitionOf, stampEvents, type UserEventBody } from '@user-service/common/domain';
import { ephemeralMasterKeys } from '@user-service/common/personal-data';
import { currentStatus, type Store } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Registry } from 'prom-client';

const PARTITIONS = 16;
/** Events per user: a create and three updates, as a user's life goes. */
const EVENTS_PER_USER = 4;
/** The target of the rebuild issue: events folded again per second, per aggregator. */
const TARGET_EVENTS_PER_SECOND = 100_000;

export interface RebuildRun {
  readonly store: 'memory' | 'mongo';
  readonly events: number;
  /** From the request to every partition switched over, one aggregator holding all of them. */
  readonly seconds: number;
  readonly eventsPerSecond: number;
}

export interface RebuildCostReport {
  readonly runs: readonly RebuildRun[];
  /** Why MongoDB was not measured, when it was not. */
  readonly mongoSkipped: string | null;
}

/**
 * How fast one aggregator folds its partitions again from the log into a new generation: the
 * events of `users` users appended straight to the store, one aggregator caught up with them
 * (and its snapshot saved), then a rebuild asked for and timed to done. In memory always; on
 * MongoDB too where MONGO_URL names one (a fresh database, dropped after).
 */
export async function rebuildCostCheck(users: number): Promise<RebuildCostReport> {
  const runs = [await timeRebuild('memory', new InMemoryStore({ partitions: PARTITIONS }), users)];
  const mongoUrl = process.env.MONGO_URL;
  if (!mongoUrl) return { runs, mongoSkipped: 'MONGO_URL is unset' };
  const databaseName = `bench_rebuild_${randomUUID().replaceAll('-', '')}`;
  const admin = await MongoClient.connect(mongoUrl);
  try {
    await ensureSchema(admin.db(databaseName), PARTITIONS);
    const store = await MongoStore.connect(mongoUrl, databaseName);
    runs.push(await timeRebuild('mongo', store, users));
  } finally {
    await admin.db(databaseName).dropDatabase();
    await admin.close();
  }
  return { runs, mongoSkipped: null };
}

async function timeRebuild(
  kind: 'memory' | 'mongo',
  store: Store,
  users: number,
): Promise<RebuildRun> {
  const events = await seed(store, users);
  const node = await startAggregatorNode({
    name: 'aggregator-0',
    snapshotEvery: 100,
    store,
    masterKeys: ephemeralMasterKeys(),
    port: 0,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
    internalToken: randomUUID(),
    registry: new Registry(),
    rebuildCheckEveryMs: 10,
  });
  try {
    while (!node.aggregator.isReady) await sleep(10);
    await node.aggregator.snapshot();
    const started = process.hrtime.bigint();
    const { rebuild } = await store.rebuilds.request(randomUUID(), new Date());
    while ((await currentStatus(store.rebuilds, rebuild)).state !== 'done') await sleep(5);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { store: kind, events, seconds, eventsPerSecond: events / seconds };
  } finally {
    await node.stop();
    await store.close();
  }
}

/** Appends every user's events straight to the store, in appends of one user's life each. */
async function seed(store: Store, users: number): Promise<number> {
  let count = 0;
  for (let n = 0; n < users; n++) {
    const id = `rebuild-${n}`;
    const bodies: UserEventBody[] = [
      {
        type: 'UserCreated',
        data: { name: `User ${n}`, email: `u${n}@example.com`, group: n % 7 },
      },
      ...Array.from({ length: EVENTS_PER_USER - 1 }, (_, k): UserEventBody => ({
        type: 'UserUpdated',
        data: { group: (n + k + 1) % 7 },
      })),
    ];
    const events = stampEvents(id, 0, bodies, {
      newEventId: randomUUID,
      now: () => new Date(),
      partitionOf: (userId) => partitionOf(userId, PARTITIONS),
    });
    await store.events.append(id, 0, events);
    count += events.length;
  }
  return count;
}

export function rebuildCostTable(report: RebuildCostReport): string {
  const rows = report.runs.map(({ store, events, seconds, eventsPerSecond }) => {
    const million = 1_000_000 / eventsPerSecond;
    const target = eventsPerSecond >= TARGET_EVENTS_PER_SECOND ? 'met' : 'missed';
    return `| ${store === 'mongo' ? 'MongoDB' : 'in memory'} | ${events} | ${seconds.toFixed(2)} s | ${Math.round(eventsPerSecond)} | ${million.toFixed(1)} s | ${target} |`;
  });
  return [
    '| store | events | request to done | events / s (one aggregator) | 1,000,000 events at that rate | target 100,000 / s |',
    '| --- | ---: | ---: | ---: | ---: | --- |',
    ...rows,
    '',
    report.mongoSkipped
      ? `MongoDB not measured: ${report.mongoSkipped}.`
      : 'MongoDB measured on a fresh database of the MONGO_URL server.',
    'One aggregator holds all 16 partitions and folds them one after another while it serves; ' +
      'the time includes reading every event back from the store, folding it, and each partition’s whole save.',
  ].join('\n');
}

/**
 * One recovery measurement, in a process of its own so that its memory figures are its own:
 * a store holding `users` users and a snapshot of them, then `events` more events; an
 * aggregator owning every partition starts, and the time until it is ready is measured.
 * Prints one JSON line.
 */
import { startAggregatorNode } from '@user-service/aggregator';
import {
  ephemeralMasterKeys,
  partitionOf,
  type SnapshotEntry,
  stampEvents,
  type UserEventBody,
} from '@user-service/common';
import { InMemoryStore } from '@user-service/common/store/memory';
import { PassThrough } from 'node:stream';

const PARTITIONS = 12;
const [users = 100_000, events = 0] = process.argv.slice(2).map(Number);

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

async function main(): Promise<void> {
  const store = new InMemoryStore();
  let counter = 0;
  const stamp = (userId: string, after: number, body: UserEventBody) =>
    stampEvents(userId, after, [body], {
      newEventId: () => `e${++counter}`,
      now: () => new Date(),
      partitionOf: (id) => partitionOf(id, PARTITIONS),
    });

  const entries: SnapshotEntry[] = [];
  for (let n = 0; n < users; n++) {
    const userId = `user-${n}`;
    const data = { name: `User ${n}`, email: `user${n}@example.com`, group: n % 1000 };
    await store.events.append(userId, 0, stamp(userId, 0, { type: 'UserCreated', data }));
    entries.push({
      userId,
      partition: partitionOf(userId, PARTITIONS),
      version: 1,
      user: { id: userId, ...data },
    });
  }
  const { livePosition } = await store.events.catchUp([]);
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
  await store.snapshots.save({ partitions, entries, checkpoint: livePosition });
  entries.length = 0;

  const versions = new Map<string, number>();
  for (let n = 0; n < events; n++) {
    const userId = `user-${n % users}`;
    const version = versions.get(userId) ?? 1;
    await store.events.append(
      userId,
      version,
      stamp(userId, version, { type: 'UserUpdated', data: { group: n } }),
    );
    versions.set(userId, version + 1);
  }

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const node = await startAggregatorNode({
    index: 0,
    aggregatorCount: 1,
    partitions: PARTITIONS,
    snapshotEvery: Number.MAX_SAFE_INTEGER,
    store,
    // The store and its data keys live and die with this process, and so may its master key.
    masterKeys: ephemeralMasterKeys(),
    port: 0,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
  });
  while (!node.aggregator.isReady) await new Promise((resolve) => setImmediate(resolve));
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  await node.crash();

  process.stdout.write(
    `${JSON.stringify({
      users,
      events,
      readyMs,
      eventsPerSecond: events === 0 ? null : events / (readyMs / 1000),
      heapBytesPer100kUsers: ((heapAfter - heapBefore) / users) * 100_000,
    })}\n`,
  );
}

void main();

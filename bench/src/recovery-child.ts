/**
 * One recovery measurement, in a process of its own so that its memory figures are its own:
 * a store holding `users` users and a snapshot of them, then `events` more events; an
 * aggregator owning every partition starts, and the time until it is ready is measured.
 * Everything is stored as a gateway stores it: names and emails sealed with each user's data
 * key (which the store then holds), the email claimed by its keyed hash, and the snapshot
 * holding the users sealed, as an aggregator saves them; the aggregator gets the same master
 * keys. Prints one JSON line.
 */
import { startAggregatorNode } from '@user-service/aggregator';
import { newInternalToken } from '@user-service/common/config';
import {
  ephemeralMasterKeys,
  type MasterKeyring,
  PersonalData,
  sealAndAppend,
} from '@user-service/common/personal-data';
import {
  partitionOf,
  stampEvents,
  type User,
  type UserEventBody,
} from '@user-service/common/domain';
import { type SnapshotEntry } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { PassThrough } from 'node:stream';

const PARTITIONS = 12;
const [users = 100_000, events = 0] = process.argv.slice(2).map(Number);

function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * Fills `store` with what a system would have stored. Its own function, so that the seeding's
 * PersonalData (and the 100,000 data keys it caches) is garbage before the heap is measured:
 * only the store's own copy of the wrapped keys stays, before and after the aggregator starts.
 */
async function seed(store: InMemoryStore, masterKeys: MasterKeyring): Promise<void> {
  // Sealed as a gateway seals, with the master keys the aggregator gets.
  const personalData = new PersonalData(store.dataKeys, masterKeys);
  let counter = 0;
  const append = async (userId: string, after: number, body: UserEventBody) => {
    const stamped = stampEvents(userId, after, [body], {
      newEventId: () => `e${++counter}`,
      now: () => new Date(),
      partitionOf: (id) => partitionOf(id, PARTITIONS),
    });
    const key = personalData.keyIn(userId, await store.events.readUser(userId));
    await sealAndAppend(store.events, personalData, { version: after, key }, stamped);
    return store.events.readUserEvents(userId, after);
  };

  const entries: SnapshotEntry[] = [];
  for (let n = 0; n < users; n++) {
    const userId = `user-${n}`;
    const data = { name: `User ${n}`, email: `user${n}@example.com`, group: n % 1000 };
    const [created] = await append(userId, 0, { type: 'UserCreated', data });
    // The user as an aggregator folds and saves it: with the event's sealed name and email.
    const sealed = created?.data as Omit<User, 'id'>;
    entries.push({
      userId,
      partition: partitionOf(userId, PARTITIONS),
      version: 1,
      user: { id: userId, name: sealed.name, email: sealed.email, group: sealed.group },
    });
  }
  const { livePosition } = await store.events.catchUp([]);
  const partitions = Array.from({ length: PARTITIONS }, (_, p) => p);
  await store.snapshots.save({ partitions, entries, checkpoint: livePosition });
  entries.length = 0;

  // Group changes only, as before sealing: nothing personal in them to seal.
  const versions = new Map<string, number>();
  for (let n = 0; n < events; n++) {
    const userId = `user-${n % users}`;
    const version = versions.get(userId) ?? 1;
    await append(userId, version, { type: 'UserUpdated', data: { group: n } });
    versions.set(userId, version + 1);
  }
}

async function main(): Promise<void> {
  const store = new InMemoryStore({ partitions: PARTITIONS });
  const masterKeys = ephemeralMasterKeys();
  await seed(store, masterKeys);

  collectGarbage();
  const heapBefore = process.memoryUsage().heapUsed;
  const started = process.hrtime.bigint();
  const node = await startAggregatorNode({
    name: 'aggregator-0',
    snapshotEvery: Number.MAX_SAFE_INTEGER,
    store,
    // The store and its data keys live and die with this process, and so may its master key.
    masterKeys,
    port: 0,
    // Nothing but this process calls it.
    internalToken: newInternalToken(),
    logLevel: 'error',
    logStream: new PassThrough().resume(),
  });
  while (!node.aggregator.isReady) await new Promise((resolve) => setImmediate(resolve));
  const readyMs = Number(process.hrtime.bigint() - started) / 1e6;
  collectGarbage();
  const heapAfter = process.memoryUsage().heapUsed;
  // After the figures: the aggregator holds the last user sealed, and opens it as it would to answer.
  const last = users - 1;
  const held = node.aggregator.users.get(`user-${last}`).user;
  const [opened] = held ? await node.aggregator.opened.open([held]) : [];
  await node.crash();
  if (held?.name === `User ${last}` || opened?.name !== `User ${last}`)
    throw new Error(`user-${last} was not held sealed, or did not open: ${JSON.stringify(held)}`);

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

main().catch((error: unknown) => {
  process.stderr.write(`recovery: ${String(error)}\n`);
  process.exit(1);
});

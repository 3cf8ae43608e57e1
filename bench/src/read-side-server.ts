/**
 * The system under test for the read side: the STORE=memory system as `npm start` runs it (a
 * gateway and its aggregators in one process over an InMemoryStore, see the launcher's
 * memory-mode.ts), but with a store seeded directly before the nodes start, so that 100,000
 * users take seconds rather than a minute of POSTs and their events can carry chosen dates:
 *
 * - users `bench-0` .. `bench-(users-1)`, one UserCreated each;
 * - `bench-0` updated until it has `historyEvents` events (1 create + the rest UserUpdated),
 *   its updates spread through the log;
 * - every event's `occurredAt` spread evenly over `days` UTC days ending yesterday.
 *
 * The aggregators then start over that store and catch up on it as after a first start. Before
 * they do, the two store calls the read side leans on are timed here alone (no HTTP), so the
 * report can tell the store's share from the rest. Reports over IPC; stops on SIGTERM.
 */
import {
  DEFAULT_PARTITIONS,
  partitionOf,
  stampEvents,
  type UserEventBody,
} from '@user-service/common/domain';
import {
  ephemeralMasterKeys,
  type MasterKeyring,
  PersonalData,
  sealAndAppend,
} from '@user-service/common/personal-data';
import { stopOnSignals } from '@user-service/common/lifecycle';
import { InMemoryStore } from '@user-service/common/store/memory';
import { InProcessCluster } from '@user-service/launcher';
import { randomUUID } from 'node:crypto';
import { seededId } from './seed';

export interface ReadSideSeedArgs {
  readonly users: number;
  readonly historyEvents: number;
  readonly days: number;
  readonly gatewayPort: number;
  readonly aggregatorBasePort: number;
}

/** What the server tells the bench once it listens. */
export interface ReadSideSeeded {
  readonly kind: 'seeded';
  readonly users: number;
  readonly events: number;
  readonly historyUser: string;
  readonly historyEvents: number;
  /** First and last UTC day (YYYY-MM-DD) holding a seeded event. */
  readonly firstDay: string;
  readonly lastDay: string;
  readonly seedMs: number;
  /** From starting the nodes until every aggregator has caught up and is ready. */
  readonly startMs: number;
  /** The store alone, median of several calls: the history read and the day count. */
  readonly storeHistoryMs: number;
  readonly storeEventStatsMs: number;
}

const DAY_MS = 86_400_000;
/** As the launcher's defaults (AGG_N, SNAPSHOT_EVERY). */
const AGGREGATORS = 3;
const SNAPSHOT_EVERY = 100;

const day = (date: Date) => date.toISOString().slice(0, 10);

async function seed(store: InMemoryStore, masterKeys: MasterKeyring, args: ReadSideSeedArgs) {
  // Sealed as a gateway seals: the aggregators open what they answer.
  const personalData = new PersonalData(store.dataKeys, masterKeys);
  const { users, historyEvents, days } = args;
  const historyUser = seededId(0);
  const updates = Math.max(0, historyEvents - 1);
  const events = users + updates;
  // Evenly over the days ending with yesterday's last millisecond.
  const end = Math.floor(Date.now() / DAY_MS) * DAY_MS;
  const start = end - days * DAY_MS;
  let appended = 0;
  let historyVersion = 0;
  const append = async (userId: string, version: number, body: UserEventBody) => {
    const occurredAt = new Date(start + Math.floor((appended * days * DAY_MS) / events));
    const stamped = stampEvents(userId, version, [body], {
      newEventId: randomUUID,
      now: () => occurredAt,
      partitionOf: (id) => partitionOf(id, DEFAULT_PARTITIONS),
      requestId: randomUUID(),
    });
    const key = personalData.keyIn(userId, await store.events.readUser(userId));
    await sealAndAppend(store.events, personalData, { version: version, key }, stamped);
    appended += 1;
  };
  const updateHistoryUser = () => {
    const version = historyVersion;
    historyVersion += 1;
    return append(historyUser, version, {
      type: 'UserUpdated',
      data: { name: `History User ${historyVersion}`, group: historyVersion % 1000 },
    });
  };
  // One update of the history user every `every` creates, so its events span the whole range.
  const every = Math.max(1, Math.floor(users / Math.max(updates, 1)));
  for (let n = 0; n < users; n++) {
    await append(seededId(n), 0, {
      type: 'UserCreated',
      data: { name: `Bench User ${n}`, email: `bench${n}@example.com`, group: n % 1000 },
    });
    if (n === 0) historyVersion = 1;
    else if (n % every === 0 && historyVersion < historyEvents) await updateHistoryUser();
  }
  while (historyVersion < historyEvents) await updateHistoryUser();
  return {
    users,
    events: appended,
    historyUser,
    historyEvents: historyVersion,
    firstDay: day(new Date(start)),
    lastDay: day(new Date(end - 1)),
    range: { from: new Date(start), to: new Date(end) },
  };
}

async function medianMs(times: number, call: () => Promise<unknown>): Promise<number> {
  const durations: number[] = [];
  for (let i = 0; i < times; i++) {
    const started = process.hrtime.bigint();
    await call();
    durations.push(Number(process.hrtime.bigint() - started) / 1e6);
  }
  durations.sort((a, b) => a - b);
  return durations[Math.floor(durations.length / 2)] ?? Number.NaN;
}

async function main(): Promise<void> {
  const [users, historyEvents, days, gatewayPort, aggregatorBasePort] = process.argv
    .slice(2)
    .map(Number);
  const args: ReadSideSeedArgs = {
    users: users ?? 100_000,
    historyEvents: historyEvents ?? 1_000,
    days: days ?? 30,
    gatewayPort: gatewayPort ?? 0,
    aggregatorBasePort: aggregatorBasePort ?? 0,
  };
  const store = new InMemoryStore();
  const masterKeys = ephemeralMasterKeys();
  const seedStarted = Date.now();
  const seeded = await seed(store, masterKeys, args);
  const seedMs = Date.now() - seedStarted;

  // What the gateway asks of the store for these two routes, without HTTP or JSON.
  const storeHistoryMs = await medianMs(21, () =>
    store.events.readUserHistory(seeded.historyUser, {
      afterVersion: 0,
      limit: seeded.historyEvents + 1,
    }),
  );
  const storeEventStatsMs = await medianMs(11, () =>
    store.events.countEventsByDay(seeded.range.from, seeded.range.to),
  );

  const startStarted = Date.now();
  const system = await InProcessCluster.start({
    store,
    masterKeys,
    aggregatorCount: AGGREGATORS,
    snapshotEvery: SNAPSHOT_EVERY,
    gatewayPort: args.gatewayPort,
    aggregatorBasePort: args.aggregatorBasePort,
    // As the bench's other system runs: warnings and errors only, and those to stderr.
    logLevel: 'warn',
    logStream: process.stderr,
  });
  // Until every aggregator has caught up on the seeded log and answers.
  const ready = () =>
    Array.from({ length: AGGREGATORS }, (_, i) => system.aggregator(i).aggregator.isReady);
  while (!ready().every(Boolean)) await new Promise((resolve) => setTimeout(resolve, 10));
  const startMs = Date.now() - startStarted;
  stopOnSignals(() => system.close());
  // A bench that dies without stopping this server takes it along.
  process.once('disconnect', () => process.kill(process.pid, 'SIGTERM'));
  const message: ReadSideSeeded = {
    kind: 'seeded',
    users: seeded.users,
    events: seeded.events,
    historyUser: seeded.historyUser,
    historyEvents: seeded.historyEvents,
    firstDay: seeded.firstDay,
    lastDay: seeded.lastDay,
    seedMs,
    startMs,
    storeHistoryMs,
    storeEventStatsMs,
  };
  process.send?.(message);
}

main().catch((error: unknown) => {
  process.stderr.write(`read-side server: ${String(error)}\n`);
  process.exit(1);
});

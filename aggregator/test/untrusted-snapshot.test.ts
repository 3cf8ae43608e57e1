import { appendSealed } from '@user-service/test-support';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import { startTestAggregator, fetchInternal } from './test-aggregator';
import { metric, until } from './node-probes';

const PARTITIONS = 12;
const ALL = Array.from({ length: PARTITIONS }, (_, partition) => partition);

async function create(store: InMemoryStore, userId: string, group: number): Promise<void> {
  const body = { name: 'Ann', email: `${userId}@example.com`, group };
  const events = stampEvents(userId, 0, [{ type: 'UserCreated', data: body }], {
    newEventId: () => `${userId}-1`,
    now: () => new Date(),
    partitionOf: (id) => partitionOf(id, PARTITIONS),
  });
  await appendSealed(store, userId, 0, events);
}

async function ready(url: string): Promise<void> {
  await until(async () => (await fetch(`${url}/readyz`)).status === 200, 'the aggregator ready');
}

describe('a snapshot another projection version saved', () => {
  it('is not trusted: the partitions are folded again from the log, and saved anew', async () => {
    const store = new InMemoryStore({ partitions: PARTITIONS });
    for (let n = 0; n < 5; n++) await create(store, `u${n}`, n);
    const first = await startTestAggregator(store);
    await ready(first.url);
    await first.stop();

    // As a release whose projection folds differently would have saved it: u0 in group 42.
    const saved = await store.snapshots.load(ALL);
    const entries = saved.entries.map((entry) =>
      entry.userId === 'u0' ? { ...entry, user: { ...entry.user!, group: 42 } } : entry,
    );
    await store.snapshots.save({ ...saved, partitions: ALL, entries, projectionVersion: 2 });

    const second = await startTestAggregator(store);
    try {
      await ready(second.url);
      const read = await fetchInternal(`${second.url}/internal/users/u0`);
      expect(await read.json()).toMatchObject({ version: 1, user: { id: 'u0', group: 0 } });
      expect(await metric(second, /^aggregator_replayed_events\{/)).toBe(5);
      expect(await metric(second, /^aggregator_untrusted_snapshots_total\{/)).toBe(PARTITIONS);
    } finally {
      await second.stop();
    }
    const after = await store.snapshots.load(ALL);
    expect(after.projectionVersion).toBe(1);
    expect(after.entries.find((entry) => entry.userId === 'u0')?.user?.group).toBe(0);
  });
});

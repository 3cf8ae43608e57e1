import { appendSealed } from '@user-service/test-support';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import { waitUntil } from '@user-service/common/lifecycle';
import { InMemoryStore } from '@user-service/common/store/memory';
import { startTestAggregator } from './test-aggregator';

describe('a quiet aggregator', () => {
  it('saves its checkpoint as the store moves on, though none of the changes are its own', async () => {
    const store = new InMemoryStore();
    const node = await startTestAggregator(store, { checkpointEveryMs: 50 });
    try {
      // Writes to other partitions only: nothing for partition 0's subscription to apply.
      const others = Array.from({ length: 40 }, (_, n) => `other${n}`).filter(
        (id) => partitionOf(id, 12) !== 0,
      );
      for (const id of others) {
        const events = stampEvents(
          id,
          0,
          [{ type: 'UserCreated', data: { name: 'O', email: `${id}@example.com`, group: 1 } }],
          {
            newEventId: () => `${id}-1`,
            now: () => new Date(),
            partitionOf: (userId) => partitionOf(userId, 12),
          },
        );
        await appendSealed(store, id, 0, events);
      }

      const saved = async () => (await store.snapshots.load([0])).checkpoint?.position;
      let position: unknown;
      await waitUntil(async () => (position = await saved()) === others.length, {
        describe: () => `a checkpoint at position ${others.length} (saved: ${String(position)})`,
        timeoutMs: 5000,
        intervalMs: 20,
      });
      expect(position).toBe(others.length);
      expect(node.aggregator.liveUsers().filter((entry) => entry.partition === 0)).toEqual([]);
    } finally {
      await node.crash();
    }
  });
});

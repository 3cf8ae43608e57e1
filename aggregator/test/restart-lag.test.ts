import { appendSealed } from '@user-service/test-support';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import { type Store } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { AggregatorNode } from '../src/aggregator-node';
import { startTestAggregator } from './test-aggregator';
import { metric, until } from './node-probes';

const PARTITIONS = 12;

function startOn(store: Store): Promise<AggregatorNode> {
  return startTestAggregator(store);
}

async function create(store: Store, userId: string): Promise<void> {
  const events = stampEvents(
    userId,
    0,
    [{ type: 'UserCreated', data: { name: 'Old', email: `${userId}@example.com`, group: 1 } }],
    {
      newEventId: () => `${userId}-1`,
      now: () => new Date(),
      partitionOf: (id) => partitionOf(id, PARTITIONS),
    },
  );
  await appendSealed(store, userId, 0, events);
}

describe('apply lag after a restart that replays old events', () => {
  it('is small once ready again, not the age of the events it replayed', async () => {
    const store = new InMemoryStore();
    const first = await startOn(store);
    try {
      await until(
        async () => (await fetch(`${first.url}/readyz`)).status === 200,
        'the first aggregator to report ready',
      );
    } finally {
      // The drill: stopped (final snapshot), users written while it is away, started again later.
      await first.stop();
    }
    for (let n = 0; n < 10; n++) await create(store, `away-${n}`);
    const writtenAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 400));

    const second = await startOn(store);
    try {
      await until(
        async () => (await fetch(`${second.url}/readyz`)).status === 200,
        'the restarted aggregator to report ready',
      );
      expect(await metric(second, /^aggregator_replayed_events\{/)).toBe(10);
      // Taken before the scrape: by the time the lag is read the replayed events are older still.
      const ageOfReplayed = (Date.now() - writtenAt) / 1000;
      const lag = await metric(second, /^aggregator_apply_lag_seconds\{/);
      // Were it the age of the last event applied, it would be at least ageOfReplayed, and stay
      // there until the next live event: AggregatorApplyLagHigh would fire on a healthy aggregator.
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(ageOfReplayed);
    } finally {
      await second.crash();
    }
  });
});

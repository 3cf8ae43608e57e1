import {
  HistoryLostError,
  type Store,
  type Subscription,
  SubscriptionEndedError,
} from '@user-service/common/store';
import { partitionOf, stampEvents } from '@user-service/common/domain';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { ChangeSource } from '@user-service/common/store';
import { startCatchUpSubscription, wrapStore } from '@user-service/common/store';
import { PassThrough } from 'node:stream';
import type { AggregatorNode } from '../src/aggregator-node';
import { fetchInternal, startTestAggregator } from './test-aggregator';
import { metric, until } from './node-probes';

interface LogLine {
  readonly level: string;
  readonly message: string;
  readonly [field: string]: unknown;
}

async function startOn(
  store: Store,
  maxLagMs?: number,
): Promise<{ node: AggregatorNode; lines: LogLine[] }> {
  const stream = new PassThrough();
  const lines: LogLine[] = [];
  stream.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString().split('\n').filter(Boolean))
      lines.push(JSON.parse(line) as LogLine);
  });
  const node = await startTestAggregator(store, {
    logLevel: 'warn',
    logStream: stream,
    ...(maxLagMs ? { maxLagMs } : {}),
  });
  return { node, lines };
}

async function readyz(node: AggregatorNode): Promise<{ status: number; body: unknown }> {
  const answer = await fetch(`${node.url}/readyz`);
  return { status: answer.status, body: await answer.json() };
}

/** What /readyz names as served: every partition, all held by the one aggregator under test. */
const EVERY_PARTITION = Array.from({ length: 12 }, (_, partition) => partition);

describe('aggregator readiness', () => {
  it('stops being ready when the store cannot confirm it is caught up for longer than it may lag, and says why', async () => {
    const store = new InMemoryStore();
    const { node } = await startOn(store, 300);
    try {
      await until(
        async () => (await readyz(node)).status === 200,
        'the aggregator to report ready',
      );
      store.outage.setDown(true);
      await until(
        async () => (await readyz(node)).status === 503,
        'the aggregator to report not ready with the store down',
      );
      expect(await readyz(node)).toEqual({
        status: 503,
        body: { ready: false, reason: 'behind', partitions: EVERY_PARTITION },
      });
      expect(await metric(node, /^aggregator_not_ready\{reason="behind"/)).toBe(1);
      expect(await metric(node, /^aggregator_ready\{/)).toBe(0);

      // The lag keeps growing while nothing is confirmed, so the alert on it fires.
      const lagBefore = await metric(node, /^aggregator_apply_lag_seconds\{/);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await metric(node, /^aggregator_apply_lag_seconds\{/)).toBeGreaterThan(lagBefore);
      expect((await fetchInternal(`${node.url}/internal/users/anyone`)).status).toBe(503);

      store.outage.setDown(false);
      await until(
        async () => (await readyz(node)).status === 200,
        'the aggregator to report ready again with the store back',
      );
      expect(await metric(node, /^aggregator_apply_lag_seconds\{/)).toBeLessThan(lagBefore);
    } finally {
      store.outage.setDown(false);
      await node.crash();
    }
  });

  it('is not ready, for good, once its subscription has ended, and logs the reason', async () => {
    const inner = new InMemoryStore();
    const ended = new SubscriptionEndedError(
      'event-gap',
      'events 2..2 of user ada are missing from the store',
    );
    // The one thing faked: a subscription that has ended on its own.
    const subscription: Subscription = {
      finished: Promise.reject(ended),
      stop: async () => undefined,
    };
    subscription.finished.catch(() => undefined);
    const store = wrapStore(inner, { events: { subscribe: () => subscription } });
    const { node, lines } = await startOn(store);
    try {
      await until(
        async () => (await readyz(node)).status === 503 && lines.length > 0,
        'the aggregator to report not ready and log why',
      );
      expect(await readyz(node)).toEqual({
        status: 503,
        body: { ready: false, reason: 'event-gap', partitions: EVERY_PARTITION },
      });
      expect(await metric(node, /^aggregator_not_ready\{reason="event_gap"/)).toBe(1);
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'error',
          message: expect.stringContaining('subscription ended'),
          reason: 'event-gap',
          error: expect.objectContaining({
            message: expect.stringContaining('missing from the store'),
          }),
        }),
      );
    } finally {
      await node.crash();
    }
  });
});

describe('aggregator readiness after its checkpoint falls out of the store’s history', () => {
  it('is not ready while it re-reads its partitions, then ready again with every change', async () => {
    const inner = new InMemoryStore();
    let loseHistory = false;
    // One subscription per partition: each re-reads its own, and waits to be released.
    const waiting: Array<() => void> = [];
    const releaseCatchUp = () => {
      for (const release of waiting.splice(0)) release();
    };
    // The memory store's own change source, with two faults that can be switched on: its tail
    // finds its start point gone, and re-reading the partitions waits until released.
    const source: ChangeSource = {
      catchUp: async (partitions) => {
        if (loseHistory) await new Promise<void>((resolve) => waiting.push(resolve));
        return inner.events.catchUp(partitions);
      },
      readUserEvents: (userId, afterVersion) => inner.events.readUserEvents(userId, afterVersion),
      headPosition: () => inner.events.headPosition(),
      reached: (position, target) => inner.events.reached(position, target),
      openTail: (partitions, from) => {
        const tail = inner.events.openTail(partitions, from);
        return {
          next: () =>
            loseHistory
              ? Promise.reject(new HistoryLostError('the oplog rolled over'))
              : tail.next(),
          close: () => tail.close(),
        };
      },
    };
    const store = wrapStore(inner, {
      events: {
        subscribe: (request, handler) => startCatchUpSubscription(source, request, handler),
      },
    });
    const { node } = await startOn(store);
    try {
      await until(
        async () => (await readyz(node)).status === 200,
        'the aggregator to report ready',
      );
      loseHistory = true;
      await until(
        async () => (await readyz(node)).status === 503,
        'the aggregator to report not ready after losing its history',
      );
      expect(await readyz(node)).toEqual({
        status: 503,
        body: { ready: false, reason: 'reconciling', partitions: EVERY_PARTITION },
      });
      await until(
        async () => (await metric(node, /^aggregator_history_lost_total\{/)) === 12,
        'every partition’s subscription to find its history lost',
      );

      const events = stampEvents(
        'ada',
        0,
        [{ type: 'UserCreated', data: { name: 'Ada', email: 'ada@example.com', group: 1 } }],
        {
          newEventId: () => 'ada-1',
          now: () => new Date(),
          partitionOf: (id) => partitionOf(id, 12),
        },
      );
      await inner.events.append('ada', 0, events);
      loseHistory = false;
      releaseCatchUp();
      await until(
        async () => (await readyz(node)).status === 200,
        'the aggregator to report ready again once reconciled',
      );
      expect(node.aggregator.users.get('ada').version).toBe(1);
    } finally {
      releaseCatchUp();
      await node.crash();
    }
  });
});

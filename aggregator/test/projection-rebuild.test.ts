import { appendSealed, eventsFor, fieldsFor, created, updated } from '@user-service/test-support';
import { partitionOf } from '@user-service/common/domain';
import {
  rebuildStatus,
  type SnapshotBatch,
  type Store,
  wrapStore,
} from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { AggregatorNode } from '../src/aggregator-node';
import { fetchInternal, startTestAggregator } from './test-aggregator';
import { metric, until } from './node-probes';

const PARTITIONS = 4;
const ALL = [0, 1, 2, 3];
const AT = new Date('2026-12-07T08:00:00.000Z');

async function seed(store: Store, users: number): Promise<number> {
  let events = 0;
  for (let n = 0; n < users; n++) {
    const id = `user-${n}`;
    const stamped = eventsFor(id, 0, created(fieldsFor(n)), updated({ group: n + 100 }));
    await appendSealed(store, id, 0, withPartitions(stamped));
    events += stamped.length;
  }
  return events;
}

/** Test events carry the test partition count's partitions; this store has its own count. */
function withPartitions<T extends { userId: string }>(events: T[]): T[] {
  return events.map((event) => ({ ...event, partition: partitionOf(event.userId, PARTITIONS) }));
}

function start(store: Store): Promise<AggregatorNode> {
  return startTestAggregator(store, { rebuildCheckEveryMs: 20 });
}

async function statusOf(store: Store) {
  const latest = await store.rebuilds.latest();
  if (!latest) throw new Error('no rebuild asked for');
  return rebuildStatus(latest, await store.rebuilds.partitions());
}

async function ready(node: AggregatorNode): Promise<void> {
  await until(async () => (await fetch(`${node.url}/readyz`)).status === 200, 'ready');
}

describe('rebuilding the users projection while serving', () => {
  it('folds every partition again into a new generation, drops what the old one made up, and serves throughout', async () => {
    const store = new InMemoryStore({ partitions: PARTITIONS });
    const events = await seed(store, 20);
    const node = await start(store);
    try {
      await ready(node);
      await node.owned.snapshot();
      // What a buggy projection could have saved: a user no event made.
      const ghost = { userId: 'ghost', partition: partitionOf('ghost', PARTITIONS), version: 1 };
      await store.snapshots.save({
        partitions: [ghost.partition],
        entries: [{ ...ghost, user: { id: 'ghost', name: 'x', email: 'y', group: 1 } }],
        checkpoint: null,
      });

      await store.rebuilds.request('r1', AT);
      const reads: number[] = [];
      await until(async () => {
        reads.push((await fetchInternal(`${node.url}/internal/users/user-3`)).status);
        return (await statusOf(store)).state === 'done';
      }, 'the rebuild to be done');

      expect(new Set(reads)).toEqual(new Set([200]));
      expect(await statusOf(store)).toMatchObject({
        state: 'done',
        generation: 1,
        partitions: { total: PARTITIONS, done: PARTITIONS, failed: 0 },
        events,
      });
      expect(await store.snapshots.loadUser('ghost')).toBeNull();
      const saved = await store.snapshots.load(ALL);
      expect(saved.generation).toBe(1);
      expect(
        saved.entries.map((entry) => [entry.userId, entry.version, entry.user?.group]).sort(),
      ).toEqual(Array.from({ length: 20 }, (_, n) => [`user-${n}`, 2, n + 100]).sort());
      expect(await metric(node, /^aggregator_rebuild_events_total\{/)).toBe(events);
      expect(await metric(node, /^aggregator_partition_rebuilds_total\{.*outcome="switched"/)).toBe(
        PARTITIONS,
      );
      expect(await (await fetchInternal(`${node.url}/internal/users/user-3`)).json()).toMatchObject(
        {
          version: 2,
          user: { id: 'user-3', group: 103 },
        },
      );
    } finally {
      await node.crash();
    }
  });

  it('fails a partition with an event it cannot fold, naming it; the others switch, and all keep serving', async () => {
    const store = new InMemoryStore({ partitions: PARTITIONS });
    await seed(store, 8);
    const [future] = eventsFor('user-1', 2, { type: 'UserErased', data: { deleted: true } });
    await store.events.append('user-1', 2, withPartitions([{ ...future!, schemaVersion: 3 }]));
    const node = await start(store);
    try {
      await ready(node);
      await store.rebuilds.request('r1', AT);
      await until(
        async () => (await statusOf(store)).partitions.done === PARTITIONS - 1,
        'the rest',
      );
      await until(async () => (await statusOf(store)).state === 'failed', 'the failure');
      const status = await statusOf(store);
      expect(status.failures).toEqual([
        {
          partition: partitionOf('user-1', PARTITIONS),
          failure: expect.stringContaining(`UserErased of schema 3`) as unknown as string,
        },
      ]);
      expect((await fetchInternal(`${node.url}/internal/users/user-2`)).status).toBe(200);
    } finally {
      await node.crash();
    }
  });

  it('loses nothing to a crash just before a partition switches: the next owner folds it again', async () => {
    const memory = new InMemoryStore({ partitions: PARTITIONS });
    const events = await seed(memory, 12);
    let crashBeforeSwitch: ((batch: SnapshotBatch) => void) | null = null;
    const store = wrapStore(memory, {
      snapshots: {
        save: (batch) => {
          if (!batch.whole || !crashBeforeSwitch) return memory.snapshots.save(batch);
          crashBeforeSwitch(batch);
          return new Promise<void>(() => undefined);
        },
      },
    });
    const first = await start(store);
    await ready(first);
    const reached = new Promise<SnapshotBatch>((resolve) => {
      crashBeforeSwitch = resolve;
    });
    await memory.rebuilds.request('r1', AT);
    const stuck = await reached;
    const crashing = first.crash();
    crashBeforeSwitch = null;
    await crashing;
    expect((await memory.rebuilds.partitions())[stuck.partitions[0]!]?.generation).toBe(0);

    const second = await start(store);
    try {
      await until(async () => (await statusOf(memory)).state === 'done', 'done after the crash');
      const saved = await memory.snapshots.load(ALL);
      expect(saved.entries).toHaveLength(12);
      expect(saved.generation).toBe(1);
      expect(await metric(second, /^aggregator_rebuild_events_total\{/)).toBe(events);
    } finally {
      await second.crash();
    }
  });
});

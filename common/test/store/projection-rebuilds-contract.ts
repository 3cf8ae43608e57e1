import { rebuildStatus, type SnapshotEntry } from '@user-service/common/store';
import { type StoreUnderTest } from './store-under-test';

const AT = new Date('2026-12-07T08:00:00.000Z');

function entry(userId: string, partition: number, version: number, group = 1): SnapshotEntry {
  const user = { id: userId, name: `${userId} sealed`, email: `${userId} sealed`, group };
  return { userId, partition, version, user };
}

/** What every adapter promises of projection rebuilds (projection-rebuilds.ts). */
export function defineProjectionRebuildsContract({ store }: StoreUnderTest): void {
  async function status() {
    const latest = await store.rebuilds.latest();
    if (!latest) throw new Error('no rebuild asked for');
    return rebuildStatus(latest, await store.rebuilds.partitions());
  }

  it('runs one rebuild at a time, into the generation after every partition’s', async () => {
    const { partitions } = await store.layout();
    expect(await store.rebuilds.latest()).toBeNull();
    const first = await store.rebuilds.request('r1', AT);
    expect(first).toEqual({ rebuild: { id: 'r1', generation: 1, requestedAt: AT }, started: true });
    const again = await store.rebuilds.request('r2', AT);
    expect(again).toEqual({ rebuild: first.rebuild, started: false });
    expect(await store.rebuilds.latest()).toEqual(first.rebuild);
    expect(await status()).toMatchObject({
      id: 'r1',
      state: 'running',
      partitions: { total: partitions, done: 0, failed: 0 },
      events: 0,
    });
  });

  it('switches a partition whole into the new generation, in one save', async () => {
    await store.rebuilds.request('r1', AT);
    await store.snapshots.save({
      partitions: [0, 1],
      entries: [entry('kept', 0, 2), entry('stale', 0, 1), entry('other', 1, 1)],
      checkpoint: null,
    });
    await store.rebuilds.report(0, { generation: 1, events: 7, failure: null });
    expect((await store.rebuilds.partitions())[0]).toEqual({
      partition: 0,
      generation: 0,
      rebuild: { generation: 1, events: 7, failure: null },
    });

    // Folded again from the log: `stale` is not there (a user a buggy projection made up).
    const rebuilt = entry('kept', 0, 2, 5);
    await store.snapshots.save({
      partitions: [0],
      entries: [rebuilt],
      checkpoint: null,
      generation: 1,
      whole: true,
    });

    expect(await store.snapshots.loadUser('kept')).toEqual(rebuilt);
    expect(await store.snapshots.loadUser('stale')).toBeNull();
    expect(await store.snapshots.loadUser('other')).toEqual(entry('other', 1, 1));
    const [zero, one] = await store.rebuilds.partitions();
    expect(zero?.generation).toBe(1);
    expect(one?.generation).toBe(0);
    expect(await status()).toMatchObject({ state: 'running', partitions: { done: 1 }, events: 7 });
  });

  it('is done once every partition serves the generation, and another may start then', async () => {
    const { partitions } = await store.layout();
    const all = Array.from({ length: partitions }, (_, partition) => partition);
    await store.rebuilds.request('r1', AT);
    await store.snapshots.save({
      partitions: all,
      entries: [],
      checkpoint: null,
      generation: 1,
      whole: true,
    });
    expect(await status()).toMatchObject({ state: 'done', partitions: { done: partitions } });
    const next = await store.rebuilds.request('r2', AT);
    expect(next).toMatchObject({ rebuild: { id: 'r2', generation: 2 }, started: true });
  });

  it('fails when a partition gives up, and a new request starts the next generation', async () => {
    await store.rebuilds.request('r1', AT);
    await store.rebuilds.report(3, { generation: 1, events: 2, failure: 'event e9 of u1' });
    expect(await status()).toMatchObject({
      state: 'failed',
      partitions: { failed: 1 },
      failures: [{ partition: 3, failure: 'event e9 of u1' }],
    });
    const retry = await store.rebuilds.request('r2', AT);
    expect(retry).toMatchObject({ rebuild: { id: 'r2', generation: 2 }, started: true });
    expect(await status()).toMatchObject({ state: 'running', failures: [] });
  });

  it('keeps what a whole save did not replace apart from its partitions', async () => {
    await store.snapshots.save({
      partitions: [0, 1],
      entries: [entry('a', 0, 1), entry('b', 1, 1)],
      checkpoint: null,
    });
    await store.snapshots.save({
      partitions: [1],
      entries: [],
      checkpoint: null,
      generation: 1,
      whole: true,
    });
    expect((await store.snapshots.load([0, 1])).entries.map((e) => e.userId)).toEqual(['a']);
    expect((await store.snapshots.load([1])).generation).toBe(1);
  });
}

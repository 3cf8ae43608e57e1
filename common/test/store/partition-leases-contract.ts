import { LeaseLostError, type SnapshotEntry } from '@user-service/common/store';
import { created, eventsFor, fieldsFor, Recorder, userFor } from '@user-service/test-support';
import type { StoreUnderTest } from './store-under-test';

/** Long enough never to run out during a test. */
const LONG = 60_000;
/** Short enough to run out after SHORT_WAIT. */
const SHORT = 100;
const SHORT_WAIT = 250;

const blue = { name: 'blue', url: 'http://10.0.0.1:9100' };
const green = { name: 'green', url: 'http://10.0.0.2:9100' };

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * What every adapter promises of the partition leases (`PartitionLeases`,
 * store/partition-leases.ts) and of a fenced snapshot save; expiry as the store's own clock
 * judges it.
 */
export function definePartitionLeasesContract({
  store,
  subscribe,
  appendAll,
}: StoreUnderTest): void {
  describe('partition leases', () => {
    it('gives a free partition to the first holder at epoch 1, and not to another while live', async () => {
      expect(await store.leases.acquire(3, blue, LONG)).toBe(1);
      expect(await store.leases.acquire(3, green, LONG)).toBeNull();
      expect(await store.leases.current()).toEqual([{ partition: 3, holder: blue, epoch: 1 }]);
    });

    it('lets a holder of the same name take its partition over at once, at the next epoch: it restarted', async () => {
      await store.leases.acquire(3, blue, LONG);
      const restarted = { name: 'blue', url: 'http://10.0.0.9:9100' };
      expect(await store.leases.acquire(3, restarted, LONG)).toBe(2);
      expect(await store.leases.current()).toEqual([{ partition: 3, holder: restarted, epoch: 2 }]);
    });

    it('lists only the live leases, in partition order', async () => {
      await store.leases.acquire(5, green, LONG);
      await store.leases.acquire(1, blue, LONG);
      await store.leases.acquire(2, blue, SHORT);
      await pause(SHORT_WAIT);
      expect(await store.leases.current()).toEqual([
        { partition: 1, holder: blue, epoch: 1 },
        { partition: 5, holder: green, epoch: 1 },
      ]);
    });

    it('renews only what the holder still holds at the epochs it names', async () => {
      await store.leases.acquire(0, blue, LONG);
      await store.leases.acquire(1, blue, LONG);
      await store.leases.acquire(2, green, LONG);
      const renewed = await store.leases.renew(
        'blue',
        new Map([
          [0, 1],
          [1, 7],
          [2, 1],
        ]),
        LONG,
      );
      expect(renewed).toEqual([0]);
      expect(await store.leases.renew('blue', new Map(), LONG)).toEqual([]);
    });

    it('gives an expired lease to another holder at the next epoch; the old holder can renew it no more', async () => {
      await store.leases.acquire(4, blue, SHORT);
      await pause(SHORT_WAIT);
      expect(await store.leases.acquire(4, green, LONG)).toBe(2);
      expect(await store.leases.renew('blue', new Map([[4, 1]]), LONG)).toEqual([]);
      expect(await store.leases.current()).toEqual([{ partition: 4, holder: green, epoch: 2 }]);
    });

    it('renews a lease that expired while no one took it, at the same epoch', async () => {
      await store.leases.acquire(4, blue, SHORT);
      await pause(SHORT_WAIT);
      expect(await store.leases.current()).toEqual([]);
      expect(await store.leases.renew('blue', new Map([[4, 1]]), LONG)).toEqual([4]);
      expect(await store.leases.current()).toEqual([{ partition: 4, holder: blue, epoch: 1 }]);
    });

    it('frees a released partition at once, for another to take at the next epoch', async () => {
      await store.leases.acquire(6, blue, LONG);
      await store.leases.release(6, 'green', 1); // not green's: nothing happens
      expect(await store.leases.acquire(6, green, LONG)).toBeNull();
      await store.leases.release(6, 'blue', 1);
      expect(await store.leases.current()).toEqual([]);
      expect(await store.leases.acquire(6, green, LONG)).toBe(2);
    });

    it('answers the live holders to a heartbeat, itself included, with how long each stays live; one that left or ran out is gone', async () => {
      expect(names(await store.leases.heartbeat(blue, LONG))).toEqual(['blue']);
      await store.leases.heartbeat({ name: 'red', url: 'http://10.0.0.3:9100' }, SHORT);
      const live = await store.leases.heartbeat(green, LONG);
      expect(byName(live).map(({ name, url }) => ({ name, url }))).toEqual([
        blue,
        green,
        { name: 'red', url: 'http://10.0.0.3:9100' },
      ]);
      const red = live.find((holder) => holder.name === 'red');
      expect(red?.expiresInMs).toBeGreaterThan(0);
      expect(red?.expiresInMs).toBeLessThanOrEqual(SHORT);
      await store.leases.leave('blue');
      await pause(SHORT_WAIT);
      expect(names(await store.leases.heartbeat(green, LONG))).toEqual(['green']);
    });
  });

  describe('fenced snapshot saves', () => {
    const ada: SnapshotEntry = { userId: 'ada', partition: 2, version: 1, user: userFor('ada', 1) };

    /** A checkpoint of the partition, once caught up with a first event in the store. */
    async function checkpointOf(partition: number) {
      const recorder = new Recorder();
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      subscribe([partition], recorder, { checkpoint: null });
      await recorder.caughtUpWith(0);
      return recorder.lastCheckpoint;
    }

    it('saves under the lease’s current epoch', async () => {
      const epoch = await store.leases.acquire(2, blue, LONG);
      const checkpoint = await checkpointOf(2);
      await store.snapshots.save({ partitions: [2], entries: [ada], checkpoint, epoch: epoch! });
      expect(await store.snapshots.load([2])).toEqual({
        entries: [ada],
        checkpoint,
        projectionVersion: 1,
        generation: 0,
      });
    });

    it('refuses a save under an epoch the lease moved on from, storing none of it', async () => {
      await store.leases.acquire(2, blue, SHORT);
      await pause(SHORT_WAIT);
      await store.leases.acquire(2, green, LONG);
      const checkpoint = await checkpointOf(2);
      const late = store.snapshots.save({ partitions: [2], entries: [ada], checkpoint, epoch: 1 });
      await expect(late).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.snapshots.load([2])).toEqual({
        entries: [],
        checkpoint: null,
        projectionVersion: null,
        generation: 0,
      });
      expect(await store.snapshots.loadUser('ada')).toBeNull();
    });

    it('refuses a save under a lease its holder released', async () => {
      const epoch = await store.leases.acquire(2, blue, LONG);
      await store.leases.release(2, 'blue', epoch!);
      const late = store.snapshots.save({
        partitions: [2],
        entries: [ada],
        checkpoint: null,
        epoch: epoch!,
      });
      await expect(late).rejects.toBeInstanceOf(LeaseLostError);
      expect(await store.snapshots.loadUser('ada')).toBeNull();
    });
  });

  describe('layout', () => {
    it('answers the partition count and a store id that stays the same', async () => {
      const layout = await store.layout();
      expect(layout.partitions).toBe(12);
      expect(layout.storeId).toMatch(/^[0-9a-f-]{36}$/);
      expect(await store.layout()).toEqual(layout);
    });
  });
}

function names(holders: readonly { readonly name: string }[]): string[] {
  return holders.map(({ name }) => name);
}

function byName<T extends { readonly name: string }>(holders: readonly T[]): T[] {
  return [...holders].sort((a, b) => a.name.localeCompare(b.name));
}

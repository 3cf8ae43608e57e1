import { type Checkpoint, type SnapshotEntry } from '@user-service/common/store';
import { partitionOf } from '@user-service/common/domain';
import {
  created,
  eventsFor,
  fieldsFor,
  Recorder,
  TEST_PARTITIONS,
  updated,
  userFor,
} from '@user-service/test-support';
import { sortById, type StoreUnderTest } from './store-under-test';

/** What every snapshot store adapter promises (`SnapshotStore`, store/snapshot-store.ts). */
export function defineSnapshotStoreContract({ store, subscribe, appendAll }: StoreUnderTest): void {
  describe('snapshots', () => {
    const alice: SnapshotEntry = {
      userId: 'alice',
      partition: 0,
      version: 3,
      user: { id: 'alice', name: 'Alice', email: 'alice@example.com', group: 1 },
    };
    const bob: SnapshotEntry = {
      userId: 'bob',
      partition: 1,
      version: 1,
      user: { id: 'bob', name: '$bob {', email: 'bob@example.com', group: 2 },
    };

    async function checkpointAfter(userId: string): Promise<Checkpoint> {
      const recorder = new Recorder();
      const partition = partitionOf(userId, TEST_PARTITIONS);
      const events = await store.events.readUserEvents(userId);
      subscribe([partition], recorder, { checkpoint: null });
      await recorder.caughtUpWith(events.length);
      return recorder.lastCheckpoint;
    }

    it('round-trips users and the checkpoint of their partitions', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      const checkpoint = await checkpointAfter('zed');
      await store.snapshots.save({ partitions: [0, 1], entries: [alice, bob], checkpoint });

      const loaded = await store.snapshots.load([0, 1]);
      expect(sortById(loaded.entries)).toEqual([alice, bob]);
      expect(loaded.checkpoint).toEqual(checkpoint);
      expect((await store.snapshots.load([1])).entries).toEqual([bob]);
      expect(await store.snapshots.loadUser('bob')).toEqual(bob);
      expect(await store.snapshots.loadUser('nobody')).toBeNull();
    });

    it('has no checkpoint unless every partition asked for has one', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      await store.snapshots.save({
        partitions: [0],
        entries: [alice],
        checkpoint: await checkpointAfter('zed'),
      });
      expect((await store.snapshots.load([0, 1])).checkpoint).toBeNull();
      expect((await store.snapshots.load([])).entries).toEqual([]);
    });

    it('only moves forward: an older entry never replaces a newer one, and deletes remove users', async () => {
      await store.snapshots.save({ partitions: [0, 1], entries: [alice, bob], checkpoint: null });
      const olderAlice = { ...alice, version: 2, user: { ...alice.user!, name: 'Old' } };
      const deletedBob: SnapshotEntry = { ...bob, version: 2, user: null };
      await store.snapshots.save({
        partitions: [0, 1],
        entries: [olderAlice, deletedBob],
        checkpoint: null,
      });

      expect((await store.snapshots.load([0, 1])).entries).toEqual([alice]);
      const recreatedBob = { ...bob, version: 3 };
      await store.snapshots.save({ partitions: [1], entries: [recreatedBob], checkpoint: null });
      expect(await store.snapshots.loadUser('bob')).toEqual(recreatedBob);
    });

    it('keeps a deleted user as a tombstone: a late, older entry does not bring it back', async () => {
      const deletedBob: SnapshotEntry = { ...bob, version: 2, user: null };
      await store.snapshots.save({ partitions: [1], entries: [deletedBob], checkpoint: null });
      // As from a second owner of the partition (a zombie, an overlapping deploy) that is behind.
      await store.snapshots.save({ partitions: [1], entries: [bob], checkpoint: null });

      expect((await store.snapshots.load([1])).entries).toEqual([]);
      expect(await store.snapshots.loadUser('bob')).toEqual(deletedBob);
    });

    it('says which projection version saved it, and lets another replace all that one saved', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      const early = await checkpointAfter('zed');
      await appendAll(eventsFor('zed', 1, updated({ group: 2 })));
      const late = await checkpointAfter('zed');
      await store.snapshots.save({ partitions: [0, 1], entries: [alice, bob], checkpoint: late });
      expect((await store.snapshots.load([0, 1])).projectionVersion).toBe(1);

      // Version 2 folds the same events into other users: same versions, another name, saved
      // with an older checkpoint, as a partition folded again from the log saves on its way.
      const rebuilt = { ...alice, user: { ...alice.user!, name: 'Alice as folded by 2' } };
      await store.snapshots.save({
        partitions: [0],
        entries: [rebuilt],
        checkpoint: early,
        projectionVersion: 2,
      });
      expect(await store.snapshots.loadUser('alice')).toEqual(rebuilt);
      expect(await store.snapshots.load([0])).toMatchObject({
        checkpoint: early,
        projectionVersion: 2,
      });
      // Partitions saved by different versions are not one snapshot to trust.
      expect((await store.snapshots.load([0, 1])).projectionVersion).toBeNull();
      // Within one version, forward only again.
      await store.snapshots.save({
        partitions: [0],
        entries: [{ ...alice, version: 2 }],
        checkpoint: null,
        projectionVersion: 2,
      });
      expect(await store.snapshots.loadUser('alice')).toEqual(rebuilt);
    });

    describe('listing users', () => {
      /** Live users over partitions 0 to 2 and groups 1 and 2, saved out of id order. */
      const live: SnapshotEntry[] = [
        ['user-a', 0, 1],
        ['User-b', 1, 2],
        ['user_c', 0, 2],
        ['user-10', 2, 1],
        ['user-9', 0, 1],
      ].map(([id, partition, group]) => ({
        userId: id as string,
        partition: partition as number,
        version: 1,
        user: { ...userFor(id as string, group as number) },
      }));
      /** By id as JavaScript compares code units: capitals before small letters, '-' before '_', digits one by one. */
      const inIdOrder = ['User-b', 'user-10', 'user-9', 'user-a', 'user_c'];

      async function saveUsers(): Promise<void> {
        const gone: SnapshotEntry = { userId: 'user-0', partition: 0, version: 2, user: null };
        const leaving: SnapshotEntry = {
          userId: 'user-1',
          partition: 1,
          version: 1,
          user: userFor('user-1', 1),
        };
        await store.snapshots.save({
          partitions: [0, 1, 2],
          entries: [...live, gone, leaving],
          checkpoint: null,
        });
        await store.snapshots.save({
          partitions: [1],
          entries: [{ ...leaving, version: 2, user: null }],
          checkpoint: null,
        });
      }

      const ids = (users: readonly { id: string }[]) => users.map((user) => user.id);

      it('lists the live users of the partitions in id order, as saved', async () => {
        await saveUsers();
        const all = await store.snapshots.listUsers([0, 1, 2], { limit: 50 });
        expect(ids(all)).toEqual(inIdOrder);
        expect(all[0]).toEqual(live[1]!.user);
        expect(ids(await store.snapshots.listUsers([0], { limit: 50 }))).toEqual([
          'user-9',
          'user-a',
          'user_c',
        ]);
        expect(ids(await store.snapshots.listUsers([1, 2], { group: 1, limit: 50 }))).toEqual([
          'user-10',
        ]);
        expect(await store.snapshots.listUsers([3], { limit: 50 })).toEqual([]);
      });

      it('finds the few users of a partition among thousands of others saved in any id order', async () => {
        const others: SnapshotEntry[] = Array.from({ length: 2500 }, (_, n) => ({
          userId: `other-${(n * 7919) % 2500}`,
          partition: 0,
          version: 1,
          user: userFor(`other-${(n * 7919) % 2500}`, 1),
        }));
        const few = ['other-0a', 'other-1249a', 'zed'].map((id) => ({
          userId: id,
          partition: 2,
          version: 1,
          user: userFor(id, 2),
        }));
        await store.snapshots.save({
          partitions: [0, 2],
          entries: [...few, ...others],
          checkpoint: null,
        });
        expect(ids(await store.snapshots.listUsers([2], { limit: 10 }))).toEqual([
          'other-0a',
          'other-1249a',
          'zed',
        ]);
        expect(ids(await store.snapshots.listUsers([2], { after: 'other-0a', limit: 1 }))).toEqual([
          'other-1249a',
        ]);
      });

      it('pages: at most `limit`, after a given id, within a group', async () => {
        await saveUsers();
        const page = async (after: string | undefined, group?: number) =>
          ids(
            await store.snapshots.listUsers([0, 1, 2], {
              limit: 2,
              ...(after !== undefined && { after }),
              ...(group !== undefined && { group }),
            }),
          );
        expect(await page(undefined)).toEqual(['User-b', 'user-10']);
        expect(await page('user-10')).toEqual(['user-9', 'user-a']);
        expect(await page('user-a')).toEqual(['user_c']);
        expect(await page('user_c')).toEqual([]);
        // After an id that is not stored: from the next one up.
        expect(await page('user-5')).toEqual(['user-9', 'user-a']);
        expect(await page(undefined, 2)).toEqual(['User-b', 'user_c']);
        expect(await page('User-b', 1)).toEqual(['user-10', 'user-9']);
        await expect(store.snapshots.listUsers([0], { limit: 0 })).rejects.toThrow(/limit/);
      });

      it('counts the live users of the partitions per group, or of one group', async () => {
        await saveUsers();
        expect(await store.snapshots.countUsersByGroup([0, 1, 2])).toEqual(
          new Map([
            [1, 3],
            [2, 2],
          ]),
        );
        expect(await store.snapshots.countUsersByGroup([0])).toEqual(
          new Map([
            [1, 2],
            [2, 1],
          ]),
        );
        expect(await store.snapshots.countUsersByGroup([0, 1, 2], 2)).toEqual(new Map([[2, 2]]));
        expect(await store.snapshots.countUsersByGroup([2], 2)).toEqual(new Map());
        expect(await store.snapshots.countUsersByGroup([])).toEqual(new Map());
      });
    });

    it('keeps the newer checkpoint, and loads the oldest one of several partitions', async () => {
      await appendAll(eventsFor('zed', 0, created(fieldsFor(1))));
      const older = await checkpointAfter('zed');
      await appendAll(eventsFor('zed', 1, updated({ group: 5 })));
      const newer = await checkpointAfter('zed');

      await store.snapshots.save({ partitions: [0, 1], entries: [], checkpoint: newer });
      await store.snapshots.save({ partitions: [0], entries: [], checkpoint: older });
      expect((await store.snapshots.load([0])).checkpoint).toEqual(newer);
      await store.snapshots.save({ partitions: [2], entries: [], checkpoint: older });
      expect((await store.snapshots.load([0, 1, 2])).checkpoint).toEqual(older);
    });
  });
}

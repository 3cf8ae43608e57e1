import { type Db, type MongoClient, Timestamp } from 'mongodb';
import { MongoSnapshotStore } from '../../../src/store/mongo/mongo-snapshot-store';
import { COLLECTIONS } from '../../../src/store/mongo/schema';

/**
 * Stands in for the driver only to record which session each read of a snapshot load ran in:
 * what the server then does with a causally consistent session is the driver's and server's
 * (the MongoDB suites run the real thing).
 */
class RecordingDriver {
  readonly sessions: { options: unknown; ended: boolean }[] = [];
  /** Each read, in order: the collection, and the index of the session it ran in (-1: none). */
  readonly reads: [string, number][] = [];

  readonly client = {
    startSession: (options: unknown) => {
      const session = {
        options,
        ended: false,
        endSession: async () => void (session.ended = true),
      };
      this.sessions.push(session);
      return session;
    },
  } as unknown as Pick<MongoClient, 'startSession'>;

  readonly db = {
    collection: (name: string) => ({
      find: (_filter: unknown, options?: { session?: unknown }) => ({
        toArray: async () => {
          this.reads.push([
            name,
            this.sessions.findIndex((session) => session === options?.session),
          ]);
          return name === COLLECTIONS.checkpoints
            ? [{ _id: 1, clusterTime: new Timestamp({ t: 5, i: 1 }), resumeToken: null }]
            : [{ _id: 'ada', partition: 1, version: 3, group: 2 }];
        },
      }),
    }),
  } as unknown as Db;
}

describe('loading the snapshot of some partitions from MongoDB', () => {
  it('reads checkpoints, then users, in one causally consistent session, ended afterwards', async () => {
    const driver = new RecordingDriver();
    const snapshots = new MongoSnapshotStore(driver.client, driver.db, 1000);

    const loaded = await snapshots.load([1]);

    expect(loaded.entries.map((entry) => entry.userId)).toEqual(['ada']);
    expect(driver.reads).toEqual([
      [COLLECTIONS.checkpoints, 0],
      [COLLECTIONS.users, 0],
    ]);
    expect(driver.sessions).toEqual([
      expect.objectContaining({ options: { causalConsistency: true }, ended: true }),
    ]);
  });
});

import type { Document } from 'mongodb';
import type { StoredUser } from '../event-store';
import { fromStoredKey } from './data-key-documents';
import { toEvent } from './event-documents';
import { toEntry } from './user-documents';
import { COLLECTIONS, type DataKeyDocument, type EventDocument, type UserDocument } from './schema';

/**
 * Events the one command carries at most. Its answer is one document, which MongoDB caps at
 * 16 MiB: at a few hundred bytes an event, tens of thousands of events since the snapshot (an
 * aggregator away for long while one user is written to) would fail every read of that user.
 * 5,000 stay near 2 MiB; past them the rest is read a page at a time (`events-after-page.ts`).
 */
export const EVENTS_IN_ONE_READ = 5_000;

/**
 * One user as the write side starts from, in ONE command: a database-level aggregate
 * (`$documents`, MongoDB 5.1+) that looks up the user's snapshot, its data key, and its events
 * after the snapshot's version, each through its `_id` or `userId_version_unique` index. One
 * command is one round trip, and one majority read: the three parts are of one point in time,
 * which three reads on a primary that changes between them would not be (review M3).
 *
 * A tombstone's version is not started from (it does not tell a deleted user from an erased
 * one), so with one every event is read.
 */
export function storedUserPipeline(userId: string, eventLimit = EVENTS_IN_ONE_READ): Document[] {
  const snapshotVersion = {
    $let: {
      vars: { snapshot: { $first: '$snapshot' } },
      in: {
        $cond: [{ $eq: ['$$snapshot.deleted', true] }, 0, { $ifNull: ['$$snapshot.version', 0] }],
      },
    },
  };
  return [
    { $documents: [{ _id: userId }] },
    {
      $lookup: { from: COLLECTIONS.users, localField: '_id', foreignField: '_id', as: 'snapshot' },
    },
    {
      $lookup: {
        from: COLLECTIONS.dataKeys,
        localField: '_id',
        foreignField: '_id',
        pipeline: [{ $project: { keyId: 1, masterKeyId: 1, wrapped: 1 } }],
        as: 'dataKey',
      },
    },
    {
      $lookup: {
        from: COLLECTIONS.events,
        localField: '_id',
        foreignField: 'userId',
        let: { after: snapshotVersion },
        pipeline: [
          { $match: { $expr: { $gt: ['$version', '$$after'] } } },
          { $sort: { version: 1 } },
          { $limit: eventLimit },
        ],
        as: 'events',
      },
    },
  ];
}

/** The one document the pipeline answers, as the port's StoredUser. */
export function toStoredUser(result: Document | undefined): StoredUser {
  const snapshotDocument = (result?.snapshot as UserDocument[] | undefined)?.[0];
  const entry = snapshotDocument ? toEntry(snapshotDocument) : null;
  const keyDocument = (result?.dataKey as DataKeyDocument[] | undefined)?.[0];
  return {
    snapshot: entry?.user ? entry : null,
    events: ((result?.events as EventDocument[] | undefined) ?? []).map(toEvent),
    dataKey: keyDocument ? fromStoredKey(keyDocument) : null,
  };
}

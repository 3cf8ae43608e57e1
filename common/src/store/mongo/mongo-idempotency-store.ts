import type { Collection, Db, Document } from 'mongodb';
import { StoreUnavailableError } from '../errors';
import type {
  IdempotencyStore,
  IdempotentAttempt,
  IdempotentBegin,
  StoredOutcome,
} from '../idempotency-store';
import { ABANDONED_LEASE, standingOf, startedFrom } from '../idempotency-rules';
import { COLLECTIONS, type IdempotentRequestDocument } from './schema';

/**
 * One document per key. Taking a key is one `findAndModify`: an upsert whose pipeline replaces
 * the record only when the key is free by `standingOf`'s rule (no record, expired, or a lease run
 * out), answered with the record as it was before, from which the same rule tells the caller what
 * it found. Racing attempts are serialised by the document: one takes the key, the others find it
 * in flight (two upserts of a new `_id` racing are retried by the server itself, the query being
 * an equality on `_id`: `shouldRetryDuplicateKeyException` in write_ops_exec.cpp).
 *
 * Taking a key is acknowledged by the primary alone (`w: 1`), with no wait for a majority: a
 * record lost in a failover costs only a second run of the request, which derives the same event
 * id, so its write still happens once (decision 0010). The outcome is remembered with the
 * client's majority write concern, usually in the append that stores the request's events.
 */
export class MongoIdempotencyStore implements IdempotencyStore {
  private readonly requests: Collection<IdempotentRequestDocument>;

  constructor(
    db: Db,
    private readonly timeoutMs: number,
  ) {
    this.requests = db.collection<IdempotentRequestDocument>(COLLECTIONS.idempotentRequests);
  }

  async begin(key: string, attempt: IdempotentAttempt): Promise<IdempotentBegin> {
    let before: IdempotentRequestDocument | null;
    try {
      before = await this.requests.findOneAndUpdate({ _id: key }, takeIfFree(key, attempt), {
        upsert: true,
        returnDocument: 'before',
        writeConcern: { w: 1 },
        maxTimeMS: this.timeoutMs,
      });
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to begin an idempotent request', {
        cause: error,
      });
    }
    const standing = standingOf(before, attempt.now);
    return standing === 'free' ? startedFrom(before, attempt.now) : standing;
  }

  async finish(key: string, token: string, outcome: StoredOutcome, expiresAt: Date): Promise<void> {
    try {
      await this.requests.updateOne(
        { _id: key, token },
        { $set: { outcome, expiresAt } },
        { maxTimeMS: this.timeoutMs },
      );
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to remember an outcome', { cause: error });
    }
  }

  async abandon(key: string, token: string): Promise<void> {
    try {
      await this.requests.updateOne(
        { _id: key, token },
        { $set: { leaseUntil: ABANDONED_LEASE } },
        { maxTimeMS: this.timeoutMs },
      );
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to let a key go', { cause: error });
    }
  }
}

/**
 * The update that takes the key when it is free at `attempt.now`, and otherwise leaves the record
 * as it is: `standingOf`'s rule as an aggregation expression, evaluated on the server in the same
 * atomic step as the write. An upsert's pipeline runs on `{_id}` alone when there is no record,
 * so a missing `fingerprint` means "no record".
 */
export function takeIfFree(key: string, attempt: IdempotentAttempt): Document[] {
  const { fingerprint, token, leaseUntil, expiresAt, now } = attempt;
  const fresh: IdempotentRequestDocument = {
    _id: key,
    fingerprint,
    token,
    leaseUntil,
    expiresAt,
    outcome: null,
  };
  const free = {
    $or: [
      { $eq: [{ $type: '$fingerprint' }, 'missing'] },
      { $lte: ['$expiresAt', { $literal: now }] },
      {
        $and: [
          { $eq: [{ $ifNull: ['$outcome', null] }, null] },
          { $lte: ['$leaseUntil', { $literal: now }] },
        ],
      },
    ],
  };
  return [{ $replaceWith: { $cond: { if: free, then: { $literal: fresh }, else: '$$ROOT' } } }];
}

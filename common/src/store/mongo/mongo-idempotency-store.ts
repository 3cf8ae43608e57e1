import type { Collection, Db } from 'mongodb';
import { StoreUnavailableError } from '../errors';
import type {
  IdempotencyStore,
  IdempotentAttempt,
  IdempotentBegin,
  StoredOutcome,
} from '../idempotency-store';
import { standingOf } from '../idempotency-rules';
import { hasCode, MONGO_ERROR } from './error-codes';
import { COLLECTIONS, type IdempotentRequestDocument } from './schema';

/** Rounds of "read, then take the key" lost to other attempts before answering in-flight. */
const TAKE_ROUNDS = 3;

/**
 * One document per key. Taking a key is an insert (no one had it) or, once the insert is refused,
 * an update conditioned on the token read (its holder's lease ran out, or the key expired): of
 * two attempts racing for it, one wins and the other reads again. That the record is right matters for the answer a
 * retry gets, not for how often a write happens: the gateway derives the event's id from the key,
 * so two attempts that both ran would store one event (decision 0010).
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
    const { fingerprint, token, leaseUntil, expiresAt, now } = attempt;
    const fresh = { fingerprint, token, leaseUntil, expiresAt, outcome: null };
    try {
      for (let round = 0; round < TAKE_ROUNDS; round++) {
        // Inserting first: most keys are new, and then that one write is all it costs.
        if (await this.insert(key, fresh)) return { kind: 'started' };
        const found = await this.requests.findOne({ _id: key }, { maxTimeMS: this.timeoutMs });
        // Gone since the insert was refused (abandoned, or expired): insert again.
        if (!found) continue;
        const standing = standingOf(found, now);
        if (standing !== 'free') return standing;
        const taken = await this.requests.updateOne(
          { _id: key, token: found.token },
          { $set: fresh },
        );
        if (taken.matchedCount === 1) return { kind: 'started' };
      }
      return { kind: 'inFlight' };
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to begin an idempotent request', {
        cause: error,
      });
    }
  }

  async finish(key: string, token: string, outcome: StoredOutcome, expiresAt: Date): Promise<void> {
    try {
      await this.requests.updateOne({ _id: key, token }, { $set: { outcome, expiresAt } });
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to remember an outcome', { cause: error });
    }
  }

  async abandon(key: string, token: string): Promise<void> {
    try {
      await this.requests.deleteOne({ _id: key, token });
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to forget a key', { cause: error });
    }
  }

  /** True when the key was free and this attempt now holds it; false when it has a document. */
  private async insert(
    key: string,
    fresh: Omit<IdempotentRequestDocument, '_id'>,
  ): Promise<boolean> {
    try {
      await this.requests.insertOne({ _id: key, ...fresh });
      return true;
    } catch (error) {
      if (hasCode(error, MONGO_ERROR.DuplicateKey)) return false;
      throw error;
    }
  }
}

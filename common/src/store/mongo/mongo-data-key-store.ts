import type { ClientSession, Collection, Db, Filter } from 'mongodb';
import { StoreUnavailableError } from '../errors';
import type { DataKeyStore, WrappedDataKey } from '../data-key-store';
import type { CausalClock } from './causal-clock';
import { hasCode, MONGO_ERROR } from './error-codes';
import { fromStoredKey, storedEitherWay, toStoredKey } from './data-key-documents';
import { COLLECTIONS, type DataKeyDocument } from './schema';

/** Rounds of "insert, then read the key that refused it" that find no key before giving up. */
const CREATE_ROUNDS = 3;

/** What a read of `DataKeys` fetches: the stored key, without its creation time. */
const KEY_FIELDS = { _id: 1, keyId: 1, masterKeyId: 1, wrapped: 1 } as const;

type KeyFields = Pick<DataKeyDocument, '_id' | 'keyId' | 'masterKeyId' | 'wrapped'>;

/**
 * One document per owner in `DataKeys`. Creating a key is an insert of the candidate (most owners
 * are new: one write); an insert refused by a duplicate `_id` lost a race, and the key that won it
 * is read back, so that every racer seals with the one stored key. Writes take the client's
 * majority write concern, so a destroyed key stays destroyed across a failover; reads wait (the
 * causal clock) for this process's own writes, so a key it just created is never read as missing,
 * which would make its user look erased.
 */
export class MongoDataKeyStore implements DataKeyStore {
  private readonly keys: Collection<DataKeyDocument>;

  /** @param timeoutMs server time each read may take (maxTimeMS) */
  constructor(
    db: Db,
    private readonly clock: CausalClock,
    private readonly timeoutMs: number,
  ) {
    this.keys = db.collection<DataKeyDocument>(COLLECTIONS.dataKeys);
  }

  async getOrCreate(owner: string, candidate: WrappedDataKey): Promise<WrappedDataKey> {
    const fresh = plainKey(candidate);
    try {
      for (let round = 0; round < CREATE_ROUNDS; round++) {
        const stored = await this.insertOrRead(owner, fresh);
        if (stored) return stored;
      }
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to get or create a data key', {
        cause: error,
      });
    }
    // Each insert was refused, yet no key was found: it is being destroyed and created again
    // faster than this can read it, or the majority lags. Either way, no stored key to give.
    throw new StoreUnavailableError(
      `MongoDB neither stored nor gave back the data key of "${owner}" in ${CREATE_ROUNDS} attempts`,
    );
  }

  async get(owners: readonly string[]): Promise<Map<string, WrappedDataKey>> {
    const found = new Map<string, WrappedDataKey>();
    if (owners.length === 0) return found;
    let documents: KeyFields[];
    try {
      documents = await this.clock.read((session) =>
        this.keys
          .find(
            { _id: { $in: [...new Set(owners)] } },
            { session, projection: KEY_FIELDS, maxTimeMS: this.timeoutMs },
          )
          .toArray(),
      );
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to read data keys', { cause: error });
    }
    const byOwner = new Map(documents.map((document) => [document._id, document]));
    // In the order asked, as the in-memory store answers, whatever order the server found them in.
    for (const owner of owners) {
      const document = byOwner.get(owner);
      if (document) found.set(owner, fromStoredKey(document));
    }
    return found;
  }

  async destroy(owner: string): Promise<void> {
    try {
      await this.write((session) => this.keys.deleteOne({ _id: owner }, { session }));
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to destroy a data key', { cause: error });
    }
  }

  async wrappedOtherwise(
    masterKeyId: string,
    after: string | undefined,
    limit: number,
  ): Promise<Array<{ owner: string; key: WrappedDataKey }>> {
    // The driver reads a limit of 0 as "no limit" and a negative one as "one batch": neither is
    // "up to `limit`", which for anything below 1 is none.
    const count = Math.floor(limit);
    if (!(count >= 1)) return [];
    const filter: Filter<DataKeyDocument> = { masterKeyId: { $ne: masterKeyId } };
    if (after !== undefined) filter._id = { $gt: after };
    try {
      // masterKeyId_id bounds the scan to the keys of other master keys: none, usually, so the
      // check after a rotation is done costs nothing.
      const documents = await this.clock.read((session) =>
        this.keys
          .find(filter, { session, projection: KEY_FIELDS, maxTimeMS: this.timeoutMs })
          .sort({ _id: 1 })
          .limit(count)
          .toArray(),
      );
      return documents.map((document) => ({ owner: document._id, key: fromStoredKey(document) }));
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to list data keys', { cause: error });
    }
  }

  async rewrap(owner: string, from: WrappedDataKey, to: WrappedDataKey): Promise<boolean> {
    const { masterKeyId, wrapped } = toStoredKey(to);
    try {
      // Matches only the key as read: not one destroyed since, nor another created after that,
      // nor one another rewrap replaced first. `to` wraps the same key, so keyId stays.
      const result = await this.write((session) =>
        this.keys.updateOne(
          { _id: owner, keyId: from.keyId, wrapped: storedEitherWay(from.wrapped) },
          { $set: { masterKeyId, wrapped } },
          { session },
        ),
      );
      return result.matchedCount === 1;
    } catch (error) {
      throw new StoreUnavailableError('MongoDB failed to rewrap a data key', { cause: error });
    }
  }

  /**
   * The stored key: the candidate, once inserted; else the key that refused it, or null when
   * that one is not found (destroyed since, so worth inserting again).
   */
  private async insertOrRead(owner: string, fresh: WrappedDataKey): Promise<WrappedDataKey | null> {
    const session = this.clock.writeSession();
    try {
      try {
        await this.keys.insertOne(
          { _id: owner, ...toStoredKey(fresh), createdAt: new Date() },
          { session },
        );
        this.clock.noteWrite(session);
        return fresh;
      } catch (error) {
        if (!hasCode(error, MONGO_ERROR.DuplicateKey)) throw error;
      }
      // In the insert's causally consistent session, this majority read waits for the refusal's
      // operation time, which the server gives at or after the write that refused it: it sees
      // the winner. Found nothing all the same: destroyed since, and the next round inserts.
      const stored = await this.keys.findOne(
        { _id: owner },
        { session, projection: KEY_FIELDS, maxTimeMS: this.timeoutMs },
      );
      return stored && fromStoredKey(stored);
    } finally {
      await session.endSession();
    }
  }

  /** Runs a write in a session of the causal clock, so that later reads see it. */
  private async write<T>(work: (session: ClientSession) => Promise<T>): Promise<T> {
    const session = this.clock.writeSession();
    try {
      const result = await work(session);
      this.clock.noteWrite(session);
      return result;
    } finally {
      await session.endSession();
    }
  }
}

/** The key alone, as a new object: nothing else of a document or a caller's value goes along. */
function plainKey({ keyId, masterKeyId, wrapped }: WrappedDataKey): WrappedDataKey {
  return { keyId, masterKeyId, wrapped };
}

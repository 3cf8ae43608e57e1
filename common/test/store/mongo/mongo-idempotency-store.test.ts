import type { Db } from 'mongodb';
import { StoreUnavailableError } from '@user-service/common/store';
import { MongoIdempotencyStore } from '../../../src/store/mongo/mongo-idempotency-store';
import type { IdempotentRequestDocument } from '../../../src/store/mongo/schema';

type Doc = IdempotentRequestDocument;

/**
 * Stands in for the one collection, with MongoDB's answers to the calls the adapter makes:
 * enough to drive its race handling, which a single server in a test would rarely show.
 * `beforeWrite` runs before each insert or update, as another gateway acting in between.
 */
class FakeRequests {
  readonly docs = new Map<string, Doc>();
  beforeWrite: () => void = () => undefined;
  failWith: unknown = undefined;

  async findOne(filter: { _id: string }): Promise<Doc | null> {
    if (this.failWith) throw this.failWith;
    return this.docs.get(filter._id) ?? null;
  }
  async insertOne(doc: Doc): Promise<void> {
    if (this.failWith) throw this.failWith;
    this.beforeWrite();
    if (this.docs.has(doc._id)) throw Object.assign(new Error('E11000'), { code: 11000 });
    this.docs.set(doc._id, doc);
  }
  async updateOne(
    filter: { _id: string; token: string },
    update: { $set: Partial<Doc> },
  ): Promise<{ matchedCount: number }> {
    this.beforeWrite();
    const doc = this.docs.get(filter._id);
    if (doc?.token !== filter.token) return { matchedCount: 0 };
    this.docs.set(filter._id, { ...doc, ...update.$set });
    return { matchedCount: 1 };
  }
}

const at = (seconds: number) => new Date(Date.UTC(2026, 10, 22, 12, 0, seconds));
const attempt = (token: string, now: number) => ({
  fingerprint: 'PUT /api/user {"id":"a"}',
  token,
  now: at(now),
  leaseUntil: at(now + 10),
  expiresAt: at(now + 100),
});

function storeWith(requests: FakeRequests): MongoIdempotencyStore {
  return new MongoIdempotencyStore({ collection: () => requests } as unknown as Db, 1000);
}

describe('MongoDB idempotency store, against a fake collection', () => {
  it('answers in-flight when another gateway inserts the key just before it', async () => {
    const requests = new FakeRequests();
    requests.beforeWrite = () => {
      requests.beforeWrite = () => undefined;
      requests.docs.set('k', { _id: 'k', ...attempt('other', 0), outcome: null });
    };
    expect(await storeWith(requests).begin('k', attempt('mine', 0))).toEqual({ kind: 'inFlight' });
  });

  it('answers the outcome when another gateway takes a dead attempt over and finishes first', async () => {
    const requests = new FakeRequests();
    requests.docs.set('k', { _id: 'k', ...attempt('dead', 0), outcome: null });
    const outcome = { status: 200, headers: {}, body: '{}' };
    requests.beforeWrite = () => {
      requests.beforeWrite = () => undefined;
      requests.docs.set('k', { _id: 'k', ...attempt('other', 20), outcome });
    };
    expect(await storeWith(requests).begin('k', attempt('mine', 20))).toMatchObject({
      kind: 'completed',
      outcome,
    });
  });

  it('takes over a key whose holder’s lease ran out, so only the new attempt can finish it', async () => {
    const requests = new FakeRequests();
    requests.docs.set('k', { _id: 'k', ...attempt('dead', 0), outcome: null });
    const store = storeWith(requests);
    expect(await store.begin('k', attempt('mine', 11))).toEqual({ kind: 'started' });
    expect(requests.docs.get('k')?.token).toBe('mine');
  });

  it('turns a failure of the server into StoreUnavailableError', async () => {
    const requests = new FakeRequests();
    requests.failWith = new Error('connection reset');
    await expect(storeWith(requests).begin('k', attempt('mine', 0))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });
});

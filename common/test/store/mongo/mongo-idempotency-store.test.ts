import fc from 'fast-check';
import { Aggregator } from 'mingo';
import type { Db, Document } from 'mongodb';
import { StoreUnavailableError } from '@user-service/common/store';
import { standingOf } from '../../../src/store/idempotency-rules';
import {
  MongoIdempotencyStore,
  takeIfFree,
} from '../../../src/store/mongo/mongo-idempotency-store';
import type { IdempotentRequestDocument } from '../../../src/store/mongo/schema';

type Doc = IdempotentRequestDocument;

/**
 * Stands in for the one collection: `findOneAndUpdate` with an upsert and a pipeline, the pipeline
 * run by mingo (a JavaScript implementation of MongoDB's aggregation language) on the stored
 * document, or on `{_id}` alone when there is none, as the server runs an upsert's pipeline.
 */
class FakeRequests {
  readonly docs = new Map<string, Doc>();
  readonly options: Document[] = [];
  failWith: unknown = undefined;

  async findOneAndUpdate(
    filter: { _id: string },
    pipeline: Document[],
    options: Document,
  ): Promise<Doc | null> {
    if (this.failWith) throw this.failWith;
    this.options.push(options);
    const before = this.docs.get(filter._id) ?? null;
    const [after] = new Aggregator(pipeline).run([
      before ?? { _id: filter._id },
    ]) as unknown as Doc[];
    if (after && 'fingerprint' in after) this.docs.set(filter._id, after);
    return before;
  }

  async updateOne(filter: { _id: string; token: string }, update: { $set: Partial<Doc> }) {
    const doc = this.docs.get(filter._id);
    if (doc?.token === filter.token) this.docs.set(filter._id, { ...doc, ...update.$set });
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
const outcome = { status: 200, headers: {}, body: '{}' };

function storeWith(requests: FakeRequests): MongoIdempotencyStore {
  return new MongoIdempotencyStore({ collection: () => requests } as unknown as Db, 1000);
}

describe('MongoDB idempotency store, one command per begin, against a fake collection', () => {
  it('takes a key no one had, fresh, acknowledged by the primary alone', async () => {
    const requests = new FakeRequests();
    expect(await storeWith(requests).begin('k', attempt('mine', 0))).toEqual({
      kind: 'started',
      fresh: true,
    });
    expect(requests.docs.get('k')).toMatchObject({ token: 'mine', outcome: null });
    expect(requests.options).toEqual([
      expect.objectContaining({ upsert: true, returnDocument: 'before', writeConcern: { w: 1 } }),
    ]);
  });

  it('answers in flight while the holder’s lease runs, and leaves its record alone', async () => {
    const requests = new FakeRequests();
    requests.docs.set('k', { _id: 'k', ...attempt('other', 0), outcome: null });
    expect(await storeWith(requests).begin('k', attempt('mine', 5))).toEqual({ kind: 'inFlight' });
    expect(requests.docs.get('k')?.token).toBe('other');
  });

  it('answers the outcome of a finished request', async () => {
    const requests = new FakeRequests();
    requests.docs.set('k', { _id: 'k', ...attempt('other', 0), outcome });
    expect(await storeWith(requests).begin('k', attempt('mine', 50))).toMatchObject({
      kind: 'completed',
      outcome,
    });
    expect(requests.docs.get('k')?.token).toBe('other');
  });

  it('takes over a key whose holder’s lease ran out, not fresh: that holder may have written', async () => {
    const requests = new FakeRequests();
    requests.docs.set('k', { _id: 'k', ...attempt('dead', 0), outcome: null });
    expect(await storeWith(requests).begin('k', attempt('mine', 11))).toEqual({
      kind: 'started',
      fresh: false,
    });
    expect(requests.docs.get('k')?.token).toBe('mine');
  });

  it('takes an abandoned key at once, not fresh', async () => {
    const store = storeWith(new FakeRequests());
    await store.begin('k', attempt('first', 0));
    await store.abandon('k', 'first');
    expect(await store.begin('k', attempt('retry', 1))).toEqual({ kind: 'started', fresh: false });
  });

  it('takes an expired key as a new one: fresh', async () => {
    const requests = new FakeRequests();
    requests.docs.set('k', { _id: 'k', ...attempt('old', 0), outcome });
    expect(await storeWith(requests).begin('k', attempt('mine', 200))).toEqual({
      kind: 'started',
      fresh: true,
    });
  });

  it('turns a failure of the server into StoreUnavailableError', async () => {
    const requests = new FakeRequests();
    requests.failWith = new Error('connection reset');
    await expect(storeWith(requests).begin('k', attempt('mine', 0))).rejects.toBeInstanceOf(
      StoreUnavailableError,
    );
  });

  it('takes the key on the server exactly when the shared rule calls it free', () => {
    // The pipeline is the rule the in-memory adapter applies (standingOf), in MongoDB's
    // expression language: they must never disagree, or the adapters answer a retry differently.
    const time = fc.integer({ min: 0, max: 400 });
    const record = fc.option(
      fc.record({
        leaseUntil: time,
        expiresAt: time,
        finished: fc.boolean(),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(record, time, (stored, now) => {
        const before: Doc | undefined = stored && {
          _id: 'k',
          fingerprint: 'f',
          token: 'held',
          leaseUntil: at(stored.leaseUntil),
          expiresAt: at(stored.expiresAt),
          outcome: stored.finished ? outcome : null,
        };
        const [after] = new Aggregator(takeIfFree('k', attempt('mine', now))).run([
          before ?? { _id: 'k' },
        ]) as unknown as Doc[];
        const taken = after?.token === 'mine';
        expect(taken).toBe(standingOf(before, at(now)) === 'free');
      }),
    );
  });
});

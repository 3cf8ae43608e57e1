import { type ClientSession, type Db, Timestamp } from 'mongodb';
import { StoreUnavailableError, type WrappedDataKey } from '@user-service/common/store';
import { CausalClock } from '../../../src/store/mongo/causal-clock';
import { toStoredKey } from '../../../src/store/mongo/data-key-documents';
import { MongoDataKeyStore } from '../../../src/store/mongo/mongo-data-key-store';
import type { DataKeyDocument } from '../../../src/store/mongo/schema';

type Doc = DataKeyDocument;
type Condition = unknown;
type Query = Readonly<Record<string, Condition>>;

/** Stands in for the driver's session: the operation time a server's answer would leave in it. */
class FakeSession {
  operationTime: Timestamp | undefined;
  ended = false;
  advanceOperationTime(time: Timestamp): void {
    if (!this.operationTime || time.greaterThan(this.operationTime)) this.operationTime = time;
  }
  async endSession(): Promise<void> {
    this.ended = true;
  }
}

interface Options {
  readonly session?: FakeSession;
}

/** The one condition form per operator the adapter uses: equality, $ne, $gt and $in. */
function matches(doc: Doc, filter: Query): boolean {
  return Object.entries(filter).every(([field, condition]) => {
    const value: unknown = doc[field as keyof Doc];
    if (typeof condition !== 'object' || condition === null) return value === condition;
    const operators = condition as { $ne?: unknown; $gt?: string; $in?: unknown[] };
    if ('$ne' in operators) return value !== operators.$ne;
    if ('$gt' in operators) return typeof value === 'string' && value > (operators.$gt ?? '');
    if ('$in' in operators) return (operators.$in ?? []).includes(value);
    throw new Error(`the fake does not know the condition ${JSON.stringify(condition)}`);
  });
}

/**
 * Stands in for `DataKeys`, with MongoDB's answers to the calls the adapter makes: enough to
 * drive its race handling, which a single server in a test would rarely show. `beforeInsert`
 * runs before each insert, as another gateway acting in between. Each write leaves the next
 * operation time in its session, as the server's answer does.
 */
class FakeKeys {
  readonly docs = new Map<string, Doc>();
  readonly calls: Array<{ readonly op: string; readonly args: readonly unknown[] }> = [];
  beforeInsert: () => void = () => undefined;
  /** What findOne answers instead of the stored document, while set (a read that lags). */
  findOneAnswers: Array<Doc | null> = [];
  failWith: unknown = undefined;
  private clusterTime = 100;

  async insertOne(doc: Doc, options: Options): Promise<void> {
    this.record('insertOne', doc, options);
    this.beforeInsert();
    this.answered(options);
    if (this.docs.has(doc._id)) throw Object.assign(new Error('E11000'), { code: 11000 });
    this.docs.set(doc._id, { ...doc });
  }
  async findOne(filter: { _id: string }, options: Options): Promise<Doc | null> {
    this.record('findOne', filter, options);
    if (this.findOneAnswers.length > 0) return this.findOneAnswers.shift() ?? null;
    return this.docs.get(filter._id) ?? null;
  }
  find(filter: Query, options: Options) {
    this.record('find', filter, options);
    let sorted = false;
    let limit = Number.POSITIVE_INFINITY;
    const cursor = {
      sort: (order: unknown) => {
        this.record('sort', order);
        sorted = true;
        return cursor;
      },
      limit: (count: number) => {
        this.record('limit', count);
        limit = count;
        return cursor;
      },
      toArray: async (): Promise<Doc[]> => {
        const found = [...this.docs.values()].filter((doc) => matches(doc, filter));
        // Unsorted, the fake answers in reverse insertion order: whatever order the server likes.
        if (sorted) found.sort((a, b) => (a._id < b._id ? -1 : a._id > b._id ? 1 : 0));
        else found.reverse();
        return found.slice(0, limit);
      },
    };
    return cursor;
  }
  async deleteOne(filter: Query, options: Options): Promise<{ deletedCount: number }> {
    this.record('deleteOne', filter, options);
    this.answered(options);
    const doc = [...this.docs.values()].find((candidate) => matches(candidate, filter));
    if (doc) this.docs.delete(doc._id);
    return { deletedCount: doc ? 1 : 0 };
  }
  async updateOne(
    filter: Query,
    update: { $set: Partial<Doc> },
    options: Options,
  ): Promise<{ matchedCount: number }> {
    this.record('updateOne', filter, update, options);
    this.answered(options);
    const doc = [...this.docs.values()].find((candidate) => matches(candidate, filter));
    if (!doc) return { matchedCount: 0 };
    this.docs.set(doc._id, { ...doc, ...update.$set });
    return { matchedCount: 1 };
  }

  ops(): string[] {
    return this.calls.map((call) => call.op);
  }

  private record(op: string, ...args: unknown[]): void {
    if (this.failWith) throw this.failWith;
    this.calls.push({ op, args });
  }

  private answered(options: Options): void {
    options.session?.advanceOperationTime(new Timestamp({ t: ++this.clusterTime, i: 1 }));
  }
}

function storeWith(keys: FakeKeys) {
  const sessions: FakeSession[] = [];
  const clock = new CausalClock({
    startSession: () => {
      const session = new FakeSession();
      sessions.push(session);
      return session as unknown as ClientSession;
    },
  });
  const store = new MongoDataKeyStore({ collection: () => keys } as unknown as Db, clock, 1000);
  return { store, sessions };
}

/** Wrapped keys are base64url text, as data-key-wrapping.ts makes them. */
const base64url = (text: string) => Buffer.from(text).toString('base64url');
const key = (keyId: string, masterKeyId = 'master-1', wrapped = base64url(`wrapped-${keyId}`)) => ({
  keyId,
  masterKeyId,
  wrapped,
});
const stored = (owner: string, value: WrappedDataKey): Doc => ({
  _id: owner,
  ...value,
  createdAt: new Date(Date.UTC(2026, 0, 1)),
});

describe('MongoDB data key store, against a fake collection', () => {
  describe('getOrCreate', () => {
    it('stores a new owner’s candidate with one insert, and gives back the key alone', async () => {
      const keys = new FakeKeys();
      const candidate = { ...key('k1'), unwrapped: 'never stored' };
      expect(await storeWith(keys).store.getOrCreate('ada', candidate)).toEqual(key('k1'));
      expect(keys.ops()).toEqual(['insertOne']);
      const doc = keys.docs.get('ada');
      // The wrapped key as a binary: 60 bytes rather than 80 characters of text.
      expect(doc).toMatchObject({ _id: 'ada', ...toStoredKey(key('k1')) });
      expect(doc?.createdAt).toBeInstanceOf(Date);
      expect(doc).not.toHaveProperty('unwrapped');
    });

    it('answers the loser of a race with the key stored by the winner, read in the session of its refused insert', async () => {
      const keys = new FakeKeys();
      keys.beforeInsert = () => {
        keys.beforeInsert = () => undefined;
        keys.docs.set('ada', stored('ada', key('winner')));
      };
      const { store } = storeWith(keys);
      const answer = await store.getOrCreate('ada', key('loser'));
      expect(answer).toEqual(key('winner'));
      expect(answer).not.toHaveProperty('createdAt');
      expect(answer).not.toHaveProperty('_id');
      expect(keys.docs.get('ada')?.keyId).toBe('winner');
      // The read waits for the refusal's operation time, which is at or after the winner's write.
      const [insert, read] = keys.calls;
      const insertSession = (insert?.args[1] as Options | undefined)?.session;
      expect(read?.op).toBe('findOne');
      expect(insertSession?.operationTime).toBeDefined();
      expect((read?.args[1] as Options | undefined)?.session).toBe(insertSession);
    });

    it('inserts again when the key that refused the insert is gone by the time it is read', async () => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', key('old')));
      // Destroyed between the refused insert and the read.
      keys.findOneAnswers = [null];
      keys.beforeInsert = () => {
        if (keys.ops().filter((op) => op === 'insertOne').length === 2) keys.docs.delete('ada');
      };
      expect(await storeWith(keys).store.getOrCreate('ada', key('new'))).toEqual(key('new'));
      expect(keys.ops()).toEqual(['insertOne', 'findOne', 'insertOne']);
      expect(keys.docs.get('ada')?.keyId).toBe('new');
    });

    it('gives up with StoreUnavailableError rather than answer a key it could not find stored', async () => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', key('elusive')));
      keys.findOneAnswers = [null, null, null, null];
      const answer = storeWith(keys).store.getOrCreate('ada', key('mine'));
      await expect(answer).rejects.toBeInstanceOf(StoreUnavailableError);
      expect(keys.ops()).toEqual([
        'insertOne',
        'findOne',
        'insertOne',
        'findOne',
        'insertOne',
        'findOne',
      ]);
    });
  });

  describe('get', () => {
    it('reads all the owners with one find, leaving out those without a key, in the order asked', async () => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', key('a')));
      keys.docs.set('bob', stored('bob', key('b')));
      const found = await storeWith(keys).store.get(['bob', 'nobody', 'ada', 'bob']);
      expect([...found]).toEqual([
        ['bob', key('b')],
        ['ada', key('a')],
      ]);
      expect(keys.ops()).toEqual(['find']);
      expect(keys.calls[0]?.args[0]).toEqual({ _id: { $in: ['bob', 'nobody', 'ada'] } });
    });

    it('asks nothing for no owners', async () => {
      const keys = new FakeKeys();
      expect(await storeWith(keys).store.get([])).toEqual(new Map());
      expect(keys.calls).toEqual([]);
    });

    it('waits for this process’s own writes: a key it created is never read as missing after a failover', async () => {
      const keys = new FakeKeys();
      const { store, sessions } = storeWith(keys);
      await store.getOrCreate('ada', key('a'));
      const written = sessions[0]?.operationTime;
      await store.get(['ada']);
      expect(written).toBeDefined();
      expect(sessions[1]?.operationTime).toEqual(written);
      expect(sessions.every((session) => session.ended)).toBe(true);
    });
  });

  describe('destroy', () => {
    it('deletes the owner’s document, and resolves when there was none', async () => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', key('a')));
      keys.docs.set('bob', stored('bob', key('b')));
      const { store } = storeWith(keys);
      await store.destroy('ada');
      await store.destroy('nobody');
      expect([...keys.docs.keys()]).toEqual(['bob']);
      expect(keys.calls.map((call) => call.args[0])).toEqual([{ _id: 'ada' }, { _id: 'nobody' }]);
    });
  });

  describe('wrappedOtherwise', () => {
    it('asks for the keys of other master keys after `after`, sorted by owner and limited on the server', async () => {
      const keys = new FakeKeys();
      for (const [owner, masterKeyId] of [
        ['dan', 'old'],
        ['ada', 'old'],
        ['cid', 'current'],
        ['bob', 'older'],
        ['eve', 'old'],
      ] as const)
        keys.docs.set(owner, stored(owner, key(`k-${owner}`, masterKeyId)));
      const { store } = storeWith(keys);

      const page = await store.wrappedOtherwise('current', 'ada', 2);
      expect(page).toEqual([
        { owner: 'bob', key: key('k-bob', 'older') },
        { owner: 'dan', key: key('k-dan', 'old') },
      ]);
      expect(keys.calls.map(({ op, args }) => [op, args[0]])).toEqual([
        ['find', { masterKeyId: { $ne: 'current' }, _id: { $gt: 'ada' } }],
        ['sort', { _id: 1 }],
        ['limit', 2],
      ]);

      keys.calls.length = 0;
      const first = await store.wrappedOtherwise('current', undefined, 10);
      expect(first.map(({ owner }) => owner)).toEqual(['ada', 'bob', 'dan', 'eve']);
      expect(keys.calls[0]?.args[0]).toEqual({ masterKeyId: { $ne: 'current' } });
    });

    it('gives none for a limit below 1, rather than let the driver read 0 as no limit', async () => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', key('a', 'old')));
      expect(await storeWith(keys).store.wrappedOtherwise('current', undefined, 0)).toEqual([]);
      expect(keys.calls).toEqual([]);
    });
  });

  describe('rewrap', () => {
    const from = key('k1', 'old', base64url('wrapped-by-old'));
    const to = key('k1', 'new', base64url('wrapped-by-new'));

    it('replaces the key it was given by the same key wrapped again, keeping when it was created', async () => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', from));
      expect(await storeWith(keys).store.rewrap('ada', from, to)).toBe(true);
      expect(keys.docs.get('ada')).toEqual({ ...stored('ada', to), ...toStoredKey(to) });
    });

    it.each([
      ['wrapped again by another rewrap first', key('k1', 'other', base64url('wrapped-by-other'))],
      ['destroyed and created again since', key('k2', 'old', base64url('wrapped-by-old'))],
    ])('refuses, changing nothing, when the stored key was %s', async (_, current) => {
      const keys = new FakeKeys();
      keys.docs.set('ada', stored('ada', current));
      expect(await storeWith(keys).store.rewrap('ada', from, to)).toBe(false);
      expect(keys.docs.get('ada')).toEqual(stored('ada', current));
    });

    it('refuses when the key was destroyed', async () => {
      const keys = new FakeKeys();
      expect(await storeWith(keys).store.rewrap('ada', from, to)).toBe(false);
      expect(keys.docs.size).toBe(0);
    });
  });

  it.each([
    ['getOrCreate', (store: MongoDataKeyStore) => store.getOrCreate('ada', key('a'))],
    ['get', (store: MongoDataKeyStore) => store.get(['ada'])],
    ['destroy', (store: MongoDataKeyStore) => store.destroy('ada')],
    ['wrappedOtherwise', (store: MongoDataKeyStore) => store.wrappedOtherwise('m', undefined, 5)],
    ['rewrap', (store: MongoDataKeyStore) => store.rewrap('ada', key('a'), key('a', 'm2'))],
  ])('turns a failure of the server in %s into StoreUnavailableError', async (_, call) => {
    const keys = new FakeKeys();
    keys.failWith = new Error('connection reset');
    const { store, sessions } = storeWith(keys);
    await expect(call(store)).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(sessions.every((session) => session.ended)).toBe(true);
  });
});

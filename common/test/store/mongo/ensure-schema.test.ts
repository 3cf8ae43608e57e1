import type { Db, Document, IndexDescription } from 'mongodb';
import { StoreMisconfiguredError } from '../../../src/store/errors';
import { ensureSchema, INDEXES } from '../../../src/store/mongo/schema';

/**
 * A database that answers as a server would for the calls ensureSchema makes, holding `indexes`
 * per collection (every collection exists), and records what is sent to it.
 */
function fakeDb(indexes: Record<string, Document[]>, layout: Document | null = null) {
  const sent: string[] = [];
  let storedLayout = layout;
  const db = {
    databaseName: 'users',
    createCollection: async (name: string) => {
      sent.push(`createCollection ${name}`);
      throw Object.assign(new Error('exists'), { code: 48 });
    },
    command: async (command: Document) => {
      sent.push(`command ${JSON.stringify(command)}`);
      return { ok: 1 };
    },
    collection: (name: string) => ({
      listIndexes: () => ({ toArray: async () => indexes[name] ?? [] }),
      createIndexes: async (wanted: IndexDescription[]) => {
        sent.push(`createIndexes ${name} ${wanted.map((index) => index.name).join(',')}`);
        return wanted.map((index) => index.name);
      },
      dropIndex: async (index: string) => {
        sent.push(`dropIndex ${name}.${index}`);
        return { ok: 1 };
      },
      // The layout's upsert: inserts `$setOnInsert` only when there is none, answers the stored one.
      findOneAndUpdate: async (filter: Document, update: { $setOnInsert: Document }) => {
        storedLayout ??= { ...filter, ...update.$setOnInsert };
        return storedLayout;
      },
    }),
  };
  return { db: db as unknown as Db, sent, layout: () => storedLayout };
}

const listed = (collection: string): Document[] => [
  { v: 2, key: { _id: 1 }, name: '_id_' },
  ...(INDEXES[collection] ?? []).map((index) => ({ v: 2, ...index })),
];

function prepared(): Record<string, Document[]> {
  return Object.fromEntries(Object.keys(INDEXES).map((name) => [name, listed(name)]));
}

describe('ensureSchema on an existing database', () => {
  it('sends no index command to a database it prepared', async () => {
    const { db, sent } = fakeDb(prepared());
    await ensureSchema(db);
    expect(sent.filter((line) => !line.startsWith('createCollection'))).toEqual([]);
  });

  it('changes a TTL with collMod, and drops the redundant Users.partition index', async () => {
    const indexes = prepared();
    indexes.IdempotentRequests = [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { expiresAt: 1 }, name: 'expiresAt_ttl', expireAfterSeconds: 86_400 },
    ];
    indexes.Users = [...listed('Users'), { v: 2, key: { partition: 1 }, name: 'partition' }];
    const { db, sent } = fakeDb(indexes);
    await ensureSchema(db);
    expect(sent.filter((line) => !line.startsWith('createCollection'))).toEqual([
      'dropIndex Users.partition',
      'command {"collMod":"IdempotentRequests","index":{"name":"expiresAt_ttl","expireAfterSeconds":0}}',
    ]);
  });

  it('fixes the partition count on the first run, and keeps it on every later one', async () => {
    const { db, layout } = fakeDb(prepared());
    await ensureSchema(db, 16);
    expect(layout()).toEqual({ _id: 'layout', partitions: 16, storeId: expect.any(String) });
    const { storeId } = layout() ?? {};
    await ensureSchema(db, 16);
    expect(layout()).toEqual({ _id: 'layout', partitions: 16, storeId });
  });

  it('refuses another partition count than the one the database was initialised with', async () => {
    const { db } = fakeDb(prepared(), { _id: 'layout', partitions: 12, storeId: 'x' });
    await expect(ensureSchema(db, 16)).rejects.toThrow(
      /database "users" was initialised with 12 partitions, not PARTITIONS=16: set PARTITIONS=12/,
    );
  });

  it('stops at once, naming the index, where only dropping it by hand can help', async () => {
    const indexes = prepared();
    indexes.EmailClaims = [
      { v: 2, key: { _id: 1 }, name: '_id_' },
      { v: 2, key: { userId: 1 }, name: 'userId_unique' },
    ];
    const { db, sent } = fakeDb(indexes);
    const ensuring = ensureSchema(db);
    await expect(ensuring).rejects.toBeInstanceOf(StoreMisconfiguredError);
    await expect(ensuring).rejects.toThrow(
      /database "users" has indexes mongo-init cannot change in place: EmailClaims\.userId_unique is \{ userId: 1 \}, not unique.*dropIndex/,
    );
    expect(sent.some((line) => line.startsWith('createIndexes EmailClaims'))).toBe(false);
  });

  it('turns a conflict the server reports while creating (85, 86) into the same stop', async () => {
    const indexes = prepared();
    indexes.DataKeys = [];
    const { db } = fakeDb(indexes);
    const collection = db.collection.bind(db);
    (db as unknown as { collection: (name: string) => unknown }).collection = (name: string) => ({
      ...collection(name),
      createIndexes: async () => {
        throw Object.assign(new Error('Index already exists with a different name'), {
          code: 85,
        });
      },
    });
    await expect(ensureSchema(db)).rejects.toThrow(
      /cannot change in place: Index already exists with a different name/,
    );
  });
});

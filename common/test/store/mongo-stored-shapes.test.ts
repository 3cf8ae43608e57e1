/**
 * The stored-shape fixtures on a real MongoDB: their documents inserted as they are, read back by
 * the adapter through the server and the driver, give what stored-shapes.test.ts asserts they give
 * through the stand-in database (fixtures/document-db.ts). A master key rotation rewraps the keys
 * stored as text (older fixtures) and as binaries (newer ones) alike.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BSON, MongoClient } from 'mongodb';
import { v4 as uuidv4 } from 'uuid';
import {
  EMAIL_INDEX_OWNER,
  newMasterKeyText,
  parseMasterKeys,
  PersonalData,
  rotateMasterKey,
} from '@user-service/common/personal-data';
import { COLLECTIONS, ensureSchema, MongoStore } from '@user-service/common/store/mongo';
import { describeWithMongo } from '@user-service/test-support';
import { asStored, DocumentDb, type StoredDocument } from './fixtures/document-db';
import { mongoAdaptersOver, type Ports } from './fixtures/adapters-over';
import { FIXTURES_ROOT, fixtureShapes } from './fixtures/fixture-shapes';

const MASTER_KEY_TEXT = 'Zml4dHVyZS1tYXN0ZXIta2V5LW9mLTMyLWJ5dGVzISE=';
const USERS = ['fixture-alice', 'fixture-bob'];
const KEYS = ['fixture-key-create-alice', 'fixture-key-email-alice', 'fixture-key-create-bob'];
const READ_AT = new Date('2026-01-01T12:00:00.000Z');
const FAR_FUTURE = new Date('2999-01-01T00:00:00.000Z');

const fixturesRoot = FIXTURES_ROOT;
const shapes = fixtureShapes();

function documentsOf(shape: string): Record<string, StoredDocument[]> {
  const text = readFileSync(join(fixturesRoot, shape, 'mongo-documents.ejson.json'), 'utf8');
  return BSON.EJSON.parse(text, { relaxed: false }) as Record<string, StoredDocument[]>;
}

function standInPorts(shape: string): Ports {
  const documents = new DocumentDb();
  const collections = documentsOf(shape);
  for (const name of Object.values(COLLECTIONS))
    documents.collection(name).load((collections[name] ?? []).map(asStored));
  return mongoAdaptersOver(documents);
}

/** Everything a client could get of the fixtures' users, opened. */
async function readAll(ports: Ports, masterKeyText = MASTER_KEY_TEXT): Promise<unknown> {
  const personalData = new PersonalData(ports.dataKeys, parseMasterKeys(masterKeyText, 'key'));
  const read: Record<string, unknown> = {};
  for (const userId of USERS) {
    const events = await ports.events.readUserEvents(userId);
    const entry = await ports.snapshots.loadUser(userId);
    read[userId] = {
      history: await personalData.openEvents(userId, events),
      snapshot: entry && (await personalData.openEntry(entry)),
    };
  }
  for (const key of KEYS) {
    const begin = await ports.idempotency.begin(key, {
      fingerprint: 'a retry',
      token: 'a retry',
      now: READ_AT,
      leaseUntil: READ_AT,
      expiresAt: READ_AT,
    });
    read[key] = begin.kind === 'completed' ? await personalData.openOutcome(begin.outcome) : begin;
  }
  return read;
}

describeWithMongo('stored-shape fixtures on MongoDB', (mongoUrl) => {
  let admin: MongoClient;
  const stores: MongoStore[] = [];
  const databases: string[] = [];

  beforeAll(async () => {
    admin = await MongoClient.connect(mongoUrl);
  });

  afterAll(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const name of databases.splice(0)) await admin.db(name).dropDatabase();
    await admin.close();
  });

  async function storeHolding(shape: string): Promise<MongoStore> {
    const databaseName = `shapes_${uuidv4().replaceAll('-', '')}`;
    databases.push(databaseName);
    const db = admin.db(databaseName);
    await ensureSchema(db);
    for (const [name, documents] of Object.entries(documentsOf(shape))) {
      // The server's TTL monitor would delete the remembered outcomes (their expiry is long
      // past) at any moment of the test; what is read of them does not depend on when they expire.
      const kept =
        name === COLLECTIONS.idempotentRequests
          ? documents.map((document) => ({ ...document, expiresAt: FAR_FUTURE }))
          : documents;
      if (kept.length > 0) await db.collection<StoredDocument>(name).insertMany(kept);
    }
    const store = await MongoStore.connect(mongoUrl, databaseName);
    stores.push(store);
    return store;
  }

  describe.each(shapes)('%s', (shape) => {
    it('reads through the server as through the stand-in the unit test asserts on', async () => {
      const store = await storeHolding(shape);
      expect(await readAll(store)).toEqual(await readAll(standInPorts(shape)));
    });

    it('rotates its data keys, text or binary, and reads the same under the new master key alone', async () => {
      const store = await storeHolding(shape);
      const before = await readAll(store);
      const newKey = newMasterKeyText();
      const ring = parseMasterKeys(`${newKey} ${MASTER_KEY_TEXT}`, 'rotation');
      expect(await rotateMasterKey(store.dataKeys, ring)).toEqual({ rewrapped: 2, skipped: 0 });
      expect(await store.dataKeys.wrappedOtherwise(ring.current.id, undefined, 10)).toEqual([]);
      expect(await readAll(store, newKey)).toEqual(before);
      expect((await store.dataKeys.get([EMAIL_INDEX_OWNER])).size).toBe(1);
    });
  });
});

/**
 * Nothing stored becomes unreadable: events, snapshots, data keys and remembered responses as
 * earlier releases stored them (fixtures/<shape>/, captured by fixtures/capture-stored-shapes.ts
 * from the code of their day) read, through today's reading code, as the same users, histories
 * and responses. A change of stored shape adds a directory of fixtures; it never edits one, and
 * this test must keep passing on every directory.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import {
  foldEvents,
  initialUserState,
  normalizeEmail,
  type UserEvent,
} from '@user-service/common/domain';
import {
  EMAIL_INDEX_OWNER,
  parseMasterKeys,
  newMasterKeyText,
  PersonalData,
  rotateMasterKey,
  type MasterKeyring,
} from '@user-service/common/personal-data';
import type {
  Checkpoint,
  SnapshotEntry,
  StoredOutcome,
  WrappedDataKey,
} from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { COLLECTIONS } from '../../src/store/mongo/schema';
import { toStoredUser } from '../../src/store/mongo/stored-user-read';
import { DocumentDb, type StoredDocument } from './fixtures/document-db';
import { mongoAdaptersOver, type Ports } from './fixtures/adapters-over';
import { FIXTURES_ROOT, fixtureShapes } from './fixtures/fixture-shapes';

// Written out here rather than imported from the capture's story: what a client got back then is
// what it must get back now, whatever the capture code becomes.
const MASTER_KEY_TEXT = 'Zml4dHVyZS1tYXN0ZXIta2V5LW9mLTMyLWJ5dGVzISE=';
const ALICE = 'fixture-alice';
const BOB = 'fixture-bob';
const PARTITIONS = [11, 0];
const READ_AT = new Date('2026-01-01T12:00:00.000Z');

const ALICE_NOW = {
  id: ALICE,
  name: 'Alice Final',
  email: 'alice.again@example.com',
  group: 9,
};

const ALICE_HISTORY = [
  { type: 'UserCreated', data: { name: 'Alice Martin', email: 'alice@example.com', group: 3 } },
  { type: 'UserUpdated', data: { name: 'Alice Dupont' } },
  { type: 'UserUpdated', data: { email: 'alice.dupont@example.com' } },
  { type: 'UserUpdated', data: { group: 7 } },
  { type: 'UserDeleted', data: {} },
  {
    type: 'UserCreated',
    data: { name: 'Alice Again', email: 'alice.again@example.com', group: 9 },
  },
  { type: 'UserUpdated', data: { name: 'Alice Final' } },
];

/**
 * Shapes captured before events carried a schema version: their erasure (schema 1) reads as
 * not saying whether it deleted a live user, as the upcaster has it (domain/upcasting.ts).
 */
const BEFORE_SCHEMA_VERSIONS = new Set(['pd1-per-field', 'pd2-per-record']);

function bobHistory(shape: string) {
  return [
    { type: 'UserCreated', data: { name: null, email: null, group: 3 } },
    { type: 'UserUpdated', data: { name: null } },
    { type: 'UserErased', data: { deleted: BEFORE_SCHEMA_VERSIONS.has(shape) ? null : true } },
  ];
}

const OUTCOMES: Record<string, { status: number; headers: object; body: object }> = {
  'fixture-key-create-alice': {
    status: 201,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      ETag: '"1"',
      Location: `/users/${ALICE}`,
    },
    body: { id: ALICE, name: 'Alice Martin', email: 'alice@example.com', group: 3 },
  },
  'fixture-key-email-alice': {
    status: 200,
    headers: { 'Content-Type': 'application/json; charset=utf-8', ETag: '"3"' },
    body: { id: ALICE, name: 'Alice Dupont', email: 'alice.dupont@example.com', group: 3 },
  },
  // Remembered before Bob's erasure: sent again, it shows nothing of him.
  'fixture-key-create-bob': {
    status: 201,
    headers: {
      'Content-Type': 'application/json; charset=utf-8',
      ETag: '"1"',
      Location: `/users/${BOB}`,
    },
    body: { id: BOB, name: null, email: null, group: 3 },
  },
};

const fixturesRoot = FIXTURES_ROOT;
const shapes = fixtureShapes();

/** The documents of each collection, as the server would give them back. */
function mongoDocumentsOf(shape: string): Record<string, StoredDocument[]> {
  const text = readFileSync(join(fixturesRoot, shape, 'mongo-documents.ejson.json'), 'utf8');
  const collections = BSON.EJSON.parse(text, { relaxed: false }) as Record<
    string,
    StoredDocument[]
  >;
  return Object.fromEntries(
    Object.entries(collections).map(([name, documents]) => [
      name,
      documents.map((document) => BSON.deserialize(BSON.serialize(document)) as StoredDocument),
    ]),
  );
}

/** The MongoDB adapters' own reading code, over the documents as the fixtures hold them. */
function mongoPortsOf(shape: string): { ports: Ports; claims: StoredDocument[] } {
  const text = readFileSync(join(fixturesRoot, shape, 'mongo-documents.ejson.json'), 'utf8');
  const collections = BSON.EJSON.parse(text, { relaxed: false }) as Record<
    string,
    StoredDocument[]
  >;
  const documents = new DocumentDb();
  // Through BSON bytes and back, as the server stores a document and the driver reads it: an
  // int32 reads as a number, a date as a Date, a timestamp as a Timestamp.
  for (const name of Object.values(COLLECTIONS))
    documents
      .collection(name)
      .load(
        (collections[name] ?? []).map(
          (document) => BSON.deserialize(BSON.serialize(document)) as StoredDocument,
        ),
      );
  return {
    ports: mongoAdaptersOver(documents),
    claims: documents.collection(COLLECTIONS.emailClaims).all(),
  };
}

interface MemoryRecords {
  readonly events: UserEvent[];
  readonly snapshotEntries: SnapshotEntry[];
  readonly snapshotCheckpoint: Checkpoint;
  readonly dataKeys: Array<{ owner: string; key: WrappedDataKey }>;
  readonly outcomes: Array<{
    key: string;
    fingerprint: string;
    outcome: StoredOutcome;
    expiresAt: Date;
  }>;
}

const DATE_FIELDS = new Set(['occurredAt', 'expiresAt']);

/** An in-memory store loaded, through its ports, with the records the fixtures hold. */
async function memoryStoreOf(shape: string): Promise<InMemoryStore> {
  const text = readFileSync(join(fixturesRoot, shape, 'memory-records.json'), 'utf8');
  const records = JSON.parse(text, (field, value: unknown) =>
    DATE_FIELDS.has(field) && typeof value === 'string' ? new Date(value) : value,
  ) as MemoryRecords;
  const store = new InMemoryStore();
  for (const { owner, key } of records.dataKeys) await store.dataKeys.getOrCreate(owner, key);
  for (const userId of [ALICE, BOB]) {
    const events = records.events.filter((event) => event.userId === userId);
    await store.events.append(userId, 0, events);
  }
  await store.snapshots.save({
    partitions: PARTITIONS,
    entries: records.snapshotEntries,
    checkpoint: records.snapshotCheckpoint,
  });
  for (const { key, fingerprint, outcome, expiresAt } of records.outcomes) {
    const attempt = { fingerprint, token: 'loading', now: READ_AT, leaseUntil: READ_AT, expiresAt };
    await store.idempotency.begin(key, attempt);
    await store.idempotency.finish(key, 'loading', outcome, expiresAt);
  }
  return store;
}

function plainHistory(events: readonly UserEvent[]) {
  return events.map(({ type, data }) => ({ type, data }));
}

async function expectReadsAsBefore(
  shape: string,
  ports: Ports,
  ring: MasterKeyring,
): Promise<void> {
  const personalData = new PersonalData(ports.dataKeys, ring);

  const aliceEvents = await ports.events.readUserEvents(ALICE);
  const aliceOpened = await personalData.openEvents(ALICE, aliceEvents);
  expect(plainHistory(aliceOpened)).toEqual(ALICE_HISTORY);
  expect(aliceOpened.map((event) => event.version)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  expect(aliceOpened[0]?.occurredAt).toEqual(new Date('2026-01-01T10:00:00.000Z'));
  expect(aliceOpened[0]?.requestId).toBe('fixture-request-1');
  expect(foldEvents(initialUserState, aliceOpened)).toEqual({ version: 7, user: ALICE_NOW });

  const bobOpened = await personalData.openEvents(BOB, await ports.events.readUserEvents(BOB));
  expect(plainHistory(bobOpened)).toEqual(bobHistory(shape));
  expect(bobOpened.map((event) => event.schemaVersion)).toEqual([1, 1, 2]);
  expect(foldEvents(initialUserState, bobOpened)).toEqual({
    version: 3,
    user: null,
    erasure: 'erased',
  });

  const aliceEntry = await ports.snapshots.loadUser(ALICE);
  if (!aliceEntry) throw new Error('no snapshot of Alice');
  expect(await personalData.openEntry(aliceEntry)).toEqual({ version: 7, user: ALICE_NOW });
  const bobEntry = await ports.snapshots.loadUser(BOB);
  expect(bobEntry && (await personalData.openEntry(bobEntry))).toEqual({ version: 3, user: null });
  expect(
    await personalData.openUsers(await ports.snapshots.listUsers(PARTITIONS, { limit: 10 })),
  ).toEqual([ALICE_NOW]);
  const snapshot = await ports.snapshots.load(PARTITIONS);
  expect(snapshot.checkpoint).not.toBeNull();
  // Saved before snapshots said which projection saved them, or by the first: trusted as its.
  expect(snapshot.projectionVersion).toBe(1);

  for (const [key, expected] of Object.entries(OUTCOMES)) {
    const begin = await ports.idempotency.begin(key, {
      fingerprint: 'a retry',
      token: 'a retry',
      now: READ_AT,
      leaseUntil: READ_AT,
      expiresAt: READ_AT,
    });
    if (begin.kind !== 'completed') throw new Error(`${key} is not remembered: ${begin.kind}`);
    const opened = await personalData.openOutcome(begin.outcome);
    expect({
      status: opened.status,
      headers: opened.headers,
      body: JSON.parse(opened.body) as unknown,
    }).toEqual(expected);
  }
}

describe.each(shapes)('stored shape %s', (shape) => {
  const ring = parseMasterKeys(MASTER_KEY_TEXT, 'the fixtures key');

  test('MongoDB documents read as the users, histories and responses they were', async () => {
    const { ports } = mongoPortsOf(shape);
    await expectReadsAsBefore(shape, ports, ring);
  });

  test('MongoDB email claims stand for the email by the hash computed today', async () => {
    const { ports, claims } = mongoPortsOf(shape);
    const personalData = new PersonalData(ports.dataKeys, ring);
    const aliceClaim = await personalData.emailKey(normalizeEmail(ALICE_NOW.email));
    expect(claims.map(({ _id, userId }) => ({ _id, userId }))).toEqual([
      { _id: aliceClaim, userId: ALICE },
    ]);
  });

  test('in-memory records read as the users, histories and responses they were', async () => {
    const store = await memoryStoreOf(shape);
    await expectReadsAsBefore(shape, store, ring);
  });

  test('the user a write decides on, read in one call, is the user a client sees', async () => {
    // In memory through the port; on MongoDB the one command's answer (a `$lookup` of the user's
    // snapshot, key and newer events: stored-user-read.ts) mapped from the documents as stored.
    const store = await memoryStoreOf(shape);
    const fromMemory = await store.events.readUser(ALICE);
    const { ports } = mongoPortsOf(shape);
    const entry = await ports.snapshots.loadUser(ALICE);
    const keys = mongoDocumentsOf(shape)[COLLECTIONS.dataKeys] ?? [];
    const fromMongo = toStoredUser({
      snapshot: mongoDocumentsOf(shape)[COLLECTIONS.users]?.filter(({ _id }) => _id === ALICE),
      dataKey: keys.filter(({ _id }) => _id === ALICE),
      events: (mongoDocumentsOf(shape)[COLLECTIONS.events] ?? []).filter(
        (event) => event.userId === ALICE && Number(event.version) > (entry?.version ?? 0),
      ),
    });
    for (const stored of [fromMemory, fromMongo]) {
      const opened = new PersonalData(store.dataKeys, ring).openStored(ALICE, stored);
      expect(opened.state).toEqual({ version: 7, user: ALICE_NOW });
      expect(opened.key).toBeDefined();
    }
  });

  test('after a master key rotation they still read, with the old master key retired', async () => {
    for (const ports of [mongoPortsOf(shape).ports, await memoryStoreOf(shape)]) {
      const newKey = newMasterKeyText();
      const rotated = parseMasterKeys(`${newKey} ${MASTER_KEY_TEXT}`, 'rotation');
      const { rewrapped } = await rotateMasterKey(ports.dataKeys, rotated);
      expect(rewrapped).toBe(2);
      const newOnly = parseMasterKeys(newKey, 'the new key only');
      await expectReadsAsBefore(shape, ports, newOnly);
      expect((await ports.dataKeys.get([EMAIL_INDEX_OWNER])).size).toBe(1);
    }
  });
});

/**
 * An upgrade: users stored by an earlier release (the oldest fixtures, sealed one value per
 * field) are written to by today's code, and read with a mix of both formats in one history and
 * one snapshot (a name sealed before, an email sealed today).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BSON } from 'mongodb';
import {
  DEFAULT_PARTITIONS,
  evolve,
  initialUserState,
  partitionOf,
  stampEvents,
  type UserEvent,
  type UserState,
} from '@user-service/common/domain';
import { parseMasterKeys, PersonalData, sealAndAppend } from '@user-service/common/personal-data';
import { InMemoryStore } from '@user-service/common/store/memory';
import { COLLECTIONS } from '../../src/store/mongo/schema';
import { asStored, DocumentDb, type StoredDocument } from './fixtures/document-db';
import { mongoAdaptersOver, type Ports } from './fixtures/adapters-over';

const OLDEST = join(__dirname, 'fixtures', 'pd1-per-field');
const ring = parseMasterKeys('Zml4dHVyZS1tYXN0ZXIta2V5LW9mLTMyLWJ5dGVzISE=', 'the fixtures key');
const ALICE = 'fixture-alice';
function mongoPorts(): { ports: Ports; documents: DocumentDb } {
  const text = readFileSync(join(OLDEST, 'mongo-documents.ejson.json'), 'utf8');
  const collections = BSON.EJSON.parse(text, { relaxed: false }) as Record<
    string,
    StoredDocument[]
  >;
  const documents = new DocumentDb();
  for (const name of Object.values(COLLECTIONS))
    documents.collection(name).load((collections[name] ?? []).map(asStored));
  return {
    documents,
    ports: mongoAdaptersOver(documents),
  };
}

async function memoryPorts(): Promise<Ports> {
  const records = JSON.parse(
    readFileSync(join(OLDEST, 'memory-records.json'), 'utf8'),
    (field, value: unknown) =>
      field === 'occurredAt' && typeof value === 'string' ? new Date(value) : value,
  ) as { events: UserEvent[]; dataKeys: Array<{ owner: string; key: never }> };
  const store = new InMemoryStore();
  for (const { owner, key } of records.dataKeys) await store.dataKeys.getOrCreate(owner, key);
  const alice = records.events.filter((event) => event.userId === ALICE);
  await store.events.append(ALICE, 0, alice);
  return store;
}

/** Today's write of Alice's email, and the aggregator's snapshot after it, folded sealed. */
async function changeEmailToday(ports: Ports): Promise<void> {
  const personalData = new PersonalData(ports.dataKeys, ring);
  const stored = await ports.events.readUserEvents(ALICE);
  const events = stampEvents(
    ALICE,
    stored.length,
    [{ type: 'UserUpdated', data: { email: 'alice@today.example' } }],
    {
      newEventId: () => '01941a2b-0000-7000-8000-0000000000aa',
      now: () => new Date('2026-06-01T00:00:00.000Z'),
      partitionOf: (id) => partitionOf(id, DEFAULT_PARTITIONS),
    },
  );
  const storedKey = (await ports.dataKeys.get([ALICE])).get(ALICE) ?? null;
  const key = personalData.keyIn(ALICE, { snapshot: null, events: [], dataKey: storedKey });
  await sealAndAppend(ports.events, personalData, { version: stored.length, key }, events);
  let state: UserState = initialUserState;
  for (const event of await ports.events.readUserEvents(ALICE)) state = evolve(state, event);
  await ports.snapshots.save({
    partitions: [11],
    entries: [{ userId: ALICE, partition: 11, version: state.version, user: state.user }],
    checkpoint: null,
  });
}

const ALICE_TODAY = {
  id: ALICE,
  name: 'Alice Final',
  email: 'alice@today.example',
  group: 9,
};

describe('users stored sealed per field, written to by today’s code', () => {
  test.each([
    ['MongoDB', async () => mongoPorts().ports],
    ['in memory', memoryPorts],
  ])('%s: history and snapshot read, old name and new email together', async (_, portsOf) => {
    const ports = await portsOf();
    await changeEmailToday(ports);
    const personalData = new PersonalData(ports.dataKeys, ring);
    const history = await personalData.openEvents(ALICE, await ports.events.readUserEvents(ALICE));
    expect(history.map(({ data }) => data).slice(-2)).toEqual([
      { name: 'Alice Final' },
      { email: 'alice@today.example' },
    ]);
    const entry = await ports.snapshots.loadUser(ALICE);
    expect(entry && (await personalData.openEntry(entry))).toEqual({
      version: 8,
      user: ALICE_TODAY,
    });
  });

  test('MongoDB keeps the old name as its text and the new email as a record', async () => {
    const { ports, documents } = mongoPorts();
    await changeEmailToday(ports);
    const [user] = documents
      .collection(COLLECTIONS.users)
      .all()
      .filter((doc) => doc._id === ALICE);
    expect(typeof user?.name).toBe('string');
    expect(String(user?.name).startsWith('pd1.')).toBe(true);
    expect(user?.email).toBeInstanceOf(BSON.Binary);
    const event = documents
      .collection(COLLECTIONS.events)
      .all()
      .find((doc) => doc._id === '01941a2b-0000-7000-8000-0000000000aa');
    expect(Object.keys(event?.data as object)).toEqual(['pd']);
  });
});

import { Binary, BSON } from 'mongodb';
import { keyRefOf, sealRecord } from '@user-service/common/personal-data';
import { randomBytes } from 'node:crypto';
import { toEvent, toEventDocument } from '../../../src/store/mongo/event-documents';
import {
  toStoredKey,
  fromStoredKey,
  storedEitherWay,
} from '../../../src/store/mongo/data-key-documents';
import { packSealed, unpackSealed } from '../../../src/store/mongo/sealed-documents';
import { toEntry, toUserDocument } from '../../../src/store/mongo/user-documents';
import type { UserDocument } from '../../../src/store/mongo/schema';
import type { UserEvent } from '@user-service/common/domain';

const key = randomBytes(32);
const ref = keyRefOf('key-1');
const both = sealRecord(key, ref, 'ada', { name: 'Ada', email: 'ada@example.com' });
const nameOnly = sealRecord(key, ref, 'ada', { name: 'Ada L.' });
const emailOnly = sealRecord(key, ref, 'ada', { email: 'ada@lovelace.org' });
const oldName = 'pd1.3f2a9c1e-0000-4000-8000-000000000000.c2VhbGVkIGJlZm9yZQ';

/** As the server keeps it and the driver reads it back. */
const stored = <T extends object>(document: T) => BSON.deserialize(BSON.serialize(document));

describe('sealed records in documents', () => {
  it('stores a record both fields share once, as a binary, and reads both back', () => {
    const packed = packSealed({ name: both, email: both, group: 3 });
    expect(Object.keys(packed)).toEqual(['pd', 'group']);
    expect(packed.pd).toBeInstanceOf(Binary);
    expect(unpackSealed(stored(packed))).toEqual({ name: both, email: both, group: 3 });
  });

  it('stores a record of one field under that field’s own name too, when it is all there is', () => {
    expect(unpackSealed(stored(packSealed({ name: nameOnly })))).toEqual({ name: nameOnly });
    expect(Object.keys(packSealed({ email: emailOnly, group: 1 }))).toEqual(['pd', 'group']);
  });

  it('keeps two records apart when the fields come from different events', () => {
    const packed = packSealed({ name: nameOnly, email: both });
    expect(Object.keys(packed)).toEqual(['name', 'email']);
    expect(unpackSealed(stored(packed))).toEqual({ name: nameOnly, email: both });
    // A two-field record standing for one field only is not shared out to the other.
    expect(unpackSealed(stored(packSealed({ name: both })))).toEqual({ name: both });
  });

  it('leaves text sealed per field (pd1), plain values and other binaries as they are', () => {
    const other = new Binary(Buffer.from('not sealed'));
    const fields = { name: oldName, email: 'pd1.k.eA', group: 2, blob: other };
    expect(packSealed(fields)).toEqual(fields);
    expect(unpackSealed(stored(fields))).toEqual({ ...fields, blob: expect.any(Binary) });
  });
});

describe('event documents with sealed records', () => {
  const event = {
    type: 'UserCreated',
    data: { name: both, email: both, group: 3 },
    eventId: 'e1',
    userId: 'ada',
    version: 1,
    partition: 4,
    occurredAt: new Date('2026-01-01T00:00:00Z'),
    requestId: 'r1',
    schemaVersion: 1,
  } as UserEvent;

  it('round-trips through BSON to the event sealed, the record stored once', () => {
    const document = toEventDocument(event);
    expect(Object.keys(document.data)).toEqual(['pd', 'group']);
    expect(toEvent(stored(document) as typeof document)).toEqual(event);
    expect(BSON.calculateObjectSize(document)).toBeLessThan(
      BSON.calculateObjectSize({ ...document, data: event.data }),
    );
  });
});

describe('Users documents with sealed records', () => {
  const entry = {
    userId: 'ada',
    partition: 4,
    version: 2,
    user: { id: 'ada', name: both, email: both, group: 3 },
  };

  it('round-trip as the entry, one record stored once or two apart, a tombstone without fields', () => {
    expect(toEntry(stored(toUserDocument(entry)) as UserDocument)).toEqual(entry);
    expect(Object.keys(toUserDocument(entry))).toEqual([
      '_id',
      'partition',
      'version',
      'pd',
      'group',
    ]);
    const mixed = { ...entry, user: { ...entry.user, name: nameOnly } };
    expect(toEntry(stored(toUserDocument(mixed)) as UserDocument)).toEqual(mixed);
    const deleted = { ...entry, user: null };
    expect(toUserDocument(deleted)).toEqual({
      _id: 'ada',
      partition: 4,
      version: 2,
      deleted: true,
    });
    expect(toEntry(stored(toUserDocument(deleted)) as UserDocument)).toEqual(deleted);
  });

  it('reads a document stored before records, name and email as text', () => {
    const document = {
      _id: 'ada',
      partition: 4,
      version: 2,
      name: oldName,
      email: oldName,
      group: 3,
    };
    expect(toEntry(document)).toEqual({
      userId: 'ada',
      partition: 4,
      version: 2,
      user: { id: 'ada', name: oldName, email: oldName, group: 3 },
    });
  });
});

describe('DataKeys documents', () => {
  const wrapped = randomBytes(60).toString('base64url');
  const key = { keyId: 'k1', masterKeyId: 'm1', wrapped };

  it('store the wrapped key as a binary of its 60 bytes, and read it back as the same text', () => {
    const fields = toStoredKey(key);
    expect(fields.wrapped).toBeInstanceOf(Binary);
    expect((fields.wrapped as Binary).length()).toBe(60);
    expect(fromStoredKey(stored(fields) as typeof fields)).toEqual(key);
  });

  it('read a key stored as text before as it is, and match it either way for a rewrap', () => {
    expect(fromStoredKey(key)).toEqual(key);
    const condition = storedEitherWay(wrapped);
    expect(condition.$in[0]).toBe(wrapped);
    expect(Buffer.from(condition.$in[1].value()).toString('base64url')).toBe(wrapped);
  });
});

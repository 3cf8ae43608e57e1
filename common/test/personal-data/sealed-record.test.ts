import {
  keyRefOf,
  openRecord,
  recordFields,
  recordKeyRef,
  SEALED_RECORD_OVERHEAD,
  sealedRecordBytes,
  sealedRecordText,
  sealRecord,
} from '@user-service/common/personal-data';
import { randomBytes } from 'node:crypto';

const key = randomBytes(32);
const ref = keyRefOf('key-1');
const NAME = 'Zoë Ådàms 李小龍 🦄';
const EMAIL = 'zoe@example.com';

describe('sealed records', () => {
  it('opens to the very fields it sealed, one or both, unicode included, and shows none of them', () => {
    const both = sealRecord(key, ref, 'zoe', { name: NAME, email: EMAIL });
    expect(openRecord(key, 'zoe', both)).toEqual({ name: NAME, email: EMAIL });
    expect(openRecord(key, 'zoe', sealRecord(key, ref, 'zoe', { name: NAME }))).toEqual({
      name: NAME,
    });
    expect(openRecord(key, 'zoe', sealRecord(key, ref, 'zoe', { email: EMAIL }))).toEqual({
      email: EMAIL,
    });
    expect(both.startsWith('pd2.')).toBe(true);
    // Whole fields only: a random ciphertext contains any given two letters one time in forty.
    const sealed = sealedRecordBytes(both)!;
    for (const field of [NAME, EMAIL, 'Ådàms', 'example.com']) {
      expect(both).not.toContain(field);
      expect(both).not.toContain(Buffer.from(field).toString('base64url'));
      expect(sealed.includes(Buffer.from(field))).toBe(false);
    }
  });

  it('costs 33 bytes over the plaintext, and 2 more for the name length when it holds both', () => {
    const nameBytes = Buffer.byteLength(NAME);
    const emailBytes = Buffer.byteLength(EMAIL);
    const both = sealedRecordBytes(sealRecord(key, ref, 'zoe', { name: NAME, email: EMAIL }));
    const name = sealedRecordBytes(sealRecord(key, ref, 'zoe', { name: NAME }));
    expect(SEALED_RECORD_OVERHEAD).toBe(33);
    expect(both?.length).toBe(33 + 2 + nameBytes + emailBytes);
    expect(name?.length).toBe(33 + nameBytes);
  });

  it('says which fields it holds and which key sealed it, without opening', () => {
    const both = sealRecord(key, ref, 'zoe', { name: NAME, email: EMAIL });
    const email = sealRecord(key, ref, 'zoe', { email: EMAIL });
    expect(recordFields(sealedRecordBytes(both)!)).toEqual(['name', 'email']);
    expect(recordFields(sealedRecordBytes(email)!)).toEqual(['email']);
    expect(recordKeyRef(both)).toBe(ref.toString('hex'));
    expect(recordKeyRef(both)).not.toBe(keyRefOf('key-2').toString('hex'));
    expect(recordKeyRef('Zoë Ådàms')).toBeUndefined();
    expect(recordKeyRef('pd1.key-1.AAAA')).toBeUndefined();
  });

  it('seals the same fields differently each time', () => {
    expect(sealRecord(key, ref, 'zoe', { name: NAME })).not.toBe(
      sealRecord(key, ref, 'zoe', { name: NAME }),
    );
  });

  it('does not open for another user, with another key, or altered anywhere, header included', () => {
    const sealed = sealRecord(key, ref, 'zoe', { name: NAME, email: EMAIL });
    expect(openRecord(key, 'bob', sealed)).toBeUndefined();
    expect(openRecord(randomBytes(32), 'zoe', sealed)).toBeUndefined();
    const bytes = sealedRecordBytes(sealed)!;
    for (const at of [0, 2, 10, 20, 40, bytes.length - 1]) {
      const altered = Buffer.from(bytes);
      // Flipping a field bit keeps the header valid; other flips must fail the tag.
      altered[at] = (altered[at] ?? 0) ^ (at === 0 ? 0x01 : 0x80);
      expect(openRecord(key, 'zoe', sealedRecordText(altered))).toBeUndefined();
    }
  });

  it('reads as a binary holds it, and refuses bytes that are no record', () => {
    const sealed = sealRecord(key, ref, 'zoe', { name: NAME });
    expect(sealedRecordText(sealedRecordBytes(sealed)!)).toBe(sealed);
    expect(() => sealedRecordText(Buffer.alloc(10))).toThrow('not a sealed record');
    expect(() => sealedRecordText(Buffer.alloc(40))).toThrow('not a sealed record');
    expect(sealedRecordBytes('pd2.AAAA')).toBeUndefined();
    expect(() => sealRecord(key, ref, 'zoe', {})).toThrow('at least one field');
  });

  it('reads only the canonical encoding: padding or stray characters make it no record', () => {
    const sealed = sealRecord(key, ref, 'zoe', { name: NAME, email: 'zoe@example.com' });
    const head = 'pd2.'.length;
    for (const variant of [
      `${sealed}==`,
      `${sealed.slice(0, head + 8)}!!!${sealed.slice(head + 8)}`,
      `${sealed} `,
    ]) {
      expect(sealedRecordBytes(variant)).toBeUndefined();
      expect(() => openRecord(key, 'zoe', variant)).toThrow('not a sealed record');
    }
    expect(openRecord(key, 'zoe', sealed)).toEqual({ name: NAME, email: 'zoe@example.com' });
  });
});

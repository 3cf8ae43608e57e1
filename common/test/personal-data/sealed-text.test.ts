import {
  openText,
  SealedValueError,
  sealedKeyId,
  sealText,
} from '@user-service/common/personal-data';
import { createCipheriv, randomBytes } from 'node:crypto';

const key = randomBytes(32);
const NAME = 'Zoë Ådàms 李小龍 🦄';

describe('sealed text', () => {
  it('opens to the very text it sealed, unicode included, and shows none of it', () => {
    const sealed = sealText(key, 'key-1', 'ada.name', NAME);

    expect(openText(key, 'ada.name', sealed)).toBe(NAME);
    // Whole words only: two letters of base64 can be anything, by chance.
    for (const word of NAME.split(' ')) expect(sealed).not.toContain(word);
    expect(sealed.startsWith('pd1.key-1.')).toBe(true);
  });

  it('seals the same text differently each time', () => {
    expect(sealText(key, 'key-1', 'ada.name', NAME)).not.toBe(
      sealText(key, 'key-1', 'ada.name', NAME),
    );
  });

  it('a value moved to another user or another field does not open', () => {
    const sealed = sealText(key, 'key-1', 'ada.name', NAME);

    expect(() => openText(key, 'bob.name', sealed)).toThrow();
    expect(() => openText(key, 'ada.email', sealed)).toThrow();
  });

  it('a tampered or cut value, or the wrong key, does not open', () => {
    const sealed = sealText(key, 'key-1', 'ada.name', NAME);
    const middle = Math.floor((sealed.length + 'pd1.key-1.'.length) / 2);
    const flipped = (at: number) =>
      `${sealed.slice(0, at)}${sealed[at] === 'A' ? 'B' : 'A'}${sealed.slice(at + 1)}`;

    expect(() => openText(key, 'ada.name', sealed.slice(0, -4))).toThrow();
    expect(() => openText(key, 'ada.name', flipped(middle))).toThrow();
    expect(() => openText(key, 'ada.name', flipped('pd1.key-1.'.length))).toThrow();
    expect(() => openText(randomBytes(32), 'ada.name', sealed)).toThrow();
  });

  it('takes only a whole 16-byte tag: a value forged with a 4-byte one does not open', () => {
    // Empty plaintext, a 4-byte tag made with the right key: node alone would accept it.
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: 4 });
    cipher.setAAD(Buffer.from('ada.name', 'utf8'));
    cipher.final();
    const forged = `pd1.key-1.${Buffer.concat([iv, cipher.getAuthTag()]).toString('base64url')}`;

    expect(() => openText(key, 'ada.name', forged)).toThrow(SealedValueError);
  });

  it('takes only the canonical encoding: padding, stray characters or stray bits do not open', () => {
    const sealed = sealText(key, 'key-1', 'ada.name', NAME);
    const head = 'pd1.key-1.'.length;
    // Its bytes are not a multiple of 3 long, so the last character's lowest bit is past their end.
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = ALPHABET.indexOf(sealed.at(-1) ?? '');
    const strayBits = `${sealed.slice(0, -1)}${ALPHABET[last ^ 1] ?? ''}`;
    const bytesOf = (text: string) => Buffer.from(text.slice(head), 'base64url');
    expect(bytesOf(strayBits).equals(bytesOf(sealed))).toBe(true);

    for (const variant of [
      `${sealed}==`,
      `${sealed.slice(0, head + 4)}!!!${sealed.slice(head + 4)}`,
      `${sealed.slice(0, head)}${bytesOf(sealed).toString('base64')}`,
      strayBits,
    ])
      expect(() => openText(key, 'ada.name', variant)).toThrow(SealedValueError);
    expect(openText(key, 'ada.name', sealed)).toBe(NAME);
  });

  it('sealedKeyId names the key a value was sealed with, and nothing for plain text', () => {
    expect(sealedKeyId(sealText(key, 'a1b2-c3', 'ada.email', 'ada@example.com'))).toBe('a1b2-c3');
    expect(sealedKeyId('Ada Lovelace')).toBeUndefined();
    expect(sealedKeyId('ada.lovelace@example.com')).toBeUndefined();
    expect(sealedKeyId('pd1.no-second-dot')).toBeUndefined();
  });
});

import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import type { PersonalField } from '../domain';
import { randomBytesPooled } from './random-pool';
import { strictBase64url } from './strict-base64url';

/**
 * A user's personal fields sealed together with AES-256-GCM, as one value:
 * `pd2.<base64url of: header (1 byte), key ref (4), IV (12), tag (16), ciphertext>`.
 *
 * One value per record rather than one per field (`pd1.`, sealed-text.ts, still read): a user's
 * name and email cost one IV, one tag and one key reference instead of two, and one cipher run.
 * The header says which fields the value holds (so that an event's value is known to be a name
 * change without opening it); the key ref (4 bytes of a hash of the key's id) says which data key
 * sealed it, so that a value of a destroyed key is known to be erased without trying. Both are
 * authenticated with the user id: a value copied to another user, or altered, does not open.
 *
 * In a MongoDB document the same bytes are stored as a binary (store/mongo/sealed-documents.ts),
 * a third smaller than their base64 text.
 */
export const SEALED_RECORD_PREFIX = 'pd2.';

const VERSION = 0x20;
const FIELD_BITS: Readonly<Record<PersonalField, number>> = { name: 1, email: 2 };
const REF_BYTES = 4;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const HEADER_BYTES = 1 + REF_BYTES;
/** Bytes of a sealed record besides its plaintext. */
export const SEALED_RECORD_OVERHEAD = HEADER_BYTES + IV_BYTES + TAG_BYTES;
/** The name's byte length, ahead of it, when a record holds both fields. */
const NAME_LENGTH_BYTES = 2;

export type PersonalFields = { readonly [K in PersonalField]?: string };

/** What names a data key inside the values it sealed: 4 bytes of a hash of its id. */
export function keyRefOf(keyId: string): Buffer {
  return createHash('sha256')
    .update('user-service data key ref\0')
    .update(keyId)
    .digest()
    .subarray(0, REF_BYTES);
}

/** Seals the fields given (one or both), as one value. */
export function sealRecord(
  key: Buffer,
  keyRef: Buffer,
  userId: string,
  fields: PersonalFields,
): string {
  const { name, email } = fields;
  let bits: number;
  let plaintext: Buffer;
  if (name !== undefined && email !== undefined) {
    bits = FIELD_BITS.name | FIELD_BITS.email;
    const nameBytes = Buffer.from(name, 'utf8');
    const length = Buffer.alloc(NAME_LENGTH_BYTES);
    length.writeUInt16BE(nameBytes.length);
    plaintext = Buffer.concat([length, nameBytes, Buffer.from(email, 'utf8')]);
  } else if (name !== undefined || email !== undefined) {
    bits = name !== undefined ? FIELD_BITS.name : FIELD_BITS.email;
    plaintext = Buffer.from(name ?? email ?? '', 'utf8');
  } else {
    throw new Error('a sealed record holds at least one field');
  }
  const header = Buffer.concat([Buffer.of(VERSION | bits), keyRef.subarray(0, REF_BYTES)]);
  const iv = randomBytesPooled(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(aadOf(userId, header));
  const sealed = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const bytes = Buffer.concat([header, iv, cipher.getAuthTag(), sealed]);
  return `${SEALED_RECORD_PREFIX}${bytes.toString('base64url')}`;
}

/** The bytes of a sealed record's text; undefined when `text` is not one. */
export function sealedRecordBytes(text: string): Buffer | undefined {
  if (!text.startsWith(SEALED_RECORD_PREFIX)) return undefined;
  const bytes = strictBase64url(text.slice(SEALED_RECORD_PREFIX.length));
  return bytes && isSealedRecord(bytes) ? bytes : undefined;
}

/** A sealed record's text from its bytes (as a MongoDB binary holds them). */
export function sealedRecordText(bytes: Uint8Array): string {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (!isSealedRecord(buffer)) throw new Error('not a sealed record');
  return `${SEALED_RECORD_PREFIX}${buffer.toString('base64url')}`;
}

/** Which fields the record holds, read off its header. */
export function recordFields(bytes: Buffer): PersonalField[] {
  const bits = (bytes[0] ?? 0) & 0x0f;
  return (Object.keys(FIELD_BITS) as PersonalField[]).filter(
    (field) => (bits & FIELD_BITS[field]) !== 0,
  );
}

/** Characters of base64 that hold the header (8 hold 6 bytes): all a key check decodes. */
const HEADER_CHARS = 8;

/**
 * The key ref inside a sealed record's text, in hex; undefined when it is not one. Decodes the
 * header alone: every read checks the key of every value it opens.
 */
export function recordKeyRef(text: string): string | undefined {
  if (!text.startsWith(SEALED_RECORD_PREFIX)) return undefined;
  const start = SEALED_RECORD_PREFIX.length;
  const head = Buffer.from(text.slice(start, start + HEADER_CHARS), 'base64url');
  if (head.length < HEADER_BYTES || !isHeader(head[0] ?? 0)) return undefined;
  return head.subarray(1, HEADER_BYTES).toString('hex');
}

/**
 * The fields, or undefined when the record does not open with `key`: sealed with another key
 * whose ref is the same (one chance in 2^32), which can only be a destroyed one. Throws when it
 * is not a sealed record at all.
 */
export function openRecord(key: Buffer, userId: string, text: string): PersonalFields | undefined {
  const bytes = sealedRecordBytes(text);
  if (!bytes) throw new Error('not a sealed record');
  const header = bytes.subarray(0, HEADER_BYTES);
  const decipher = createDecipheriv(
    'aes-256-gcm',
    key,
    bytes.subarray(HEADER_BYTES, HEADER_BYTES + IV_BYTES),
    // Only a whole tag: node would take 4 to 16 bytes, and a short one is easier to forge.
    { authTagLength: TAG_BYTES },
  );
  decipher.setAAD(aadOf(userId, header));
  decipher.setAuthTag(bytes.subarray(HEADER_BYTES + IV_BYTES, SEALED_RECORD_OVERHEAD));
  let plaintext: Buffer;
  try {
    plaintext = decipher.update(bytes.subarray(SEALED_RECORD_OVERHEAD));
    // GCM is a stream mode: final checks the tag (throwing when it does not match) and, in
    // practice, gives no bytes; a copy is made only if it ever does.
    const rest = decipher.final();
    if (rest.length > 0) plaintext = Buffer.concat([plaintext, rest]);
  } catch {
    return undefined;
  }
  // A history page opens a thousand of these, hence bit tests rather than recordFields' list.
  const bits = (bytes[0] ?? 0) & 0x0f;
  if (bits === (FIELD_BITS.name | FIELD_BITS.email)) {
    const nameEnd = NAME_LENGTH_BYTES + plaintext.readUInt16BE(0);
    return {
      name: plaintext.toString('utf8', NAME_LENGTH_BYTES, nameEnd),
      email: plaintext.toString('utf8', nameEnd),
    };
  }
  const value = plaintext.toString('utf8');
  return bits === FIELD_BITS.name ? { name: value } : { email: value };
}

function isSealedRecord(bytes: Buffer): boolean {
  return bytes.length >= SEALED_RECORD_OVERHEAD && isHeader(bytes[0] ?? 0);
}

/** This version, and one field or both. */
function isHeader(header: number): boolean {
  const bits = header & 0x0f;
  return (header & 0xf0) === VERSION && bits >= 1 && bits <= (FIELD_BITS.name | FIELD_BITS.email);
}

function aadOf(userId: string, header: Buffer): Buffer {
  return Buffer.concat([Buffer.from(`${userId}\0`, 'utf8'), header]);
}

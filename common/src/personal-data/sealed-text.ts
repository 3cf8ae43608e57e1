import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomBytesPooled } from './random-pool';
import { strictBase64url } from './strict-base64url';

/**
 * One personal value sealed with AES-256-GCM: `pd1.<keyId>.<iv, tag and ciphertext in base64url>`.
 * The key id says which data key opens it, so a value sealed with a destroyed key is known to be
 * erased without trying. The context (user and field) is authenticated with it: a sealed value
 * copied to another user or field does not open.
 */
const PREFIX = 'pd1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** `pd1.`, a key id (a UUID, or 12 characters of base64url), `.`, then base64url. */
const LAYOUT = /^pd1\.([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]+)$/;

/** A sealed value that cannot be opened with the key that sealed it: altered, or not one at all. */
export class SealedValueError extends Error {
  override name = 'SealedValueError';
}

export function sealText(key: Buffer, keyId: string, context: string, plaintext: string): string {
  const iv = randomBytesPooled(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const sealed = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  const packed = Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url');
  return `${PREFIX}${keyId}.${packed}`;
}

/** The id of the key that sealed `text`; undefined when it is not sealed text. */
export function sealedKeyId(text: string): string | undefined {
  if (!text.startsWith(PREFIX)) return undefined;
  const end = text.indexOf('.', PREFIX.length);
  return end < 0 ? undefined : text.slice(PREFIX.length, end);
}

/**
 * The plaintext. Throws SealedValueError if the key or context is not the one it was sealed with,
 * or it was altered: any tag but a whole 16-byte one, and any encoding but the canonical one.
 */
export function openText(key: Buffer, context: string, text: string): string {
  const encoded = LAYOUT.exec(text)?.[2];
  const packed = encoded === undefined ? undefined : strictBase64url(encoded);
  if (!packed || packed.length < IV_BYTES + TAG_BYTES)
    throw new SealedValueError('not a sealed value');
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, packed.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([
      decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)),
      decipher.final(),
    ]).toString('utf8');
  } catch (error) {
    throw new SealedValueError('the sealed value does not open with its key', { cause: error });
  }
}

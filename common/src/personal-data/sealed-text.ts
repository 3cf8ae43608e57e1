import { createCipheriv, createDecipheriv } from 'node:crypto';
import { randomBytesPooled } from './random-pool';

/**
 * One personal value sealed with AES-256-GCM: `pd1.<keyId>.<iv, tag and ciphertext in base64url>`.
 * The key id says which data key opens it, so a value sealed with a destroyed key is known to be
 * erased without trying. The context (user and field) is authenticated with it: a sealed value
 * copied to another user or field does not open.
 */
const PREFIX = 'pd1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;

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

/** The plaintext; throws if the key or context is not the one it was sealed with, or it was altered. */
export function openText(key: Buffer, context: string, text: string): string {
  const packed = Buffer.from(text.slice(text.indexOf('.', PREFIX.length) + 1), 'base64url');
  const decipher = createDecipheriv('aes-256-gcm', key, packed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, 'utf8'));
  decipher.setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
  return Buffer.concat([
    decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)),
    decipher.final(),
  ]).toString('utf8');
}

import { createCipheriv, createDecipheriv } from 'node:crypto';
import type { WrappedDataKey } from '../store/data-key-store';
import { KEY_BYTES, MasterKeyError, type MasterKey, type MasterKeyring } from './master-keys';
import { newKeyBytes, ownKeyBytes } from './key-bytes';
import { randomBytesPooled } from './random-pool';
import { strictBase64url } from './strict-base64url';

const IV_BYTES = 12;
const TAG_BYTES = 16;

/**
 * Random bytes in a key id: it tells one key of an owner from the next (after an erasure and a
 * re-create), and 72 bits do that as well as a UUID's 122, in 12 characters stored instead of 36.
 * Keys made before it was shortened keep their UUIDs: an id is only ever compared.
 */
const KEY_ID_BYTES = 9;

/** A new random data key for `owner`, and the same wrapped by the current master key. */
export function newDataKey(
  ring: MasterKeyring,
  owner: string,
): { key: Buffer; wrapped: WrappedDataKey } {
  const key = newKeyBytes(KEY_BYTES);
  const keyId = randomBytesPooled(KEY_ID_BYTES).toString('base64url');
  return { key, wrapped: wrap(ring.current, owner, keyId, key) };
}

/** The data key, unwrapped by the master key that wrapped it; MasterKeyError if the ring lacks it. */
export function unwrapDataKey(ring: MasterKeyring, owner: string, wrapped: WrappedDataKey): Buffer {
  const master = ring.byId.get(wrapped.masterKeyId);
  if (!master)
    throw new MasterKeyError(
      `the data key of ${owner} is wrapped by master key ${wrapped.masterKeyId}, which this process does not hold`,
      owner,
    );
  const fails = () =>
    new MasterKeyError(
      `the data key of ${owner} does not open with master key ${master.id}`,
      owner,
    );
  // Exactly an IV, a whole tag and a key: anything else was altered, or is not a wrapped key.
  const packed = strictBase64url(wrapped.wrapped);
  if (packed?.length !== IV_BYTES + TAG_BYTES + KEY_BYTES) throw fails();
  try {
    const decipher = createDecipheriv('aes-256-gcm', master.key, packed.subarray(0, IV_BYTES), {
      authTagLength: TAG_BYTES,
    });
    decipher.setAAD(context(owner, wrapped.keyId));
    decipher.setAuthTag(packed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return ownKeyBytes(decipher.update(packed.subarray(IV_BYTES + TAG_BYTES)), decipher.final());
  } catch {
    throw fails();
  }
}

/** The same data key (same keyId), wrapped by the ring's current master key. */
export function rewrapDataKey(
  ring: MasterKeyring,
  owner: string,
  wrapped: WrappedDataKey,
): WrappedDataKey {
  return wrap(ring.current, owner, wrapped.keyId, unwrapDataKey(ring, owner, wrapped));
}

// The owner and key id are authenticated with the key, so a wrapped key cannot be moved to another owner.
function wrap(master: MasterKey, owner: string, keyId: string, key: Buffer): WrappedDataKey {
  const iv = randomBytesPooled(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', master.key, iv);
  cipher.setAAD(context(owner, keyId));
  const sealed = Buffer.concat([cipher.update(key), cipher.final()]);
  return {
    keyId,
    masterKeyId: master.id,
    wrapped: Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url'),
  };
}

function context(owner: string, keyId: string): Buffer {
  return Buffer.from(`${owner}\0${keyId}`, 'utf8');
}

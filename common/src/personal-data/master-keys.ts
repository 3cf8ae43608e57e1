import { createHash, randomBytes } from 'node:crypto';
import { ownKeyBytes } from './key-bytes';

/** AES-256: master keys and data keys are 32 random bytes. */
export const KEY_BYTES = 32;

export interface MasterKey {
  /** A fingerprint naming the key in the data keys it wraps; it reveals nothing of the key. */
  readonly id: string;
  readonly key: Buffer;
}

/**
 * The master keys a process holds: the first wraps new data keys, and each of them unwraps the
 * data keys it wrapped. Holding the old key after the new one is what lets the master key be
 * rotated while the system serves (see rotate-master-key.ts).
 */
export interface MasterKeyring {
  readonly current: MasterKey;
  readonly byId: ReadonlyMap<string, MasterKey>;
}

/** The master key is missing, malformed, or not the one a data key was wrapped with. */
export class MasterKeyError extends Error {
  override name = 'MasterKeyError';

  /** @param owner whose data key would not unwrap, when it is one (a user id, or `$…`) */
  constructor(
    message: string,
    readonly owner?: string,
  ) {
    super(message);
  }
}

/** A new master key, as `DATA_KEY` takes it: 32 random bytes in base64. */
export function newMasterKeyText(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

/**
 * Reads master keys from text: base64 keys of 32 bytes separated by commas, spaces or newlines,
 * the current one first. `source` names where the text came from, for the error.
 */
export function parseMasterKeys(text: string, source: string): MasterKeyring {
  const keys = text
    .split(/[\s,]+/)
    .filter((part) => part !== '')
    .map((part, index) => {
      // In memory of its own, not a slice of a slab other allocations share.
      const key = ownKeyBytes(Buffer.from(part, 'base64'));
      if (key.length !== KEY_BYTES || key.toString('base64') !== part)
        throw new MasterKeyError(
          `${source}: key ${index + 1} is not ${KEY_BYTES} bytes in base64 (make one with: openssl rand -base64 32)`,
        );
      return { id: masterKeyIdOf(key), key };
    });
  const [current] = keys;
  if (!current) throw new MasterKeyError(`${source} holds no key`);
  return { current, byId: new Map(keys.map((key) => [key.id, key])) };
}

/** A keyring of one new random key: for a store that lives and dies with its process. */
export function ephemeralMasterKeys(): MasterKeyring {
  return parseMasterKeys(newMasterKeyText(), 'a new key');
}

function masterKeyIdOf(key: Buffer): string {
  return createHash('sha256')
    .update('user-service master key id\0')
    .update(key)
    .digest('hex')
    .slice(0, 16);
}

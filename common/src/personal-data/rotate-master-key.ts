import type { DataKeyStore } from '../store/data-key-store';
import { rewrapDataKey } from './data-key-wrapping';
import type { MasterKeyring } from './master-keys';

export interface RotateOptions {
  /** How many keys to read at a time; 500 when absent. */
  readonly pageSize?: number;
  /** Called after each page with how many keys were rewrapped so far. */
  readonly onProgress?: (rewrapped: number) => void;
}

export interface RotationResult {
  /** Keys now wrapped by the ring's current master key that were not before. */
  readonly rewrapped: number;
  /** Keys that changed while they were being rewrapped: destroyed by an erasure, or rewrapped by another run. */
  readonly skipped: number;
}

const DEFAULT_PAGE_SIZE = 500;

/**
 * Wraps every data key again with the ring's current master key, so that the older master keys
 * can be retired. The data keys themselves stay the same, so nothing sealed with them (events,
 * snapshots, remembered responses, backups) is touched, and the system may serve meanwhile.
 *
 * Run it once every process holds the new key first and the old ones after it: until then a
 * process holding only the old key could create keys this run does not see. Running it again
 * rewraps only what is still under another master key, so a second run is a no-op.
 *
 * Throws MasterKeyError, naming the master key id (never a key), when the ring cannot unwrap a
 * key: the old master key must stay in the ring for the rotation.
 */
export async function rotateMasterKey(
  dataKeys: DataKeyStore,
  ring: MasterKeyring,
  options: RotateOptions = {},
): Promise<RotationResult> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  if (!Number.isSafeInteger(pageSize) || pageSize < 1)
    throw new Error(`pageSize must be a positive integer, got ${pageSize}`);
  let rewrapped = 0;
  let skipped = 0;
  let after: string | undefined;
  for (;;) {
    const page = await dataKeys.wrappedOtherwise(ring.current.id, after, pageSize);
    for (const { owner, key } of page) {
      const replaced = await dataKeys.rewrap(owner, key, rewrapDataKey(ring, owner, key));
      if (replaced) rewrapped++;
      else skipped++;
    }
    options.onProgress?.(rewrapped);
    const last = page.at(-1);
    if (page.length < pageSize || last === undefined) return { rewrapped, skipped };
    after = last.owner;
  }
}

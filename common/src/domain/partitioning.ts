/**
 * Maps user ids onto virtual partitions and partitions onto aggregators. Every process must
 * compute the same answer for the same id forever, because the partition is stored in each
 * event: the hash is FNV-1a (32 bit) over the id's UTF-8 bytes, pinned by tests.
 */
export const DEFAULT_PARTITIONS = 12;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const utf8 = new TextEncoder();

export function fnv1a32(text: string): number {
  // An ASCII id is its own UTF-8: hashed from its char codes, with no bytes made (every read
  // hashes its id, in the gateway and again in the aggregator).
  let hash = FNV_OFFSET_BASIS;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code >= 0x80) return fnv1a32OfBytes(utf8.encode(text));
    hash ^= code;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash;
}

function fnv1a32OfBytes(bytes: Uint8Array): number {
  let hash = FNV_OFFSET_BASIS;
  for (const byte of bytes) {
    hash ^= byte;
    hash = Math.imul(hash, FNV_PRIME) >>> 0;
  }
  return hash;
}

export function partitionOf(userId: string, partitions: number): number {
  return fnv1a32(userId) % partitions;
}

export function aggregatorOf(partition: number, aggregatorCount: number): number {
  return partition % aggregatorCount;
}

export function partitionsOwnedBy(
  aggregatorIndex: number,
  aggregatorCount: number,
  partitions: number,
): number[] {
  const owned: number[] = [];
  for (let partition = 0; partition < partitions; partition++) {
    if (aggregatorOf(partition, aggregatorCount) === aggregatorIndex) owned.push(partition);
  }
  return owned;
}

import { aggregatorOf, fnv1a32, partitionOf, partitionsOwnedBy } from '@user-service/common/domain';
import fc from 'fast-check';

describe('partitioning', () => {
  it('is standard 32-bit FNV-1a, so any other implementation can reproduce it', () => {
    expect(fnv1a32('')).toBe(0x811c9dc5);
    expect(fnv1a32('a')).toBe(0xe40c292c);
    expect(fnv1a32('foobar')).toBe(0xbf9cf968);
  });

  // Stored events carry their partition: if these ever change, existing data is misrouted.
  it.each([
    ['13AE742', 10],
    ['alice', 11],
    ['bob', 8],
    ['0', 3],
    ['user-1', 4],
    ['f47ac10b-58cc-4372-a567-0e02b2c3d479', 4],
    ['Ünïcødé', 0],
  ])('pins %j to partition %i of 12', (userId, partition) => {
    expect(partitionOf(userId, 12)).toBe(partition);
  });

  it('gives each partition to exactly one aggregator, for any counts', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 64 }),
        fc.integer({ min: 1, max: 64 }),
        (partitions, extra) => {
          const aggregators = Math.min(partitions, extra);
          const owned = Array.from({ length: aggregators }, (_, index) =>
            partitionsOwnedBy(index, aggregators, partitions),
          );
          expect(owned.flat().sort((a, b) => a - b)).toEqual(
            Array.from({ length: partitions }, (_, p) => p),
          );
          owned.forEach((mine, index) => {
            expect(mine.length).toBeGreaterThan(0);
            for (const partition of mine) expect(aggregatorOf(partition, aggregators)).toBe(index);
          });
        },
      ),
    );
  });

  it('owns partitions p % AGG_N == index', () => {
    expect(partitionsOwnedBy(0, 3, 12)).toEqual([0, 3, 6, 9]);
    expect(partitionsOwnedBy(2, 3, 12)).toEqual([2, 5, 8, 11]);
  });
});

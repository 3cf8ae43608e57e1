import { randomBytesPooled } from '../../src/personal-data/random-pool';

describe('randomBytesPooled', () => {
  it('never hands out the same bytes twice, and a refill does not change what was handed out', () => {
    const first = randomBytesPooled(12);
    const firstAsDrawn = first.toString('hex');
    // 2,000 IVs of 12 bytes: the 4 KiB pool is refilled five times meanwhile.
    const drawn = [first, ...Array.from({ length: 2000 }, () => randomBytesPooled(12))];

    expect(new Set(drawn.map((bytes) => bytes.toString('hex'))).size).toBe(2001);
    expect(first.toString('hex')).toBe(firstAsDrawn);
    expect(drawn.every((bytes) => bytes.length === 12)).toBe(true);
  });

  it('refuses more than the pool holds', () => {
    expect(() => randomBytesPooled(4097)).toThrow('at most 4096');
  });
});

import { Timestamp } from 'mongodb';
import { decodePosition, encodePosition } from '../../../src/store/mongo/commit-position';
import { compareTimes } from '../../../src/store/mongo/mongo-checkpoint';

const time = (t: number, i: number) => new Timestamp({ t, i });

describe('MongoDB commit position', () => {
  it('writes a cluster time as <seconds>.<increment> in decimal, URL-safe', () => {
    expect(encodePosition(time(1_780_000_000, 3))).toBe('1780000000.3');
    expect(encodePosition(time(0, 0))).toBe('0.0');
    expect(encodePosition(time(0xffffffff, 0xffffffff))).toBe('4294967295.4294967295');
  });

  it.each([
    [0, 0],
    [1, 0],
    [1_780_000_000, 42],
    [0xffffffff, 0xffffffff],
  ])('reads back what it wrote: %d.%d', (t, i) => {
    expect(decodePosition(encodePosition(time(t, i)))).toEqual(time(t, i));
  });

  it('keeps the order of cluster times, by seconds then increment', () => {
    const ordered = [time(5, 9), time(6, 0), time(6, 1), time(10, 0)].map(encodePosition);
    for (let n = 1; n < ordered.length; n++) {
      expect(
        compareTimes(decodePosition(ordered[n - 1]!), decodePosition(ordered[n]!)),
      ).toBeLessThan(0);
    }
  });

  it.each([
    '',
    '12',
    '1.2.3',
    '.1',
    '1.',
    '-1.0',
    '1.-1',
    '01.2',
    '1.02',
    '1.2 ',
    ' 1.2',
    '1e3.0',
    '0x10.0',
    '1,2',
    '4294967296.0',
    '0.4294967296',
    '99999999999.0',
  ])('refuses %j with a plain Error', (text) => {
    expect(() => decodePosition(text)).toThrow(/not a commit position of the MongoDB store/);
  });
});

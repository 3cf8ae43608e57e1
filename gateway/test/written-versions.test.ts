import { WrittenVersions } from '../src/written-versions';

describe('written versions', () => {
  it('remembers the last version written per user', () => {
    const written = new WrittenVersions();
    written.record('a', 1);
    written.record('a', 3);
    expect(written.get('a')).toBe(3);
    expect(written.get('b')).toBe(0);
  });

  it('forgets the least recently written users beyond its capacity', () => {
    const written = new WrittenVersions(2);
    written.record('a', 1);
    written.record('b', 1);
    written.record('a', 2);
    written.record('c', 1);
    expect([written.get('a'), written.get('b'), written.get('c')]).toEqual([2, 0, 1]);
  });
});

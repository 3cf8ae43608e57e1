import { WrittenVersions } from '../src/written-versions';

describe('written versions', () => {
  it('remembers the last write per user', () => {
    const written = new WrittenVersions();
    written.record('a', { version: 1, deleted: false });
    written.record('a', { version: 3, deleted: true });
    expect(written.get('a')).toEqual({ version: 3, deleted: true });
    expect(written.get('b')).toEqual({ version: 0, deleted: false });
  });

  it('forgets the least recently written users beyond its capacity', () => {
    const written = new WrittenVersions(2);
    written.record('a', { version: 1, deleted: false });
    written.record('b', { version: 1, deleted: false });
    written.record('a', { version: 2, deleted: false });
    written.record('c', { version: 1, deleted: false });
    expect([written.get('a').version, written.get('b').version, written.get('c').version]).toEqual([
      2, 0, 1,
    ]);
  });
});

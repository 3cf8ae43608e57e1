import { SortedIds } from '@user-service/common/store';

/** A set holding `ids`, added one batch after another, each batch in the order given. */
function idsAddedIn(...batches: string[][]): SortedIds {
  const ids = new SortedIds();
  for (const batch of batches) {
    for (const id of batch) ids.add(id);
    ids.page(undefined, 0); // the order is needed: the batch is merged in
  }
  return ids;
}

describe('SortedIds', () => {
  it('pages ids in UTF-16 order, as `<` compares them, whatever order they were added in', () => {
    const ids = idsAddedIn(['b', 'a', 'B', '_', 'a1', '0']);
    expect(ids.page(undefined, 10)).toEqual(['0', 'B', '_', 'a', 'a1', 'b']);
    expect(ids.size).toBe(6);
  });

  it('merges a new batch among the ids already in order', () => {
    const ids = idsAddedIn(['d', 'b', 'f'], ['e', 'a', 'c', 'g']);
    expect(ids.page(undefined, 10)).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g']);
  });

  it('counts ids still waiting to be merged', () => {
    const ids = idsAddedIn(['a', 'b']);
    ids.add('c');
    expect(ids.size).toBe(3);
  });

  it('gives up to `limit` ids after `after`, whether or not `after` is one of them', () => {
    const ids = idsAddedIn(['a', 'c', 'e', 'g']);
    expect(ids.page('c', 2)).toEqual(['e', 'g']);
    expect(ids.page('b', 2)).toEqual(['c', 'e']);
    expect(ids.page('g', 2)).toEqual([]);
    expect(ids.page('0', 1)).toEqual(['a']);
  });

  it('deletes an id, merged or still waiting, and ignores one it does not hold', () => {
    const ids = idsAddedIn(['a', 'b', 'c', 'd']);
    ids.add('e');
    ids.delete('b');
    ids.delete('e');
    ids.delete('bb');
    ids.delete('z');
    expect(ids.page(undefined, 10)).toEqual(['a', 'c', 'd']);
    expect(ids.size).toBe(3);
    ids.delete('a');
    ids.delete('d');
    expect(ids.page(undefined, 10)).toEqual(['c']);
  });
});

import { canonicalPreconditions, parseTagCondition } from '../src/preconditions';

describe('If-Match and If-None-Match as RFC 9110 writes them', () => {
  it.each([
    ['*', { kind: 'any' }],
    [' * ', { kind: 'any' }],
    ['"3"', { kind: 'tags', tags: [{ weak: false, opaque: '3' }] }],
    ['W/"3"', { kind: 'tags', tags: [{ weak: true, opaque: '3' }] }],
    // An opaque tag may hold commas and obs-text: the list is not split on commas first.
    [
      '"a,b", W/"é"',
      {
        kind: 'tags',
        tags: [
          { weak: false, opaque: 'a,b' },
          { weak: true, opaque: 'é' },
        ],
      },
    ],
    [
      ', "1" ,,\t"2",',
      {
        kind: 'tags',
        tags: [
          { weak: false, opaque: '1' },
          { weak: false, opaque: '2' },
        ],
      },
    ],
    ['', { kind: 'tags', tags: [] }],
  ])('parses %j', (value, parsed) => {
    expect(parseTagCondition(value)).toEqual(parsed);
  });

  it.each(['3', 'w/"3"', '"3" "4"', '"3', '*, "3"', '"a b"', '"3";x', 'W/ "3"'])(
    'refuses %j as malformed',
    (value) => {
      expect(parseTagCondition(value)).toBeUndefined();
    },
  );

  it('writes the same condition the same way however it was spelled, for the idempotency fingerprint', () => {
    const lines = (ifMatch?: string, ifNoneMatch?: string) =>
      canonicalPreconditions({
        ...(ifMatch === undefined ? {} : { ifMatch: parseTagCondition(ifMatch)! }),
        ...(ifNoneMatch === undefined ? {} : { ifNoneMatch: parseTagCondition(ifNoneMatch)! }),
      });
    expect(lines('"2", W/"1"', '*')).toEqual(['If-Match: "2", W/"1"', 'If-None-Match: *']);
    expect(lines(' W/"1" ,"2", "2"')).toEqual(lines('"2", W/"1"'));
    expect(lines('"1"')).not.toEqual(lines('W/"1"'));
    expect(lines()).toEqual([]);
  });
});

import { HttpProblem } from '@user-service/common/http';
import { InMemoryStore } from '@user-service/common/store/memory';
import fc from 'fast-check';
import { ConsistencyTokens } from '../src/consistency-tokens';

const store = new InMemoryStore();
const compare = (a: string, b: string) => store.events.comparePositions(a, b);
const here = { partitions: 12, storeId: '1b0c6c55-3c1e-4c69-9d0e-2a4f7a3c9d11' };
const tokens = new ConsistencyTokens(() => here, compare);

/** The problem type a header is refused with, or `accepted`. */
function readingOf(header: string): string {
  try {
    tokens.read(header);
    return 'accepted';
  } catch (error) {
    if (error instanceof HttpProblem) return error.type;
    throw error;
  }
}

const bodyToken = (body: unknown) =>
  `ct1.${Buffer.from(JSON.stringify(body)).toString('base64url')}`;

describe('consistency tokens', () => {
  it('carry, per partition written, the position of the client’s latest write there', () => {
    const first = tokens.write(new Map(), 3, '17');
    const second = tokens.write(tokens.read(first), 5, '20');
    expect(tokens.read(second)).toEqual(
      new Map([
        [3, '17'],
        [5, '20'],
      ]),
    );
  });

  it('keep the later position when a partition is written again, whichever comes back first', () => {
    const later = tokens.write(new Map([[3, '30']]), 3, '17');
    expect(tokens.read(later)).toEqual(new Map([[3, '30']]));
    expect(tokens.read(tokens.write(new Map([[3, '17']]), 3, '30'))).toEqual(new Map([[3, '30']]));
  });

  it('read as nothing to wait for when none is sent', () => {
    expect(tokens.read(undefined)).toEqual(new Map());
  });

  it('refuse a token of another deployment as foreign', () => {
    const elsewhere = new ConsistencyTokens(
      () => ({ ...here, storeId: '00000000-0000-4000-8000-000000000000' }),
      compare,
    );
    expect(readingOf(elsewhere.write(new Map(), 1, '5'))).toBe(
      '/problems/foreign-consistency-token',
    );
  });

  it.each([
    ['empty', ''],
    ['without its version', 'eyJzIjoiYSJ9'],
    ['of another version', 'ct2.e30'],
    ['not base64url', 'ct1.@@@'],
    ['padded base64', `${bodyToken({ s: here.storeId, p: [] })}=`],
    ['not JSON', `ct1.${Buffer.from('{').toString('base64url')}`],
    ['without positions', bodyToken({ s: here.storeId })],
    ['a partition past the count', bodyToken({ s: here.storeId, p: [[12, '1']] })],
    [
      'a partition twice',
      bodyToken({
        s: here.storeId,
        p: [
          [1, '1'],
          [1, '2'],
        ],
      }),
    ],
    ['a negative partition', bodyToken({ s: here.storeId, p: [[-1, '1']] })],
    ['a position this store cannot have made', bodyToken({ s: here.storeId, p: [[1, 'x']] })],
    ['far too long', `ct1.${'A'.repeat(9000)}`],
  ])('refuse a token that is %s as invalid', (_, header) => {
    expect(readingOf(header)).toBe('/problems/invalid-consistency-token');
  });

  it('answer any header either with positions or a 400, never anything else', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (header) => {
        expect(['accepted', '/problems/invalid-consistency-token']).toContain(readingOf(header));
      }),
    );
  });
});

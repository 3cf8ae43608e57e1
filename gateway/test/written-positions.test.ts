import { WrittenPositions } from '../src/written-positions';

const byNumber = (a: string, b: string) => Number(a) - Number(b);

describe('WrittenPositions', () => {
  it('knows nothing of a partition this gateway has not written to', () => {
    expect(new WrittenPositions(byNumber).get(0)).toBeNull();
  });

  it('keeps the latest position per partition, whatever order the acknowledgements come in', () => {
    const positions = new WrittenPositions(byNumber);
    positions.record(0, '7');
    positions.record(1, '3');
    positions.record(0, '5');
    positions.record(0, '12');
    positions.record(0, '9');
    expect([positions.get(0), positions.get(1)]).toEqual(['12', '3']);
  });

  it('asks an owner, per partition of its own, for the later of this gateway’s write and the client’s token', () => {
    const positions = new WrittenPositions(byNumber);
    positions.record(0, '7');
    positions.record(1, '3');
    positions.record(4, '2');
    const token = new Map([
      [1, '9'],
      [2, '4'],
      [0, '5'],
    ]);
    expect(positions.atLeast([0, 1, 2, 3], token)).toEqual(
      new Map([
        [0, '7'],
        [1, '9'],
        [2, '4'],
      ]),
    );
    expect(positions.atLeast([3, 4])).toEqual(new Map([[4, '2']]));
  });
});

import { WrittenPositions } from '../src/written-positions';

const byNumber = (a: string, b: string) => Number(a) - Number(b);

describe('WrittenPositions', () => {
  it('knows nothing of an aggregator this gateway has not written to', () => {
    expect(new WrittenPositions(byNumber).get(0)).toBeNull();
  });

  it('keeps the latest position per aggregator, whatever order the acknowledgements come in', () => {
    const positions = new WrittenPositions(byNumber);
    positions.record(0, '7');
    positions.record(1, '3');
    positions.record(0, '5');
    positions.record(0, '12');
    positions.record(0, '9');
    expect([positions.get(0), positions.get(1)]).toEqual(['12', '3']);
  });
});

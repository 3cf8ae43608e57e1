import { TurnBatches } from '../src/turn-batches';

/** A send that records each batch and answers every item doubled. */
function recordingSend() {
  const batches: number[][] = [];
  const send = (items: readonly number[]) => {
    batches.push([...items]);
    return Promise.resolve(items.map((item) => item * 2));
  };
  return { batches, send };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('TurnBatches', () => {
  it('sends the items added in one turn of the event loop together, each getting its own result', async () => {
    const { batches, send } = recordingSend();
    const together = new TurnBatches(send, 10);
    const results = await Promise.all([together.add(1), together.add(2), together.add(3)]);
    expect(results).toEqual([2, 4, 6]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('sends items of different turns apart', async () => {
    const { batches, send } = recordingSend();
    const together = new TurnBatches(send, 10);
    const first = together.add(1);
    await nextTurn();
    const second = together.add(2);
    expect(await Promise.all([first, second])).toEqual([2, 4]);
    expect(batches).toEqual([[1], [2]]);
  });

  it('splits a turn’s items into sends of at most max', async () => {
    const { batches, send } = recordingSend();
    const together = new TurnBatches(send, 2);
    await Promise.all([1, 2, 3, 4, 5].map((item) => together.add(item)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
    await Promise.all([6, 7, 8, 9].map((item) => together.add(item)));
    expect(batches.slice(3)).toEqual([
      [6, 7],
      [8, 9],
    ]);
  });

  it('fails every item of a send that fails, and only those', async () => {
    const together = new TurnBatches(
      (items: readonly number[]) =>
        items.includes(3) ? Promise.reject(new Error('down')) : Promise.resolve([...items]),
      2,
    );
    const outcomes = await Promise.allSettled([1, 2, 3, 4].map((item) => together.add(item)));
    expect(outcomes.map((outcome) => outcome.status)).toEqual([
      'fulfilled',
      'fulfilled',
      'rejected',
      'rejected',
    ]);
  });

  it('fails the items of a send that answers a different number of results', async () => {
    const together = new TurnBatches(
      (items: readonly number[]) => Promise.resolve(items.slice(1)),
      5,
    );
    await expect(Promise.all([together.add(1), together.add(2)])).rejects.toThrow(
      '1 results for 2 items',
    );
  });
});

import type { Checkpoint, CommitPosition } from '@user-service/common/store';
import { AppliedPositions } from '../src/applied-positions';

/** Positions as the digits of a number, checkpoints holding one: enough to order them. */
const events = {
  commitPositionOf: (checkpoint: Checkpoint): CommitPosition => String(checkpoint.at),
  comparePositions(a: CommitPosition, b: CommitPosition): number {
    if (!/^\d+$/.test(a) || !/^\d+$/.test(b)) throw new Error('not a position of this store');
    return Number(a) - Number(b);
  },
};
const at = (position: number): Checkpoint => ({ at: position });

describe('applied positions', () => {
  it('answers at once for a position applied already, the one reached included', async () => {
    const positions = new AppliedPositions(events);
    positions.reached(at(5));
    await expect(positions.waitFor('3', 1000)).resolves.toBe(true);
    await expect(positions.waitFor('5', 1000)).resolves.toBe(true);
  });

  it('wakes a wait once a checkpoint at or past its position is reached', async () => {
    const positions = new AppliedPositions(events);
    positions.reached(at(1));
    const waiting = positions.waitFor('4', 10_000);
    positions.reached(at(3));
    positions.reached(at(4));
    await expect(waiting).resolves.toBe(true);
  });

  it('gives up with false when the position is not reached in time', async () => {
    const positions = new AppliedPositions(events);
    positions.reached(at(1));
    await expect(positions.waitFor('2', 10)).resolves.toBe(false);
  });

  it('waits before the first position too, and refuses a malformed one at once', async () => {
    const positions = new AppliedPositions(events);
    await expect(positions.waitFor('not-a-position', 1000)).rejects.toThrow('not a position');
    const waiting = positions.waitFor('2', 10_000);
    positions.reached(at(2));
    await expect(waiting).resolves.toBe(true);
  });
});

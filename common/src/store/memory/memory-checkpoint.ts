import type { Checkpoint } from '../ports';

/** Where a subscription on the in-memory store has got to (a type alias: only aliases fit the Checkpoint record type). */
export type MemoryCheckpoint = {
  /** How many log entries lie before this point. */
  readonly position: number;
};

export function toCheckpoint(position: number): Checkpoint {
  const checkpoint: MemoryCheckpoint = { position };
  return checkpoint;
}

export function positionOf(checkpoint: Checkpoint): number {
  const { position } = checkpoint;
  if (typeof position !== 'number') throw new Error('not a checkpoint of the in-memory store');
  return position;
}

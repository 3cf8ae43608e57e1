import type { Checkpoint, CommitPosition } from '../event-store';

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

/** A log position as a commit position: the count of log entries before it, in decimal. */
export function encodePosition(position: number): CommitPosition {
  return String(position);
}

/** Reads back `encodePosition`; anything but a non-negative decimal integer is refused. */
export function decodePosition(text: CommitPosition): number {
  const position = /^(0|[1-9][0-9]*)$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(position))
    throw new Error(`not a commit position of the in-memory store: ${JSON.stringify(text)}`);
  return position;
}

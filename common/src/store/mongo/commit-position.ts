import { Timestamp } from 'mongodb';
import type { CommitPosition } from '../event-store';

/** One unsigned 32-bit half of a Timestamp, in decimal without leading zeros. */
const HALF = '(0|[1-9][0-9]{0,9})';
const POSITION = new RegExp(`^${HALF}\\.${HALF}$`);
const MAX_HALF = 0xffff_ffff;

/**
 * A cluster time as a commit position: `<t>.<i>` in decimal (seconds, then the increment within
 * the second), which is URL-safe and reads as what it is.
 */
export function encodePosition(time: Timestamp): CommitPosition {
  return `${time.t}.${time.i}`;
}

/** Reads back `encodePosition`, strictly: anything else throws a plain Error. */
export function decodePosition(text: CommitPosition): Timestamp {
  const match = POSITION.exec(text);
  const t = Number(match?.[1]);
  const i = Number(match?.[2]);
  if (!match || t > MAX_HALF || i > MAX_HALF)
    throw new Error(`not a commit position of the MongoDB store: ${JSON.stringify(text)}`);
  return new Timestamp({ t, i });
}

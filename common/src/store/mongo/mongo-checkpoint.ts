import { type ResumeToken, Timestamp } from 'mongodb';
import type { Checkpoint } from '../event-store';

/** Where a subscription on MongoDB has got to (a type alias: only aliases fit the Checkpoint record type). */
export type MongoCheckpoint = {
  /** Cluster time of the change, of the stream's scan position, or of a live start point. */
  readonly clusterTime: Timestamp;
  /** The stream's resume token there; null for a live start point, which is resumed by its time. */
  readonly resumeToken: ResumeToken | null;
};

export function asMongoCheckpoint(checkpoint: Checkpoint): MongoCheckpoint {
  const { clusterTime, resumeToken } = checkpoint;
  if (!(clusterTime instanceof Timestamp)) throw new Error('not a checkpoint of the MongoDB store');
  return { clusterTime, resumeToken: resumeToken ?? null };
}

export function compareTimes(a: Timestamp, b: Timestamp): number {
  return a.t - b.t || a.i - b.i;
}

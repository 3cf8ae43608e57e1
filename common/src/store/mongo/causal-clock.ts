import type { ClientSession, MongoClient, Timestamp } from 'mongodb';
import { compareTimes } from './mongo-checkpoint';

/**
 * Causal order across a failover: a newly elected primary's majority snapshot can briefly lag
 * the old primary's, so a plain majority read right after an acknowledged write, or after another
 * read, may miss what was written or seen before. This remembers the latest operation time of
 * this process's writes AND reads, and hands out sessions whose reads wait (afterClusterTime)
 * until they include it. So every read of a request sees at least what its earlier reads saw
 * (review M3: a key read after the events that depend on it, a version check after the state it
 * was decided on): per process, which holds for each request within it. The wait costs nothing
 * while one primary serves: its majority snapshot is already at or past any time it handed out.
 */
export class CausalClock {
  private latest: Timestamp | undefined;

  constructor(private readonly client: Pick<MongoClient, 'startSession'>) {}

  /** A causally consistent session for a write; pass it to `noteWrite` once the write succeeded. */
  writeSession(): ClientSession {
    return this.client.startSession({ causalConsistency: true });
  }

  /** Notes the session's operation time (of a write, or of a read) as one later reads must see. */
  noteWrite(session: Pick<ClientSession, 'operationTime'>): void {
    const time = session.operationTime;
    if (time && (!this.latest || compareTimes(time, this.latest) > 0)) this.latest = time;
  }

  /** Runs `read` in a session that sees at least every write noted so far. */
  async read<T>(read: (session: ClientSession) => Promise<T>): Promise<T> {
    return (await this.readTimed(read)).result;
  }

  /**
   * As `read`, also giving the session's operation time after the read: the point in the
   * cluster's order the read saw (for a majority read, the majority commit point), so at or
   * after the commit of anything it found. Undefined where the server keeps no cluster time.
   */
  async readTimed<T>(
    read: (session: ClientSession) => Promise<T>,
  ): Promise<{ readonly result: T; readonly operationTime: Timestamp | undefined }> {
    const session = this.client.startSession({ causalConsistency: true });
    if (this.latest) session.advanceOperationTime(this.latest);
    try {
      const result = await read(session);
      this.noteWrite(session);
      return { result, operationTime: session.operationTime };
    } finally {
      await session.endSession();
    }
  }
}

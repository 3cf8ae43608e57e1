import type { ClientSession, MongoClient, Timestamp } from 'mongodb';
import { compareTimes } from './mongo-checkpoint';

/**
 * Read-your-writes across a failover: a newly elected primary's majority snapshot can briefly lag
 * the old primary's, so a plain majority read right after an acknowledged write may miss it. This
 * remembers the latest operation time of this process's writes, and hands out sessions whose
 * reads wait (afterClusterTime) until they include it.
 */
export class CausalClock {
  private latest: Timestamp | undefined;

  constructor(private readonly client: Pick<MongoClient, 'startSession'>) {}

  /** A causally consistent session for a write; pass it to `noteWrite` once the write succeeded. */
  writeSession(): ClientSession {
    return this.client.startSession({ causalConsistency: true });
  }

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
      return { result, operationTime: session.operationTime };
    } finally {
      await session.endSession();
    }
  }
}

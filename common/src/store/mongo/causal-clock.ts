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
    const session = this.client.startSession({ causalConsistency: true });
    if (this.latest) session.advanceOperationTime(this.latest);
    try {
      return await read(session);
    } finally {
      await session.endSession();
    }
  }
}

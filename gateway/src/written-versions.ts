export interface OwnWrite {
  readonly version: number;
  /** The write deleted the user. */
  readonly deleted: boolean;
}

const NONE: OwnWrite = { version: 0, deleted: false };

/**
 * What this gateway last wrote to each user, so that its next read of that user can ask for at
 * least that version (read-your-writes). Bounded: the oldest entries are forgotten first, by
 * which time every aggregator has long applied them.
 */
export class WrittenVersions {
  private readonly writes = new Map<string, OwnWrite>();

  constructor(private readonly capacity = 100_000) {}

  /** Keeps the later of what was recorded and `write`: a replayed earlier write lowers nothing. */
  record(userId: string, write: OwnWrite): void {
    const known = this.writes.get(userId);
    // Re-inserting moves the user to the newest end of the map's insertion order.
    this.writes.delete(userId);
    this.writes.set(userId, known && known.version > write.version ? known : write);
    if (this.writes.size > this.capacity) {
      const oldest = this.writes.keys().next();
      if (!oldest.done) this.writes.delete(oldest.value);
    }
  }

  get(userId: string): OwnWrite {
    return this.writes.get(userId) ?? NONE;
  }
}

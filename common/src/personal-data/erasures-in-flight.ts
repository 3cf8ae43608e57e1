/**
 * Which users were forgotten (their data erased) while a read begun earlier was in flight, so
 * that what the read brings back, a key or opened data fetched before the erasure, is not kept
 * or answered after it (crypto review M2). Only the erasures seen during reads are held, and only
 * until no read is in flight.
 */
export class ErasuresInFlight {
  private generation = 0;
  private reads = 0;
  /** The generation at which each user was last forgotten, while some read was in flight. */
  private readonly forgottenAt = new Map<string, number>();

  forget(userId: string): void {
    this.generation += 1;
    if (this.reads > 0) this.forgottenAt.set(userId, this.generation);
  }

  /** Runs `read`; answers its value and the users forgotten while it ran. */
  async during<T>(read: () => Promise<T>): Promise<{ value: T; erased: ReadonlySet<string> }> {
    const started = this.generation;
    this.reads += 1;
    try {
      const value = await read();
      const erased = new Set<string>();
      for (const [userId, at] of this.forgottenAt) if (at > started) erased.add(userId);
      return { value, erased };
    } finally {
      this.reads -= 1;
      if (this.reads === 0) this.forgottenAt.clear();
    }
  }
}

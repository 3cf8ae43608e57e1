/**
 * The version of each user this gateway last wrote, so that its next read of that user can ask
 * for at least that version (read-your-writes). Bounded: the oldest entries are forgotten first,
 * by which time every aggregator has long applied them.
 */
export class WrittenVersions {
  private readonly versions = new Map<string, number>();

  constructor(private readonly capacity = 100_000) {}

  record(userId: string, version: number): void {
    // Re-inserting moves the user to the newest end of the map's insertion order.
    this.versions.delete(userId);
    this.versions.set(userId, version);
    if (this.versions.size > this.capacity) {
      const oldest = this.versions.keys().next();
      if (!oldest.done) this.versions.delete(oldest.value);
    }
  }

  get(userId: string): number {
    return this.versions.get(userId) ?? 0;
  }
}

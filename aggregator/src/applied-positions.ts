import type { Checkpoint, CommitPosition, EventStore } from '@user-service/common/store';

/**
 * How far an aggregator has applied the store's commits, so that a list can wait for the asking
 * gateway's own writes (their append positions) to arrive here.
 */
export class AppliedPositions {
  /** Every change committed at or before this point has been applied (null before the first). */
  private applied: CommitPosition | null = null;
  private readonly waiters = new Set<() => void>();

  constructor(private readonly events: Pick<EventStore, 'commitPositionOf' | 'comparePositions'>) {}

  /** Every change up to this checkpoint is applied; wakes those waiting for it. */
  reached(checkpoint: Checkpoint): void {
    this.applied = this.events.commitPositionOf(checkpoint);
    for (const check of [...this.waiters]) check();
  }

  /**
   * Resolves true once every change committed up to `position` (an append's position, from a
   * gateway) has been applied here, or false after `timeoutMs`. Throws on a position that is not
   * one of this store's.
   */
  async waitFor(position: CommitPosition, timeoutMs: number): Promise<boolean> {
    if (this.hasApplied(position)) return true;
    return new Promise((resolve) => {
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(reached);
      };
      const check = () => {
        if (this.hasApplied(position)) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.waiters.add(check);
    });
  }

  private hasApplied(position: CommitPosition): boolean {
    // Compared even before the first position, so that a malformed one is refused at once.
    const order = this.events.comparePositions(this.applied ?? position, position);
    return this.applied !== null && order >= 0;
  }
}

import type { UserEvent } from '@user-service/common/domain';

export interface SnapshotPolicyOptions {
  /** A snapshot after this many applied events. */
  readonly snapshotEvery: number;
  /** Caught up with nothing to apply, the checkpoint alone is saved this often (ms). */
  readonly checkpointEveryMs: number;
  readonly now?: () => number;
}

/**
 * When an aggregator saves a snapshot: every `snapshotEvery` events; at once after an erasure, so
 * that the snapshot stops counting and listing the user; and, while quiet, every
 * `checkpointEveryMs`, so that a restart resumes near the store's head instead of rescanning all
 * that came since.
 */
export class SnapshotPolicy {
  private eventsSinceSnapshot = 0;
  private lastSnapshotAt: number;
  private readonly now: () => number;

  constructor(private readonly options: SnapshotPolicyOptions) {
    this.now = options.now ?? Date.now;
    this.lastSnapshotAt = this.now();
  }

  /** Counts an applied event; true when a snapshot is due now. */
  dueAfter(event: UserEvent): boolean {
    this.eventsSinceSnapshot += 1;
    return event.type === 'UserErased' || this.eventsSinceSnapshot >= this.options.snapshotEvery;
  }

  /** Caught up: true when the checkpoint has not been saved for `checkpointEveryMs`. */
  dueWhenQuiet(): boolean {
    return this.now() - this.lastSnapshotAt >= this.options.checkpointEveryMs;
  }

  /** A snapshot is being taken: counting starts again. */
  taken(): void {
    this.eventsSinceSnapshot = 0;
    this.lastSnapshotAt = this.now();
  }
}

import type { CommitPosition } from '@user-service/common/store';

/**
 * The commit position of this gateway's latest write to each aggregator's partitions. A list or
 * count asks each aggregator to have applied at least that much, which makes it include every
 * write this gateway acknowledged before it: an aggregator receives its partitions' changes in
 * commit order, so reaching the latest one means having applied all the earlier ones too.
 */
export class WrittenPositions {
  private readonly latest = new Map<number, CommitPosition>();

  constructor(private readonly compare: (a: CommitPosition, b: CommitPosition) => number) {}

  record(aggregator: number, position: CommitPosition): void {
    const known = this.latest.get(aggregator);
    if (known === undefined || this.compare(position, known) > 0)
      this.latest.set(aggregator, position);
  }

  /** Null when this gateway has written nothing there yet. */
  get(aggregator: number): CommitPosition | null {
    return this.latest.get(aggregator) ?? null;
  }
}

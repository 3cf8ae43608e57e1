import type { CommitPosition } from '@user-service/common/store';

/**
 * The commit position of this gateway's latest write to each partition. A list or count asks
 * each partition's owner to have applied at least that much, which makes it include every write
 * this gateway acknowledged before it: a partition's changes arrive in commit order, so reaching
 * the latest one means having applied all the earlier ones too.
 */
export class WrittenPositions {
  private readonly latest = new Map<number, CommitPosition>();

  constructor(private readonly compare: (a: CommitPosition, b: CommitPosition) => number) {}

  record(partition: number, position: CommitPosition): void {
    const known = this.latest.get(partition);
    if (known === undefined || this.compare(position, known) > 0)
      this.latest.set(partition, position);
  }

  /** Null when this gateway has written nothing there yet. */
  get(partition: number): CommitPosition | null {
    return this.latest.get(partition) ?? null;
  }

  /**
   * Per partition asked for, the later of this gateway's write and `also`'s position there
   * (a client's consistency token); partitions with neither are left out.
   */
  atLeast(
    partitions: readonly number[],
    also: ReadonlyMap<number, CommitPosition> = new Map(),
  ): Map<number, CommitPosition> {
    const wanted = new Map<number, CommitPosition>();
    for (const partition of partitions) {
      const mine = this.latest.get(partition);
      const theirs = also.get(partition);
      const later =
        mine === undefined || (theirs !== undefined && this.compare(theirs, mine) > 0)
          ? theirs
          : mine;
      if (later !== undefined) wanted.set(partition, later);
    }
    return wanted;
  }
}

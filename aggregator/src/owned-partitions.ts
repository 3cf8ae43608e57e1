import { compareIds, initialUserState, partitionOf, type User } from '@user-service/common/domain';
import type { Logger } from '@user-service/common/observability';
import { errorFields } from '@user-service/common/observability';
import type { CommitPosition, SnapshotEntry } from '@user-service/common/store';
import type { Aggregator } from './aggregator';
import type { AggregatorStatus } from './aggregator-metrics';
import type { AggregatorReads, HeldUsers, NotServed, ServedPartitions } from './aggregator-reads';
import type { OpenedUsers } from './opened-users';
import type { PartitionServing } from './partition-ownership';
import type { ReadinessReport } from './readiness';

export interface OwnedPartitionsOptions {
  /** The store's partition count, null until it is known. */
  readonly partitionCount: () => number | null;
  /**
   * An aggregator for one partition under its lease's epoch, not yet started; one that folds it
   * again into a new generation when `rebuildInto` is given.
   */
  readonly aggregatorFor: (partition: number, epoch: number, rebuildInto?: number) => Aggregator;
  /** Whether the lease on the partition may be trusted at this moment (PartitionOwnership.holds). */
  readonly holds: (partition: number) => boolean;
  /** Opens users for answers, shared by every partition's aggregator. */
  readonly opened: OpenedUsers;
  /** Drops what is held of these users beyond the partition (their data keys, opened data). */
  readonly forget: (userIds: readonly string[]) => void;
  readonly log: Logger;
}

/**
 * The partitions this node serves, one Aggregator each (its own snapshot, subscription and
 * readiness), as PartitionOwnership takes and gives them up; and the reads over them. A read is
 * answered only for partitions that are all held under a trusted lease and caught up: anything
 * else is refused, and the gateway folds from the store instead.
 */
export class OwnedPartitions implements PartitionServing, ServedPartitions {
  private readonly aggregators = new Map<number, Aggregator>();

  constructor(private readonly options: OwnedPartitionsOptions) {}

  take(partition: number, epoch: number): void {
    const aggregator = this.options.aggregatorFor(partition, epoch);
    this.aggregators.set(partition, aggregator);
    aggregator.start().catch((error: unknown) =>
      this.options.log.error('partition failed to start', {
        partition,
        error: errorFields(error),
      }),
    );
  }

  async drop(partition: number): Promise<void> {
    await this.release(partition, (aggregator) => aggregator.crash());
  }

  async handOver(partition: number): Promise<void> {
    await this.release(partition, (aggregator) => aggregator.stop());
  }

  /** Stops serving the partition at once, then stops its aggregator and forgets its users. */
  private async release(
    partition: number,
    stop: (aggregator: Aggregator) => Promise<void>,
  ): Promise<void> {
    const aggregator = this.aggregators.get(partition);
    this.aggregators.delete(partition);
    if (!aggregator) return;
    await stop(aggregator);
    // Their keys stay cached without end while served; a partition gone keeps none of them.
    this.options.forget(aggregator.liveUsers().map((entry) => entry.userId));
  }

  /** Every partition's final snapshot (a graceful stop), or none (a crash). */
  async stopAll(how: 'graceful' | 'crash'): Promise<void> {
    const stopping = [...this.aggregators.values()];
    this.aggregators.clear();
    await Promise.all(
      stopping.map((aggregator) => (how === 'graceful' ? aggregator.stop() : aggregator.crash())),
    );
  }

  /** The aggregator serving the partition here; undefined when it is not held here. */
  aggregatorOf(partition: number): Aggregator | undefined {
    return this.aggregators.get(partition);
  }

  /** A new aggregator folding the partition again into `generation`, under its lease; not started. */
  rebuilderOf(partition: number, generation: number): Aggregator | undefined {
    const epoch = this.aggregators.get(partition)?.epoch;
    if (epoch === undefined) return undefined;
    return this.options.aggregatorFor(partition, epoch, generation);
  }

  /**
   * Serves the partition from `next` instead of `current`, at once: false, and nothing changed,
   * when `current` no longer serves it (it was dropped or handed over meanwhile).
   */
  replace(partition: number, current: Aggregator, next: Aggregator): boolean {
    if (this.aggregators.get(partition) !== current) return false;
    this.aggregators.set(partition, next);
    return true;
  }

  get partitions(): number[] {
    return [...this.aggregators.keys()].sort((a, b) => a - b);
  }

  /** The user's partition; -1, held by no one, while the partition count is not known yet. */
  partitionOf(userId: string): number {
    const count = this.options.partitionCount();
    return count === null ? -1 : partitionOf(userId, count);
  }

  /**
   * Reads over these partitions, or a reason they cannot be served from here: one is not held
   * here (`not-owner`), or is held under a lease that can no longer be trusted (`lease-expired`).
   */
  readsFor(partitions: readonly number[]): AggregatorReads | NotServed {
    if (partitions.length === 0) return { notServed: 'not-owner' };
    const serving: Aggregator[] = [];
    for (const partition of new Set(partitions)) {
      const aggregator = this.aggregators.get(partition);
      if (!aggregator) return { notServed: 'not-owner' };
      if (!this.options.holds(partition)) return { notServed: 'lease-expired' };
      serving.push(aggregator);
    }
    // One partition's reads (every user read) are its aggregator's own: nothing to merge.
    const [only] = serving;
    return serving.length === 1 && only
      ? only
      : new PartitionReads(serving, this, this.options.opened);
  }

  /** What the node's readiness and status gauges show: the worst of its partitions. */
  status(): AggregatorStatus {
    const all = [...this.aggregators.values()].map((aggregator) => aggregator.status());
    return {
      notReadyReason: all.find((status) => status.notReadyReason)?.notReadyReason ?? null,
      lagSeconds: Math.max(0, ...all.map((status) => status.lagSeconds)),
      parkedUsers: all.reduce((sum, status) => sum + status.parkedUsers, 0),
      usersInMemory: all.reduce((sum, status) => sum + status.usersInMemory, 0),
    };
  }

  /** GET /readyz: ready when every partition held is caught up (none held is ready: nothing to serve). */
  report(): ReadinessReport & { readonly partitions: readonly number[] } {
    const partitions = this.partitions;
    for (const partition of partitions) {
      const report = this.aggregators.get(partition)?.readiness.report();
      if (report && !report.ready) return { ...report, partitions };
    }
    return { ready: true, partitions };
  }

  /** A hook for tests and drills: every partition held here, as one. */
  get all(): PartitionReads {
    return new PartitionReads([...this.aggregators.values()], this, this.options.opened);
  }

  /** A hook for tests and drills: saves every partition's changes now. */
  async snapshot(): Promise<void> {
    await Promise.all([...this.aggregators.values()].map((aggregator) => aggregator.snapshot()));
  }
}

/** Several partitions' aggregators read as one: a user from its partition's, pages merged. */
export class PartitionReads implements AggregatorReads {
  readonly users: HeldUsers;

  constructor(
    private readonly aggregators: readonly Aggregator[],
    owned: Pick<OwnedPartitions, 'partitionOf'>,
    readonly opened: OpenedUsers,
  ) {
    const byPartition = new Map(
      aggregators.flatMap((aggregator) =>
        aggregator.partitions.map((p) => [p, aggregator] as const),
      ),
    );
    const of = (userId: string) => byPartition.get(owned.partitionOf(userId))?.users;
    this.users = {
      get: (userId) => of(userId)?.get(userId) ?? initialUserState,
      parkedBecause: (userId) => of(userId)?.parkedBecause(userId),
      anyParked: () => {
        for (const aggregator of aggregators) {
          const parked = aggregator.users.anyParked();
          if (parked) return parked;
        }
        return undefined;
      },
      waitForVersion: async (userId, version, timeoutMs) =>
        (await of(userId)?.waitForVersion(userId, version, timeoutMs)) ?? false,
      page: (query) =>
        aggregators
          .flatMap((aggregator) => aggregator.users.page(query))
          .sort((a: User, b: User) => compareIds(a.id, b.id))
          .slice(0, query.limit),
      countByGroup: (group) => {
        const counts = new Map<number, number>();
        for (const aggregator of aggregators)
          for (const [key, count] of aggregator.users.countByGroup(group))
            counts.set(key, (counts.get(key) ?? 0) + count);
        return new Map([...counts].sort(([a], [b]) => a - b));
      },
    };
  }

  get isReady(): boolean {
    return this.aggregators.every((aggregator) => aggregator.isReady);
  }

  readonly positions = {
    waitFor: async (position: CommitPosition, timeoutMs: number): Promise<boolean> => {
      const reached = await Promise.all(
        this.aggregators.map((aggregator) => aggregator.positions.waitFor(position, timeoutMs)),
      );
      return reached.every(Boolean);
    },
  };

  /** A hook for tests and drills: live users with versions. */
  liveUsers(): SnapshotEntry[] {
    return this.aggregators.flatMap((aggregator) => aggregator.liveUsers());
  }
}

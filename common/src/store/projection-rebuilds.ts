// The projection rebuilds port: an operator asks for the users projection to be folded again
// from `Events` into a new generation; the aggregators owning the partitions do it while they
// serve, and switch each partition over when its new generation has caught up.

/** A rebuild asked for: every partition is to be folded again into `generation`. */
export interface RebuildRequest {
  readonly id: string;
  readonly generation: number;
  readonly requestedAt: Date;
}

/** One partition as the store knows it: the generation it serves, and its owner's last report. */
export interface PartitionGeneration {
  readonly partition: number;
  /** The generation of the partition's saved projection: 0 until a first rebuild switched it. */
  readonly generation: number;
  /** What its owner last reported of folding it into another generation; null if nothing. */
  readonly rebuild: RebuildReport | null;
}

/** How far an owner got folding a partition again into `generation`, or why it gave up. */
export interface RebuildReport {
  readonly generation: number;
  /** Events folded into the new generation so far. */
  readonly events: number;
  /** Why the rebuild of the partition failed (an event it cannot fold); null while it goes on. */
  readonly failure: string | null;
}

export interface ProjectionRebuilds {
  /**
   * Asks for a rebuild into the generation after every partition's and the last one asked for,
   * unless a rebuild is running: then answers that one, with `started` false. Two callers at
   * once start one rebuild between them.
   */
  request(id: string, now: Date): Promise<{ readonly rebuild: RebuildRequest; started: boolean }>;
  /** The rebuild asked for last; null if none ever was. */
  latest(): Promise<RebuildRequest | null>;
  /** Every partition of the store (0 to partitions - 1), in order. */
  partitions(): Promise<PartitionGeneration[]>;
  /** An owner's progress on folding `partition` again. */
  report(partition: number, report: RebuildReport): Promise<void>;
}

export type RebuildState = 'running' | 'done' | 'failed';

/** What a status resource says of a rebuild. */
export interface RebuildStatus {
  readonly id: string;
  readonly state: RebuildState;
  readonly generation: number;
  readonly requestedAt: Date;
  readonly partitions: {
    readonly total: number;
    readonly done: number;
    readonly failed: number;
  };
  /** Events folded into the new generation, over the partitions that reported. */
  readonly events: number;
  /** Why partitions failed, by partition; empty unless `failed`. */
  readonly failures: ReadonlyArray<{ readonly partition: number; readonly failure: string }>;
}

/**
 * A rebuild's state from its partitions: done once every one serves its generation (or a later
 * one), failed once one gave up on it and it is not done, running otherwise.
 */
export function rebuildStatus(
  rebuild: RebuildRequest,
  partitions: readonly PartitionGeneration[],
): RebuildStatus {
  const ofThis = (partition: PartitionGeneration) =>
    partition.rebuild?.generation === rebuild.generation ? partition.rebuild : null;
  const done = partitions.filter((partition) => partition.generation >= rebuild.generation);
  const failures = partitions.flatMap((partition) => {
    const failure = partition.generation < rebuild.generation ? ofThis(partition)?.failure : null;
    return failure ? [{ partition: partition.partition, failure }] : [];
  });
  const state: RebuildState =
    done.length === partitions.length ? 'done' : failures.length > 0 ? 'failed' : 'running';
  return {
    id: rebuild.id,
    state,
    generation: rebuild.generation,
    requestedAt: rebuild.requestedAt,
    partitions: { total: partitions.length, done: done.length, failed: failures.length },
    events: partitions.reduce((sum, partition) => sum + (ofThis(partition)?.events ?? 0), 0),
    failures,
  };
}

/** How far `rebuild` is now, as the store says: one read of the partitions. */
export async function currentStatus(
  rebuilds: Pick<ProjectionRebuilds, 'partitions'>,
  rebuild: RebuildRequest,
): Promise<RebuildStatus> {
  return rebuildStatus(rebuild, await rebuilds.partitions());
}

/**
 * What a request for a rebuild decides, given the latest one and the partitions as read: that
 * one while it runs (`started` false), else a new one into the generation past every partition's
 * and the latest's. The adapters store a started one, each atomically its own way.
 */
export function decideRequest(
  latest: RebuildRequest | null,
  partitions: readonly PartitionGeneration[],
  id: string,
  now: Date,
): { readonly rebuild: RebuildRequest; readonly started: boolean } {
  if (latest && rebuildStatus(latest, partitions).state === 'running')
    return { rebuild: latest, started: false };
  const generation = Math.max(latest?.generation ?? 0, ...partitions.map((p) => p.generation)) + 1;
  return { rebuild: { id, generation, requestedAt: now }, started: true };
}

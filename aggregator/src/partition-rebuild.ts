import type { Logger } from '@user-service/common/observability';
import { errorFields } from '@user-service/common/observability';
import { LeaseLostError, type ProjectionRebuilds } from '@user-service/common/store';
import type { Aggregator } from './aggregator';
import type { AggregatorMetrics } from './aggregator-metrics';
import type { OwnedPartitions } from './owned-partitions';

export type RebuildOutcome = 'switched' | 'failed' | 'abandoned';

export interface PartitionRebuildOptions {
  readonly owned: Pick<OwnedPartitions, 'aggregatorOf' | 'rebuilderOf' | 'replace'>;
  readonly rebuilds: Pick<ProjectionRebuilds, 'report'>;
  readonly metrics: AggregatorMetrics;
  readonly log: Logger;
  /** How often progress is looked at, and reported to the store. */
  readonly pollMs: number;
  /** Resolves after `ms`, sooner once the node stops (then `stopped` says so). */
  readonly pause: (ms: number) => Promise<void>;
  readonly stopped: () => boolean;
  /** The call's answer, or undefined once the node stops first. */
  readonly unlessStopped: <T>(call: Promise<T>) => Promise<T | undefined>;
}

/**
 * Folds one partition held here again from the log into `generation`, while the aggregator
 * serving it goes on serving:
 * 1. a second aggregator of the partition folds every event of it from the store into memory,
 *    loading nothing saved, and saving nothing;
 * 2. once it has caught up, it serves the partition instead, and the first one stops (without a
 *    last save);
 * 3. it saves the partition whole in the new generation, in one atomic step that also drops what
 *    the old generation saved of it.
 * Nothing is written before step 3, so a crash anywhere loses nothing: the partition still serves
 * its old generation, and whoever holds it next folds it again. It gives up (abandoned) if the
 * partition leaves this node meanwhile, and fails if it cannot fold an event (the serving
 * aggregator goes on).
 */
export async function rebuildPartition(
  options: PartitionRebuildOptions,
  partition: number,
  generation: number,
): Promise<RebuildOutcome> {
  const { owned, metrics, log } = options;
  const serving = owned.aggregatorOf(partition);
  const fresh = owned.rebuilderOf(partition, generation);
  if (!serving || !fresh) return 'abandoned';
  metrics.rebuildsRunning.inc();
  const started = Date.now();
  try {
    void fresh.start().catch(() => undefined);
    const caughtUp = await untilCaughtUp(options, partition, generation, serving, fresh);
    if (caughtUp !== 'caught-up') {
      await fresh.crash();
      return caughtUp;
    }
    if (!owned.replace(partition, serving, fresh)) {
      await fresh.crash();
      return 'abandoned';
    }
    await serving.crash();
    const saved = await untilSwitched(options, partition, fresh);
    if (saved !== 'switched') return saved;
    await report(options, partition, { generation, events: fresh.folded, failure: null });
    log.info('partition rebuilt', {
      partition,
      generation,
      events: fresh.folded,
      seconds: (Date.now() - started) / 1000,
    });
    return 'switched';
  } finally {
    metrics.rebuildsRunning.dec();
  }
}

type CaughtUp = 'caught-up' | 'failed' | 'abandoned';

async function untilCaughtUp(
  options: PartitionRebuildOptions,
  partition: number,
  generation: number,
  serving: Aggregator,
  fresh: Aggregator,
): Promise<CaughtUp> {
  const { owned, log } = options;
  for (;;) {
    if (options.stopped() || owned.aggregatorOf(partition) !== serving) return 'abandoned';
    const failure = fresh.cannotFinish;
    if (failure !== null) {
      log.error('partition rebuild failed; its current generation goes on serving', {
        partition,
        generation,
        failure,
      });
      await report(options, partition, { generation, events: fresh.folded, failure });
      return 'failed';
    }
    if (fresh.isReady) return 'caught-up';
    await report(options, partition, { generation, events: fresh.folded, failure: null });
    await options.pause(options.pollMs);
  }
}

/** The whole save, again until it is done: the partition serves from `fresh` meanwhile. */
async function untilSwitched(
  options: PartitionRebuildOptions,
  partition: number,
  fresh: Aggregator,
): Promise<'switched' | 'abandoned'> {
  for (;;) {
    if (options.stopped() || options.owned.aggregatorOf(partition) !== fresh) return 'abandoned';
    try {
      // A stop during the save leaves it to the store: it lands whole, or not at all.
      await options.unlessStopped(fresh.switchOver());
      if (options.stopped()) return 'abandoned';
      return 'switched';
    } catch (error) {
      // Lost: the node drops the partition (Aggregator's onLeaseLost); nothing was saved.
      if (error instanceof LeaseLostError) return 'abandoned';
      options.log.warn('partition rebuild could not switch over yet; retrying', {
        partition,
        error: errorFields(error),
      });
      await options.pause(options.pollMs);
    }
  }
}

/** Progress is for watching: a report the store does not take now is not worth waiting for. */
async function report(
  options: PartitionRebuildOptions,
  partition: number,
  progress: Parameters<ProjectionRebuilds['report']>[1],
): Promise<void> {
  try {
    await options.unlessStopped(options.rebuilds.report(partition, progress));
  } catch (error) {
    options.log.warn('rebuild progress not reported', { partition, error: errorFields(error) });
  }
}

import type { Logger } from '@user-service/common/observability';
import { errorFields } from '@user-service/common/observability';
import type { ProjectionRebuilds } from '@user-service/common/store';
import type { AggregatorMetrics } from './aggregator-metrics';
import type { OwnedPartitions } from './owned-partitions';
import { rebuildPartition } from './partition-rebuild';

export interface ProjectionRebuilderOptions {
  readonly rebuilds: ProjectionRebuilds;
  readonly owned: Pick<OwnedPartitions, 'partitions' | 'aggregatorOf' | 'rebuilderOf' | 'replace'>;
  readonly metrics: AggregatorMetrics;
  readonly log: Logger;
  /** How often the store is asked whether a rebuild is wanted, and a rebuild's progress told. */
  readonly everyMs: number;
}

/**
 * Carries out, for the partitions held here, the rebuild asked for last: every so often it reads
 * which one that is, and folds each held partition still of an older generation into it, one at
 * a time (a rebuild holds a second copy of its partition in memory). A partition that failed is
 * not tried again for that generation: the next request (a new generation) tries it again.
 */
export class ProjectionRebuilder {
  private stopped = false;
  private timer: NodeJS.Timeout | null = null;
  private wake: (() => void) | null = null;
  private running: Promise<void> = Promise.resolve();
  private readonly failed = new Map<number, number>();
  /** Settles once `stop` is called: a store call that never answers does not hold a stop up. */
  private readonly stopping: Promise<undefined>;
  private stopNow: () => void = () => undefined;

  constructor(private readonly options: ProjectionRebuilderOptions) {
    this.stopping = new Promise((resolve) => {
      this.stopNow = () => resolve(undefined);
    });
  }

  start(): void {
    this.running = this.loop();
  }

  /**
   * Gives up a rebuild under way (its partition goes on serving its old generation), and waits
   * for it to have given up; a crash does not wait, as a killed process would not.
   */
  async stop(how: 'graceful' | 'crash' = 'graceful'): Promise<void> {
    this.stopped = true;
    this.stopNow();
    this.wake?.();
    if (how === 'graceful') await this.running;
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.round();
      } catch (error) {
        this.options.log.warn('cannot read the rebuild asked for; trying again', {
          error: errorFields(error),
        });
      }
      await this.pause(this.options.everyMs);
    }
  }

  private async round(): Promise<void> {
    const { rebuilds, owned, metrics, log } = this.options;
    const wanted = await Promise.race([rebuilds.latest(), this.stopping]);
    if (!wanted) return;
    const { generation } = wanted;
    for (const partition of owned.partitions) {
      if (this.stopped) return;
      const current = owned.aggregatorOf(partition);
      const held = current?.generation;
      if (!current?.isReady || held === null || held === undefined || held >= generation) continue;
      if (this.failed.get(partition) === generation) continue;
      const outcome = await rebuildPartition(
        {
          owned,
          rebuilds,
          metrics,
          log: log.child({ rebuild: wanted.id }),
          pollMs: Math.min(this.options.everyMs, 200),
          pause: (ms) => this.pause(ms),
          stopped: () => this.stopped,
          unlessStopped: (call) => Promise.race([call, this.stopping]),
        },
        partition,
        generation,
      );
      metrics.rebuilds.inc({ outcome });
      if (outcome === 'failed') this.failed.set(partition, generation);
    }
  }

  private pause(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise((resolve) => {
      this.wake = () => {
        if (this.timer) clearTimeout(this.timer);
        resolve();
      };
      this.timer = setTimeout(resolve, ms);
    });
  }
}

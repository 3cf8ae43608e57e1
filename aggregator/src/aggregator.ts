import {
  type Checkpoint,
  type Logger,
  type Store,
  type Subscription,
  type UserEvent,
  type UserState,
} from '@user-service/common';
import type { AggregatorMetrics } from './aggregator-metrics';
import { UserProjection } from './projection';

export interface AggregatorOptions {
  readonly partitions: readonly number[];
  readonly snapshotEvery: number;
  readonly store: Store;
  readonly log: Logger;
  readonly metrics: AggregatorMetrics;
  /** Pause between attempts to load the snapshot while the store is unreachable. */
  readonly restoreRetryMs?: number;
}

/**
 * Owns some partitions: restores their users from the last snapshot, applies every newer event
 * once, serves reads from memory, and snapshots the changed users every `snapshotEvery` events.
 */
export class Aggregator {
  private projection = new UserProjection();
  private subscription: Subscription | null = null;
  private checkpoint: Checkpoint | null = null;
  private eventsSinceSnapshot = 0;
  private replayed = 0;
  private ready = false;
  private stopped = false;
  private replayStartedAt = process.hrtime.bigint();

  constructor(private readonly options: AggregatorOptions) {}

  get isReady(): boolean {
    return this.ready;
  }

  /** Starts restoring in the background; `isReady` turns true once caught up. */
  async start(): Promise<void> {
    const { store, partitions, log, metrics } = this.options;
    const loading = process.hrtime.bigint();
    const restored = await this.untilStopped(() => store.snapshots.load(partitions));
    if (!restored || this.stopped) return;
    this.projection = new UserProjection(restored.entries);
    this.checkpoint = restored.checkpoint;
    metrics.restoreDuration.set(secondsSince(loading));
    metrics.restoredUsers.set(restored.entries.length);
    metrics.usersInMemory.set(this.projection.size);
    this.replayStartedAt = process.hrtime.bigint();
    log.info('snapshot loaded', { users: restored.entries.length, resumable: restored.checkpoint !== null });
    this.subscription = store.events.subscribe(
      { partitions, checkpoint: restored.checkpoint, knownVersions: this.projection.knownVersions() },
      {
        onEvent: (event, checkpoint) => this.apply(event, checkpoint),
        onCaughtUp: (checkpoint) => this.caughtUp(checkpoint),
        onStoreError: (error, attempt) => {
          metrics.storeErrors.inc();
          log.warn('subscription failed; retrying', { attempt, error: describe(error) });
        },
        onHistoryLost: () => {
          metrics.historyLost.inc();
          log.warn('checkpoint no longer in history; reconciling partitions from the store');
        },
      },
    );
    this.subscription.finished.catch((error: unknown) => log.error('subscription ended', { error: describe(error) }));
  }

  user(userId: string): UserState {
    return this.projection.get(userId);
  }

  waitForVersion(userId: string, version: number, timeoutMs: number): Promise<boolean> {
    return this.projection.waitForVersion(userId, version, timeoutMs);
  }

  /** Live users with versions, for comparing with a reference. */
  liveUsers() {
    return this.projection.liveEntries();
  }

  /** Graceful stop (SIGTERM): stop applying, then save what changed. */
  async stop(): Promise<void> {
    await this.halt();
    await this.snapshot();
  }

  /** Stops without a final snapshot, as a crash would; the state in memory is simply dropped. */
  async crash(): Promise<void> {
    await this.halt();
  }

  async snapshot(): Promise<void> {
    const { store, partitions, metrics, log } = this.options;
    const entries = this.projection.takeChanges();
    const checkpoint = this.checkpoint;
    this.eventsSinceSnapshot = 0;
    if (entries.length === 0 && !checkpoint) return;
    const timer = metrics.snapshotDuration.startTimer();
    try {
      await store.snapshots.save({ partitions, entries, checkpoint });
      metrics.snapshots.inc({ outcome: 'saved' });
      metrics.snapshotUsers.inc(entries.length);
    } catch (error) {
      this.projection.restoreChanges(entries);
      metrics.snapshots.inc({ outcome: 'failed' });
      log.warn('snapshot failed; its users go into the next one', { users: entries.length, error: describe(error) });
    } finally {
      timer();
    }
  }

  private async apply(event: UserEvent, checkpoint: Checkpoint | null): Promise<void> {
    const { metrics, snapshotEvery } = this.options;
    this.projection.apply(event);
    if (checkpoint) this.checkpoint = checkpoint;
    if (!this.ready) this.replayed += 1;
    metrics.eventsApplied.inc({ partition: String(event.partition) });
    metrics.applyLag.set(Math.max(0, (Date.now() - event.occurredAt.getTime()) / 1000));
    metrics.usersInMemory.set(this.projection.size);
    this.eventsSinceSnapshot += 1;
    if (this.eventsSinceSnapshot >= snapshotEvery) await this.snapshot();
  }

  private caughtUp(checkpoint: Checkpoint): void {
    this.checkpoint = checkpoint;
    if (this.ready) return;
    this.ready = true;
    const { metrics, log } = this.options;
    const seconds = secondsSince(this.replayStartedAt);
    metrics.ready.set(1);
    metrics.replayDuration.set(seconds);
    metrics.replayedEvents.set(this.replayed);
    log.info('ready', { users: this.projection.size, replayedEvents: this.replayed, replaySeconds: seconds });
  }

  private async halt(): Promise<void> {
    this.stopped = true;
    this.ready = false;
    this.options.metrics.ready.set(0);
    await this.subscription?.stop();
  }

  private async untilStopped<T>(load: () => Promise<T>): Promise<T | undefined> {
    while (!this.stopped) {
      try {
        return await load();
      } catch (error) {
        this.options.log.warn('cannot load the snapshot yet; retrying', { error: describe(error) });
        await new Promise((resolve) => setTimeout(resolve, this.options.restoreRetryMs ?? 500));
      }
    }
    return undefined;
  }
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

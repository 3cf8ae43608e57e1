import {
  type Checkpoint,
  type CommitPosition,
  errorFields,
  type Logger,
  type PersonalData,
  type Store,
  type Subscription,
  SubscriptionEndedError,
  type UserEvent,
  type UnreadableEventError,
  type User,
  type UserState,
} from '@user-service/common';
import type { AggregatorMetrics } from './aggregator-metrics';
import type { UserPageQuery } from './live-user-index';
import { OpenedUsers } from './opened-users';
import { UserProjection } from './projection';
import type { NotReadyReason, Readiness } from './readiness';

export interface AggregatorOptions {
  readonly partitions: readonly number[];
  readonly snapshotEvery: number;
  readonly store: Store;
  /**
   * Users are held with their personal data sealed, as stored (nothing to decrypt while
   * restoring or replaying); it is opened only to answer a read.
   */
  readonly personalData: PersonalData;
  readonly log: Logger;
  readonly metrics: AggregatorMetrics;
  /** Pause between attempts to load the snapshot while the store is unreachable. */
  readonly restoreRetryMs?: number;
  /**
   * How long the subscription may go without confirming it is caught up before reads stop being
   * served here: past it, the users in memory may be older than that.
   */
  readonly maxLagMs?: number;
  /**
   * With no events to apply, how often to save the checkpoint alone, so that a restart of a quiet
   * aggregator resumes near the store's head instead of rescanning all that came since.
   */
  readonly checkpointEveryMs?: number;
}

const DEFAULT_MAX_LAG_MS = 10_000;
const DEFAULT_CHECKPOINT_EVERY_MS = 60_000;
/** How often readiness is checked for changes worth a log line. */
const READINESS_LOG_EVERY_MS = 1000;

/**
 * Owns some partitions: restores their users from the last snapshot, applies every newer event
 * once, serves reads from memory while it knows it is caught up, and snapshots the changed users
 * every `snapshotEvery` events.
 */
export class Aggregator {
  private projection = new UserProjection();
  private readonly opened: OpenedUsers;
  private subscription: Subscription | null = null;
  private checkpoint: Checkpoint | null = null;
  private eventsSinceSnapshot = 0;
  private lastSnapshotAt = Date.now();
  private replayed = 0;
  private caughtUpOnce = false;
  private reconciling = false;
  private endedBecause: NotReadyReason | null = null;
  private stopped = false;
  /** Every change committed before this time (ms) has been applied. */
  private currentAsOf = Date.now();
  private replayStartedAt = process.hrtime.bigint();
  private readinessWatch: NodeJS.Timeout | undefined;
  /** Every change committed at or before this point has been applied (null before the first). */
  private appliedPosition: CommitPosition | null = null;
  private readonly positionWaiters = new Set<() => void>();

  constructor(private readonly options: AggregatorOptions) {
    this.opened = new OpenedUsers(options.personalData);
    options.metrics.reportStatusFrom(() => {
      const readiness = this.readiness();
      return {
        notReadyReason: readiness.ready ? null : readiness.reason,
        lagSeconds: this.lagMs() / 1000,
        parkedUsers: this.projection.parkedCount,
      };
    });
  }

  get isReady(): boolean {
    return this.readiness().ready;
  }

  /** Ready means caught up with the store, recently: only then are reads served from memory. */
  readiness(): Readiness {
    if (this.stopped) return { ready: false, reason: 'stopped' };
    if (this.endedBecause) return { ready: false, reason: this.endedBecause };
    if (!this.caughtUpOnce) return { ready: false, reason: 'restoring' };
    if (this.reconciling) return { ready: false, reason: 'reconciling' };
    if (this.lagMs() > (this.options.maxLagMs ?? DEFAULT_MAX_LAG_MS))
      return { ready: false, reason: 'behind' };
    return { ready: true };
  }

  /** Starts restoring in the background; `isReady` turns true once caught up. */
  async start(): Promise<void> {
    const { store, partitions, log, metrics } = this.options;
    this.watchReadiness();
    const loading = process.hrtime.bigint();
    const restored = await this.untilStopped(() => store.snapshots.load(partitions));
    if (!restored || this.stopped) return;
    this.projection = new UserProjection(restored.entries);
    this.checkpoint = restored.checkpoint;
    metrics.restoreDuration.set(secondsSince(loading));
    metrics.restoredUsers.set(restored.entries.length);
    metrics.usersInMemory.set(this.projection.size);
    this.replayStartedAt = process.hrtime.bigint();
    log.info('snapshot loaded', {
      users: restored.entries.length,
      resumable: restored.checkpoint !== null,
    });
    this.subscription = store.events.subscribe(
      {
        partitions,
        checkpoint: restored.checkpoint,
        knownVersions: this.projection.knownVersions(),
      },
      {
        onEvent: (event, checkpoint) => this.apply(event, checkpoint),
        onCaughtUp: (checkpoint, currentAsOf) => this.caughtUp(checkpoint, currentAsOf),
        onStoreError: (error, attempt) => {
          metrics.subscriptionRestarts.inc();
          log.warn('subscription failed; retrying', { attempt, error: errorFields(error) });
        },
        onHistoryLost: () => {
          metrics.historyLost.inc();
          this.reconciling = true;
          log.warn(
            'checkpoint no longer in history; reconciling partitions from the store (not ready meanwhile)',
          );
        },
      },
    );
    this.subscription.finished.catch((error: unknown) => {
      this.endedBecause = error instanceof SubscriptionEndedError ? error.reason : 'handler-failed';
      log.error('subscription ended; not ready until restarted', {
        reason: this.endedBecause,
        error: errorFields(error),
      });
    });
  }

  user(userId: string): UserState {
    return this.projection.get(userId);
  }

  /** Why one of the user's events could not be applied, so that its state here is unknown; undefined if none. */
  parkedBecause(userId: string): UnreadableEventError | undefined {
    return this.projection.parkedBecause(userId);
  }

  waitForVersion(userId: string, version: number, timeoutMs: number): Promise<boolean> {
    return this.projection.waitForVersion(userId, version, timeoutMs);
  }

  /** The users with their personal data opened, in order; null for each one erased. */
  openUsers(users: readonly User[]): Promise<Array<User | null>> {
    return this.opened.open(users);
  }

  /** A page of the live users held here, in id order. */
  listUsers(query: UserPageQuery): User[] {
    return this.projection.page(query);
  }

  /** The live users held here per group (only `group` when given). */
  countUsersByGroup(group?: number): Map<number, number> {
    return this.projection.countByGroup(group);
  }

  /** A user whose state here is unknown (so no list is exact here), if there is one. */
  anyParked(): UnreadableEventError | undefined {
    return this.projection.anyParked();
  }

  /**
   * Resolves true once every change committed up to `position` (an append's position, from a
   * gateway) has been applied here, or false after `timeoutMs`. Throws on a position that is not
   * one of this store's.
   */
  async waitForPosition(position: CommitPosition, timeoutMs: number): Promise<boolean> {
    if (this.hasApplied(position)) return true;
    return new Promise((resolve) => {
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        this.positionWaiters.delete(check);
        resolve(reached);
      };
      const check = () => {
        if (this.hasApplied(position)) finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      this.positionWaiters.add(check);
    });
  }

  /**
   * A hook for tests and drills, not used in serving: live users with versions, for comparing
   * with a reference.
   */
  liveUsers() {
    return this.projection.liveEntries();
  }

  /** Graceful stop (SIGTERM): stop applying, then save what changed. */
  async stop(): Promise<void> {
    await this.halt();
    await this.snapshot();
  }

  /**
   * A hook for tests and drills (in-process crashes: the in-memory chaos drill, the benchmark's
   * recovery check), not used in serving: stops without a final snapshot, as a crash would; the
   * state in memory is simply dropped.
   */
  async crash(): Promise<void> {
    await this.halt();
  }

  async snapshot(): Promise<void> {
    const { store, partitions, metrics, log } = this.options;
    const entries = this.projection.takeChanges();
    const checkpoint = this.checkpoint;
    this.eventsSinceSnapshot = 0;
    this.lastSnapshotAt = Date.now();
    if (entries.length === 0 && !checkpoint) return;
    const timer = metrics.snapshotDuration.startTimer();
    try {
      await store.snapshots.save({ partitions, entries, checkpoint });
      metrics.snapshots.inc({ outcome: 'saved' });
      metrics.snapshotUsers.inc(entries.length);
    } catch (error) {
      this.projection.restoreChanges(entries);
      metrics.snapshots.inc({ outcome: 'failed' });
      log.warn('snapshot failed; its users go into the next one', {
        users: entries.length,
        error: errorFields(error),
      });
    } finally {
      timer();
    }
  }

  private async apply(event: UserEvent, checkpoint: Checkpoint | null): Promise<void> {
    const { metrics, snapshotEvery, log } = this.options;
    const outcome = this.projection.apply(event);
    if (outcome.kind === 'parked') {
      metrics.unreadableEvents.inc();
      log.error('user parked: one of its events cannot be applied; its reads go to the store', {
        userId: event.userId,
        eventId: event.eventId,
        version: event.version,
        problem: outcome.error.problem,
      });
    }
    this.advanceCheckpoint(checkpoint);
    this.noteApplied(checkpoint);
    if (!this.caughtUpOnce) this.replayed += 1;
    metrics.eventsApplied.inc({ partition: String(event.partition) });
    metrics.usersInMemory.set(this.projection.size);
    this.eventsSinceSnapshot += 1;
    const erased = event.type === 'UserErased';
    if (erased) {
      this.options.personalData.forget(event.userId);
      this.opened.forget(event.userId);
    }
    // Not while replaying: a restart would fetch every user's key before being ready.
    else if (this.caughtUpOnce)
      this.options.personalData.warm(event).catch(() => {
        // The first read of the user fetches it, or says why it cannot.
      });
    // An erasure is saved at once: the snapshot stops counting and listing the user.
    if (erased || this.eventsSinceSnapshot >= snapshotEvery) await this.snapshot();
  }

  private async caughtUp(checkpoint: Checkpoint, currentAsOf: Date): Promise<void> {
    this.advanceCheckpoint(checkpoint);
    this.noteApplied(checkpoint);
    this.currentAsOf = currentAsOf.getTime();
    this.reconciling = false;
    if (
      Date.now() - this.lastSnapshotAt >=
      (this.options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS)
    )
      await this.snapshot();
    if (this.caughtUpOnce) return;
    this.caughtUpOnce = true;
    const { metrics, log } = this.options;
    const seconds = secondsSince(this.replayStartedAt);
    metrics.replayDuration.set(seconds);
    metrics.replayedEvents.set(this.replayed);
    log.info('ready', {
      users: this.projection.size,
      replayedEvents: this.replayed,
      replaySeconds: seconds,
    });
  }

  /**
   * While a user is parked the saved checkpoint stays before its unreadable event, so that after
   * a restart (with a fix deployed, or not) that event is met again instead of skipped.
   */
  private advanceCheckpoint(checkpoint: Checkpoint | null): void {
    if (checkpoint && this.projection.parkedCount === 0) this.checkpoint = checkpoint;
  }

  /** Parked users do not hold it back: lists refuse to answer while any user is parked. */
  private noteApplied(checkpoint: Checkpoint | null): void {
    if (!checkpoint) return;
    this.appliedPosition = this.options.store.events.commitPositionOf(checkpoint);
    for (const check of [...this.positionWaiters]) check();
  }

  private hasApplied(position: CommitPosition): boolean {
    const { events } = this.options.store;
    // Compared even before the first position, so that a malformed one is refused at once.
    const applied = this.appliedPosition;
    const order = events.comparePositions(applied ?? position, position);
    return applied !== null && order >= 0;
  }

  private lagMs(): number {
    return Math.max(0, Date.now() - this.currentAsOf);
  }

  /** Logs each change of readiness after the first, with its reason. */
  private watchReadiness(): void {
    let last: Readiness = this.readiness();
    this.readinessWatch = setInterval(() => {
      const now = this.readiness();
      const changed =
        now.ready !== last.ready || (!now.ready && !last.ready && now.reason !== last.reason);
      if (changed && this.caughtUpOnce) {
        if (now.ready) this.options.log.info('ready again');
        else
          this.options.log.warn('not ready', {
            reason: now.reason,
            lagSeconds: this.lagMs() / 1000,
          });
      }
      last = now;
    }, READINESS_LOG_EVERY_MS);
    this.readinessWatch.unref();
  }

  private async halt(): Promise<void> {
    this.stopped = true;
    clearInterval(this.readinessWatch);
    await this.subscription?.stop();
  }

  private async untilStopped<T>(load: () => Promise<T>): Promise<T | undefined> {
    while (!this.stopped) {
      try {
        return await load();
      } catch (error) {
        this.options.log.warn('cannot load the snapshot yet; retrying', {
          error: errorFields(error),
        });
        await new Promise((resolve) => setTimeout(resolve, this.options.restoreRetryMs ?? 500));
      }
    }
    return undefined;
  }
}

function secondsSince(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e9;
}

import {
  type Checkpoint,
  LeaseLostError,
  type Store,
  type Subscription,
  SubscriptionEndedError,
  type PartitionsSnapshot,
} from '@user-service/common/store';
import { errorFields, type Logger } from '@user-service/common/observability';
import { type PersonalData } from '@user-service/common/personal-data';
import { type UserEvent } from '@user-service/common/domain';
import type { AggregatorMetrics, AggregatorStatus } from './aggregator-metrics';
import type { AggregatorReads, HeldUsers } from './aggregator-reads';
import { AppliedPositions } from './applied-positions';
import { OpenedUsers } from './opened-users';
import { PROJECTION_VERSION, UserProjection } from './projection';
import { type NotReadyReason, Readiness } from './readiness';
import { SnapshotPolicy } from './snapshot-policy';

export interface AggregatorOptions {
  readonly partitions: readonly number[];
  /**
   * The epoch of the leases on `partitions` this aggregator serves them under: every snapshot it
   * saves carries it, and is refused once a lease moved on (then `onLeaseLost` is called).
   */
  readonly epoch?: number;
  /** A snapshot was refused: another aggregator holds one of the partitions now. */
  readonly onLeaseLost?: () => void;
  readonly snapshotEvery: number;
  readonly store: Store;
  /**
   * Users are held with their personal data sealed, as stored (nothing to decrypt while
   * restoring or replaying); it is opened only to answer a read.
   */
  readonly personalData: PersonalData;
  /** Opens users for answers; several aggregators of one node share one. */
  readonly openedUsers?: OpenedUsers;
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
  /**
   * Folds the partitions again from the log into this new generation, not trusting (not even
   * loading) what is saved of them, and saves nothing until `switchOver` saves them whole: while
   * it catches up, another aggregator goes on serving them (partition-rebuild.ts).
   */
  readonly rebuildInto?: number;
}

const DEFAULT_MAX_LAG_MS = 10_000;
const DEFAULT_CHECKPOINT_EVERY_MS = 60_000;
/** Reasons not to be ready that pass by themselves. */
const PASSING: ReadonlySet<NotReadyReason> = new Set([
  'joining',
  'restoring',
  'reconciling',
  'behind',
  'stopped',
]);
/** How often readiness is checked for changes worth a log line. */
const READINESS_LOG_EVERY_MS = 1000;

/**
 * Owns some partitions: restores their users from the last snapshot, applies every newer event
 * once, serves reads from memory while it knows it is caught up, and snapshots the changed users
 * as its SnapshotPolicy says.
 */
export class Aggregator implements AggregatorReads {
  private readonly projection = new UserProjection();
  /** The users held here, sealed as stored; a hook for tests and drills too. */
  readonly users: HeldUsers = this.projection;
  private readonly openedUsers: OpenedUsers;
  /** Opens users to answer; also for tests and drills comparing with a reference. */
  readonly opened: Pick<OpenedUsers, 'open' | 'openPage'>;
  private readonly readinessState: Readiness;
  /** Whether reads may be served from memory, and why not (GET /readyz). */
  readonly readiness: Pick<Readiness, 'isReady' | 'report'>;
  private readonly applied: AppliedPositions;
  readonly positions: Pick<AppliedPositions, 'waitFor'>;
  private readonly snapshotPolicy: SnapshotPolicy;
  private subscription: Subscription | null = null;
  private checkpoint: Checkpoint | null = null;
  private replayed = 0;
  private replayStartedAt = process.hrtime.bigint();
  /** The generation of the projection held here, known once loaded (or rebuilt into). */
  private loadedGeneration: number | null = null;
  /** A rebuild's saves are held until it switches over: then it saves its partitions whole. */
  private savesHeld: boolean;
  /** Every event folded here, a rebuild's progress. */
  private foldedEvents = 0;

  constructor(private readonly options: AggregatorOptions) {
    this.savesHeld = options.rebuildInto !== undefined;
    // A rebuild serves no page until it has caught up: its index is built once, then.
    if (this.savesHeld) this.projection.deferIndex();
    this.openedUsers = options.openedUsers ?? new OpenedUsers(options.personalData);
    this.opened = this.openedUsers;
    this.readinessState = new Readiness(options.maxLagMs ?? DEFAULT_MAX_LAG_MS);
    this.readiness = this.readinessState;
    this.applied = new AppliedPositions(options.store.events);
    this.positions = this.applied;
    this.snapshotPolicy = new SnapshotPolicy({
      snapshotEvery: options.snapshotEvery,
      checkpointEveryMs: options.checkpointEveryMs ?? DEFAULT_CHECKPOINT_EVERY_MS,
    });
  }

  /** What the status gauges show of it (the node adds up those of its partitions). */
  status(): AggregatorStatus {
    const readiness = this.readinessState.report();
    return {
      notReadyReason: readiness.ready ? null : readiness.reason,
      lagSeconds: this.readinessState.lagMs() / 1000,
      parkedUsers: this.projection.parkedCount,
      usersInMemory: this.projection.size,
    };
  }

  get partitions(): readonly number[] {
    return this.options.partitions;
  }

  /** Ready means caught up with the store, recently: only then are reads served from memory. */
  get isReady(): boolean {
    return this.readinessState.isReady;
  }

  /** Starts restoring in the background; `isReady` turns true once caught up. */
  async start(): Promise<void> {
    const { store, partitions, log, metrics } = this.options;
    this.readinessState.logChanges(log, READINESS_LOG_EVERY_MS);
    const loading = process.hrtime.bigint();
    const loaded = await this.untilStopped(() => this.load());
    if (!loaded || this.readinessState.isStopped) return;
    const restored = this.trusted(loaded);
    this.loadedGeneration = restored.generation;
    this.projection.restore(restored.entries);
    this.checkpoint = restored.checkpoint;
    metrics.restoreDuration.set(secondsSince(loading));
    metrics.restoredUsers.set(restored.entries.length);
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
          this.readinessState.historyLost();
          log.warn(
            'checkpoint no longer in history; reconciling partitions from the store (not ready meanwhile)',
          );
        },
      },
    );
    this.subscription.finished.catch((error: unknown) => {
      const reason = error instanceof SubscriptionEndedError ? error.reason : 'handler-failed';
      this.readinessState.ended(reason);
      log.error('subscription ended; not ready until restarted', {
        reason,
        error: errorFields(error),
      });
    });
  }

  /** What is saved of the partitions; nothing of it for a rebuild, which folds them from the log. */
  private async load(): Promise<PartitionsSnapshot> {
    const { store, partitions, rebuildInto } = this.options;
    if (rebuildInto === undefined) return store.snapshots.load(partitions);
    return {
      entries: [],
      checkpoint: null,
      projectionVersion: PROJECTION_VERSION,
      generation: rebuildInto,
    };
  }

  /**
   * The snapshot as loaded if this projection saved it; else nothing of it, so that the
   * partitions are folded again from the log (their next saves replace every entry).
   */
  private trusted(loaded: PartitionsSnapshot): PartitionsSnapshot {
    const { projectionVersion, checkpoint, entries } = loaded;
    const nothingSaved = checkpoint === null && entries.length === 0;
    if (projectionVersion === PROJECTION_VERSION || nothingSaved) return loaded;
    this.options.metrics.untrustedSnapshots.inc();
    this.options.log.warn('snapshot of another projection version; rebuilding from the log', {
      partitions: this.options.partitions,
      saved: projectionVersion,
      current: PROJECTION_VERSION,
    });
    return { ...loaded, entries: [], checkpoint: null, projectionVersion: PROJECTION_VERSION };
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

  /** The epoch of the leases it serves its partitions under, if it serves them by lease. */
  get epoch(): number | undefined {
    return this.options.epoch;
  }

  /** The generation of the projection held here; null until loaded. */
  get generation(): number | null {
    return this.loadedGeneration;
  }

  /**
   * Why this aggregator cannot fold its partitions to the end, if it cannot: its subscription
   * ended for good, or an event parked a user (what a rebuild reports as its failure; event and
   * user ids, never personal data).
   */
  get cannotFinish(): string | null {
    const report = this.readinessState.report();
    if (!report.ready && !PASSING.has(report.reason))
      return `its subscription ended: ${report.reason}`;
    return this.projection.anyParked()?.message ?? null;
  }

  /** Events folded here since it started: how far a rebuild got. */
  get folded(): number {
    return this.foldedEvents;
  }

  /**
   * A rebuild's one save of its partitions whole, in their new generation: every user it holds,
   * and what is saved of the partitions otherwise goes, in one atomic step (SnapshotBatch.whole).
   * Its saves are ordinary afterwards. Throws what the save threw, its users kept for a retry.
   */
  async switchOver(): Promise<void> {
    const { store, partitions, epoch, rebuildInto } = this.options;
    if (rebuildInto === undefined || !this.savesHeld) return;
    const entries = this.projection.takeChanges();
    try {
      await store.snapshots.save({
        partitions,
        entries,
        checkpoint: this.checkpoint,
        projectionVersion: PROJECTION_VERSION,
        generation: rebuildInto,
        whole: true,
        ...(epoch === undefined ? {} : { epoch }),
      });
    } catch (error) {
      this.projection.restoreChanges(entries);
      if (error instanceof LeaseLostError) this.options.onLeaseLost?.();
      throw error;
    }
    this.savesHeld = false;
    this.snapshotPolicy.taken();
  }

  async snapshot(): Promise<void> {
    if (this.savesHeld) return;
    const { store, partitions, epoch, metrics, log } = this.options;
    const entries = this.projection.takeChanges();
    const checkpoint = this.checkpoint;
    this.snapshotPolicy.taken();
    if (entries.length === 0 && !checkpoint) return;
    const timer = metrics.snapshotDuration.startTimer();
    try {
      await store.snapshots.save({
        partitions,
        entries,
        checkpoint,
        projectionVersion: PROJECTION_VERSION,
        generation: this.loadedGeneration ?? 0,
        ...(epoch === undefined ? {} : { epoch }),
      });
      metrics.snapshots.inc({ outcome: 'saved' });
      metrics.snapshotUsers.inc(entries.length);
    } catch (error) {
      if (error instanceof LeaseLostError) {
        metrics.snapshots.inc({ outcome: 'fenced' });
        log.warn('snapshot refused: the partition has another owner now', { partitions, epoch });
        this.options.onLeaseLost?.();
        return;
      }
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
    this.fold(event);
    this.reached(checkpoint);
    this.countApplied(event);
    this.followKeys(event);
    if (this.snapshotPolicy.dueAfter(event)) await this.snapshot();
  }

  private async caughtUp(checkpoint: Checkpoint, currentAsOf: Date): Promise<void> {
    this.projection.indexNow();
    this.reached(checkpoint);
    this.readinessState.confirmed(currentAsOf);
    if (this.snapshotPolicy.dueWhenQuiet()) await this.snapshot();
    if (this.readinessState.caughtUp()) this.reportReplayed();
  }

  /** Applies the event to its user, or parks the user when the event cannot be applied. */
  private fold(event: UserEvent): void {
    const outcome = this.projection.apply(event);
    if (outcome.kind !== 'parked') return;
    this.options.metrics.unreadableEvents.inc();
    this.options.log.error(
      'user parked: one of its events cannot be applied; its reads go to the store',
      {
        userId: event.userId,
        eventId: event.eventId,
        version: event.version,
        problem: outcome.error.problem,
      },
    );
  }

  /**
   * While a user is parked the saved checkpoint stays before its unreadable event, so that after
   * a restart (with a fix deployed, or not) that event is met again instead of skipped. Parked
   * users do not hold the applied position back: lists refuse to answer while any user is parked.
   */
  private reached(checkpoint: Checkpoint | null): void {
    if (!checkpoint) return;
    if (this.projection.parkedCount === 0) this.checkpoint = checkpoint;
    this.applied.reached(checkpoint);
  }

  private countApplied(event: UserEvent): void {
    const { metrics } = this.options;
    this.foldedEvents += 1;
    if (!this.readinessState.hasCaughtUp) this.replayed += 1;
    // A rebuild's events were applied once already, by the aggregator serving the partition.
    if (this.savesHeld) metrics.rebuildEvents.inc();
    else metrics.eventsApplied.inc({ partition: String(event.partition) });
  }

  /** An erasure drops the user's key and opened data here; other events fetch the key early. */
  private followKeys(event: UserEvent): void {
    const { personalData } = this.options;
    // A rebuild catching up serves no one: the aggregator serving the partition follows them.
    if (this.savesHeld && !this.readinessState.hasCaughtUp) return;
    if (event.type === 'UserErased') {
      personalData.forget(event.userId);
      this.openedUsers.forget(event.userId);
    }
    // Not while replaying: a restart would fetch every user's key before being ready.
    else if (this.readinessState.hasCaughtUp)
      personalData.warm(event).catch(() => {
        // The first read of the user fetches it, or says why it cannot.
      });
  }

  private reportReplayed(): void {
    const { metrics, log } = this.options;
    const seconds = secondsSince(this.replayStartedAt);
    metrics.replayDuration.set(seconds);
    metrics.replayedEvents.inc(this.replayed);
    log.info('ready', {
      users: this.projection.size,
      replayedEvents: this.replayed,
      replaySeconds: seconds,
    });
  }

  private async halt(): Promise<void> {
    this.readinessState.stop();
    await this.subscription?.stop();
  }

  private async untilStopped<T>(load: () => Promise<T>): Promise<T | undefined> {
    while (!this.readinessState.isStopped) {
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

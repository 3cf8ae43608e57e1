import type { SubscriptionEndReason } from '@user-service/common/store';

/**
 * Why an aggregator does not serve reads:
 * - `joining`: the node has not yet finished its first round with the partition leases;
 * - `restoring`: loading its snapshot and replaying, not caught up yet;
 * - `reconciling`: its checkpoint fell out of the store's history, it is re-reading its partitions;
 * - `behind`: it has not confirmed being caught up for longer than it may lag (store unreachable,
 *   retries without progress, or too much to apply);
 * - a SubscriptionEndReason: its subscription ended for good and needs an operator;
 * - `master-key-mismatch`: its master keys open none of the store's keys: it needs the right one;
 * - `stopped`: shutting down.
 */
export type NotReadyReason =
  | 'joining'
  | 'restoring'
  | 'reconciling'
  | 'behind'
  | SubscriptionEndReason
  | 'master-key-mismatch'
  | 'stopped';

/** Where changes of readiness are told: the aggregator's logger. */
export interface ReadinessLog {
  info(message: string): void;
  warn(message: string, fields: Readonly<Record<string, unknown>>): void;
}

export type ReadinessReport =
  { readonly ready: true } | { readonly ready: false; readonly reason: NotReadyReason };

/**
 * Whether an aggregator may serve reads from memory: only while it knows it is caught up with the
 * store, recently. It follows what the subscription reports (caught up as of a time, history
 * lost, ended) and the aggregator's own stop.
 */
export class Readiness {
  private caughtUpOnce = false;
  private reconciling = false;
  private endedBecause: NotReadyReason | null = null;
  private stopped = false;
  /** Every change committed before this time (ms) has been applied. */
  private currentAsOf: number;
  private watch: NodeJS.Timeout | undefined;

  constructor(
    private readonly maxLagMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.currentAsOf = now();
  }

  get isReady(): boolean {
    return this.report().ready;
  }

  /** False while restoring and replaying; true for good once caught up the first time. */
  get hasCaughtUp(): boolean {
    return this.caughtUpOnce;
  }

  get isStopped(): boolean {
    return this.stopped;
  }

  report(): ReadinessReport {
    if (this.stopped) return { ready: false, reason: 'stopped' };
    if (this.endedBecause) return { ready: false, reason: this.endedBecause };
    if (!this.caughtUpOnce) return { ready: false, reason: 'restoring' };
    if (this.reconciling) return { ready: false, reason: 'reconciling' };
    if (this.lagMs() > this.maxLagMs) return { ready: false, reason: 'behind' };
    return { ready: true };
  }

  /** How far behind the store the users held may be. */
  lagMs(): number {
    return Math.max(0, this.now() - this.currentAsOf);
  }

  /** The subscription confirmed that every change committed before `currentAsOf` is applied. */
  confirmed(currentAsOf: Date): void {
    this.currentAsOf = currentAsOf.getTime();
    this.reconciling = false;
  }

  /** Records that replaying is over; true the first time only. */
  caughtUp(): boolean {
    if (this.caughtUpOnce) return false;
    this.caughtUpOnce = true;
    return true;
  }

  /** The checkpoint fell out of the store's history: not ready until the next confirmation. */
  historyLost(): void {
    this.reconciling = true;
  }

  /** The subscription ended for good: not ready until restarted. */
  ended(reason: NotReadyReason): void {
    this.endedBecause = reason;
  }

  stop(): void {
    this.stopped = true;
    clearInterval(this.watch);
  }

  /**
   * Logs each change of readiness after the first catch-up, with its reason, looking every
   * `everyMs`; the lag is worth a line only when it changes readiness.
   */
  logChanges(log: ReadinessLog, everyMs: number): void {
    let last = this.report();
    this.watch = setInterval(() => {
      const now = this.report();
      if (this.caughtUpOnce && changed(last, now)) {
        if (now.ready) log.info('ready again');
        else log.warn('not ready', { reason: now.reason, lagSeconds: this.lagMs() / 1000 });
      }
      last = now;
    }, everyMs);
    this.watch.unref();
  }
}

function changed(before: ReadinessReport, after: ReadinessReport): boolean {
  return (
    before.ready !== after.ready ||
    (!before.ready && !after.ready && before.reason !== after.reason)
  );
}

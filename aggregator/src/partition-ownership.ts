import type { LeaseHolder, PartitionLeases, StoreLayout } from '@user-service/common/store';

/** What the ownership asks of the partitions it takes and gives up. */
export interface PartitionServing {
  /** Start serving `partition` under this epoch: restore its snapshot and catch up. */
  take(partition: number, epoch: number): void;
  /** Stop at once, saving nothing: the lease is someone else's now. */
  drop(partition: number): Promise<void>;
  /** Stop and save a final snapshot under the lease, before it is released for another to take. */
  handOver(partition: number): Promise<void>;
}

export interface PartitionOwnershipOptions {
  readonly leases: PartitionLeases;
  /** The store's layout, for its partition count (read at each round: the store caches it). */
  readonly layout: () => Promise<StoreLayout>;
  readonly holder: LeaseHolder;
  /** How long a lease lasts unless renewed; rounds run three times per lease. */
  readonly leaseMs: number;
  readonly serving: PartitionServing;
  /**
   * At start, no partition is taken until this many holders are alive, or a lease time has
   * passed: holders started together then go straight to their shares instead of one taking
   * everything and handing most of it over at once.
   */
  readonly expectedHolders?: number;
  /** A monotonic clock in milliseconds: a lease is counted from when its round began. */
  readonly now?: () => number;
}

/** How much of a lease a holder trusts: the rest covers clocks that run at slightly different rates. */
const TRUSTED_SHARE = 0.9;
/** After a peer's heartbeat runs out, how long to wait for its leases, renewed just after it, to run out too. */
const AFTER_EXPIRY_MS = 50;
/** How soon to look again while a partition is about to change hands (a handover, a join). */
const FOLLOW_UP_MS = 200;

/**
 * Keeps this aggregator's share of the partitions under lease. Each round (`round`, every third
 * of a lease): a heartbeat, which answers the live aggregators; a renewal of the leases held; then
 * a rebalance toward the preferred assignment, partition p to the (p mod n)-th live aggregator by
 * name. Partitions preferred by another are handed over (a final snapshot, then a release);
 * preferred ones that are free or expired are acquired. With aggregators named in index order
 * this is the fixed `p % AGG_N` assignment of old, and any change of the live set converges to
 * the assignment for the new set without a restart (docs/decisions/0014).
 *
 * Rounds come every third of a lease, and sooner when something is about to change: just after a
 * peer's heartbeat runs out (a dead peer's partitions are taken as soon as its leases let them),
 * and shortly after a round that found a partition it is to take still held by another (a
 * handover under way) or that is still waiting for its peers to join. A takeover then costs about
 * a lease time, not a lease time and two rounds.
 *
 * Between rounds `holds` says whether a partition may still be served as its owner: only until
 * the lease would expire counted from the start of the round that last renewed it, which is
 * never later than the store's own expiry of it. A paused process wakes up past that time and
 * stops answering as owner before its next round can even run.
 */
export class PartitionOwnership {
  private readonly epochs = new Map<number, number>();
  private readonly trustedUntil = new Map<number, number>();
  private readonly now: () => number;
  private readonly startedAt: number;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private stopped = false;
  private paused = false;
  /** The store's partition count, once a round has read it. */
  partitionCount: number | null = null;
  /** Whether the first rebalance has run: before it, nothing is taken. */
  joined = false;
  /** When the next round is due, in ms from the end of the last one (see the class comment). */
  nextRoundInMs: number;

  constructor(private readonly options: PartitionOwnershipOptions) {
    this.now = options.now ?? (() => performance.now());
    this.startedAt = this.now();
    this.nextRoundInMs = options.leaseMs / 3;
  }

  /** For drills, as SIGSTOP would: rounds are skipped, so nothing is renewed, until `resume`. */
  pause(): void {
    this.paused = true;
  }

  resume(): void {
    this.paused = false;
  }

  /** Runs rounds until `stop`; `onRound` hears of each one's outcome (metrics, logs). */
  start(onRound: (outcome: RoundOutcome) => void): void {
    const loop = async () => {
      if (this.stopped) return;
      const started = this.now();
      const outcome = await this.round().then(
        (changes): RoundOutcome => ({ ok: true, changes, ms: this.now() - started }),
        (error: unknown): RoundOutcome => ({ ok: false, error, ms: this.now() - started }),
      );
      onRound(outcome);
      const delay = outcome.ok ? this.nextRoundInMs : this.options.leaseMs / 3;
      if (!this.stopped) this.timer = setTimeout(run, delay);
    };
    const run = () => {
      this.running = loop();
    };
    run();
  }

  /** The partitions held now, whether or not still trusted. */
  get held(): number[] {
    return [...this.epochs.keys()].sort((a, b) => a - b);
  }

  /** Whether `partition` may be answered for as its owner at this moment. */
  holds(partition: number): boolean {
    return (this.trustedUntil.get(partition) ?? Number.NEGATIVE_INFINITY) > this.now();
  }

  epochOf(partition: number): number | undefined {
    return this.epochs.get(partition);
  }

  /**
   * One round with the store; answers what changed. Throws when the store fails, leaving what is
   * held as it was: its trust runs out on its own if the store stays away.
   */
  async round(): Promise<PartitionChange[]> {
    const { leases, holder, leaseMs, serving } = this.options;
    const changes: PartitionChange[] = [];
    if (this.paused) return changes;
    const startedAt = this.now();
    const trusted = startedAt + leaseMs * TRUSTED_SHARE;
    const { partitions: partitionCount } = await this.bounded(this.options.layout());
    this.partitionCount = partitionCount;
    const live = await this.bounded(leases.heartbeat(holder, leaseMs));
    let next = leaseMs / 3;
    for (const peer of live)
      if (peer.name !== holder.name) next = Math.min(next, peer.expiresInMs + AFTER_EXPIRY_MS);
    this.nextRoundInMs = next;
    const soon = () => {
      this.nextRoundInMs = Math.min(this.nextRoundInMs, FOLLOW_UP_MS);
    };
    if (this.epochs.size > 0) {
      const still = new Set(await this.bounded(leases.renew(holder.name, this.epochs, leaseMs)));
      for (const partition of this.held) {
        if (still.has(partition)) this.trustedUntil.set(partition, trusted);
        else {
          await this.forget(partition, () => serving.drop(partition));
          changes.push({ partition, change: 'lost' });
        }
      }
    }
    if (this.stopped) return changes;
    const waiting = live.length < (this.options.expectedHolders ?? 1);
    if (!this.joined && waiting && startedAt - this.startedAt < leaseMs) {
      soon();
      return changes;
    }
    this.joined = true;
    const preferred = preferredPartitions(holder.name, live, partitionCount);
    for (const partition of this.held) {
      if (preferred.has(partition)) continue;
      await this.giveUp(partition);
      changes.push({ partition, change: 'handed_over' });
    }
    const current = await this.bounded(leases.current());
    const leased = new Map(current.map((lease) => [lease.partition, lease]));
    for (const partition of preferred) {
      if (this.epochs.has(partition)) continue;
      const lease = leased.get(partition);
      if (lease && lease.holder.name !== holder.name) {
        soon(); // its holder hands it over at its next round
        continue;
      }
      const epoch = await this.bounded(leases.acquire(partition, holder, leaseMs));
      if (epoch === null) soon();
      if (epoch === null || this.stopped) continue;
      this.epochs.set(partition, epoch);
      this.trustedUntil.set(partition, trusted);
      serving.take(partition, epoch);
      changes.push({ partition, change: 'acquired' });
    }
    return changes;
  }

  /** A snapshot of `partition` was refused: another holder has it now. */
  async lost(partition: number): Promise<void> {
    if (!this.epochs.has(partition)) return;
    await this.forget(partition, () => this.options.serving.drop(partition));
  }

  /** Hands every partition over and leaves, so that the others take them at their next round. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    for (const partition of this.held) await this.giveUp(partition).catch(() => undefined);
    await this.bounded(this.options.leases.leave(this.options.holder.name)).catch(() => undefined);
  }

  /** Stops without a word to the store, as a crash would: the leases run out on their own. */
  async abandon(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running?.catch(() => undefined);
    for (const partition of this.held)
      await this.forget(partition, () => this.options.serving.drop(partition));
  }

  private async giveUp(partition: number): Promise<void> {
    const { leases, holder, serving } = this.options;
    const epoch = this.epochs.get(partition);
    await this.forget(partition, () => serving.handOver(partition));
    if (epoch !== undefined) await this.bounded(leases.release(partition, holder.name, epoch));
  }

  /**
   * A store call of a round, given up after a third of a lease: a store that stops answering
   * must not stop the rounds (nor a stop) for good. A call given up may still land (a lease
   * taken): no one renews such a lease, and it runs out.
   */
  private bounded<T>(call: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const limit = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error('the store did not answer within a third of a lease')),
        this.options.leaseMs / 3,
      );
    });
    return Promise.race([call, limit]).finally(() => clearTimeout(timer));
  }

  /** No longer answered for from this moment, whatever stopping it takes. */
  private async forget(partition: number, stop: () => Promise<void>): Promise<void> {
    this.trustedUntil.delete(partition);
    this.epochs.delete(partition);
    await stop();
  }
}

export type RoundOutcome =
  | { readonly ok: true; readonly changes: readonly PartitionChange[]; readonly ms: number }
  | { readonly ok: false; readonly error: unknown; readonly ms: number };

export interface PartitionChange {
  readonly partition: number;
  readonly change: 'acquired' | 'handed_over' | 'lost';
}

const byName = new Intl.Collator('en', { numeric: true }).compare;

/**
 * The partitions the assignment gives `name` among the live holders: p goes to the (p mod n)-th
 * by name, in numeric order (aggregator-2 before aggregator-10). Empty when `name` is not among
 * them (its heartbeat was not seen: it takes nothing until it is).
 */
export function preferredPartitions(
  name: string,
  live: readonly LeaseHolder[],
  partitionCount: number,
): Set<number> {
  const names = [...new Set(live.map((holder) => holder.name))].sort(byName);
  const index = names.indexOf(name);
  const mine = new Set<number>();
  if (index < 0) return mine;
  for (let partition = index; partition < partitionCount; partition += names.length)
    mine.add(partition);
  return mine;
}

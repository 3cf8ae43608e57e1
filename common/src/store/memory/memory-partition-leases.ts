import type { LeaseHolder, LiveHolder, PartitionLease, PartitionLeases } from '../partition-leases';
import { LeaseLostError } from '../partition-leases';
import { OutageSwitch } from './outage-switch';

interface HeldLease {
  readonly holder: LeaseHolder;
  readonly epoch: number;
  expiresAt: number;
}

/**
 * Leases in this process's memory, for STORE=memory and tests: the same rules as the MongoDB
 * adapter, with `now` as the store's clock. Each step checks and changes in one synchronous run,
 * so it is atomic as a single-document update is.
 */
export class InMemoryPartitionLeases implements PartitionLeases {
  private readonly leases = new Map<number, HeldLease>();
  /** The last epoch of each partition, kept after a release so that the next one is higher. */
  private readonly epochs = new Map<number, number>();
  private readonly holders = new Map<string, { url: string; expiresAt: number }>();

  constructor(
    private readonly outage = new OutageSwitch(),
    private readonly now: () => number = Date.now,
  ) {}

  async heartbeat(holder: LeaseHolder, ttlMs: number): Promise<LiveHolder[]> {
    this.outage.check('heartbeat');
    const now = this.now();
    this.holders.set(holder.name, { url: holder.url, expiresAt: now + ttlMs });
    return [...this.holders]
      .filter(([, { expiresAt }]) => expiresAt > now)
      .map(([name, { url, expiresAt }]) => ({ name, url, expiresInMs: expiresAt - now }));
  }

  async leave(name: string): Promise<void> {
    this.outage.check('leave');
    this.holders.delete(name);
  }

  async current(): Promise<PartitionLease[]> {
    this.outage.check('read the leases');
    const now = this.now();
    return [...this.leases]
      .filter(([, lease]) => lease.expiresAt > now)
      .sort(([a], [b]) => a - b)
      .map(([partition, { holder, epoch }]) => ({ partition, holder, epoch }));
  }

  async acquire(partition: number, holder: LeaseHolder, ttlMs: number): Promise<number | null> {
    this.outage.check('acquire a lease');
    const now = this.now();
    const lease = this.leases.get(partition);
    if (lease && lease.expiresAt > now && lease.holder.name !== holder.name) return null;
    const epoch = (this.epochs.get(partition) ?? 0) + 1;
    this.epochs.set(partition, epoch);
    this.leases.set(partition, { holder, epoch, expiresAt: now + ttlMs });
    return epoch;
  }

  async renew(name: string, epochs: ReadonlyMap<number, number>, ttlMs: number): Promise<number[]> {
    this.outage.check('renew leases');
    const expiresAt = this.now() + ttlMs;
    const held: number[] = [];
    for (const [partition, epoch] of epochs) {
      const lease = this.leases.get(partition);
      if (lease?.holder.name !== name || lease.epoch !== epoch) continue;
      lease.expiresAt = expiresAt;
      held.push(partition);
    }
    return held;
  }

  async release(partition: number, name: string, epoch: number): Promise<void> {
    this.outage.check('release a lease');
    const lease = this.leases.get(partition);
    if (lease?.holder.name === name && lease.epoch === epoch) this.leases.delete(partition);
  }

  /**
   * Throws LeaseLostError unless every one of the partitions is leased at `epoch`: the snapshot
   * store's check, in the same synchronous step as its save.
   */
  checkEpoch(partitions: readonly number[], epoch: number): void {
    const lost = partitions.filter((partition) => this.leases.get(partition)?.epoch !== epoch);
    if (lost.length > 0) throw new LeaseLostError(lost, epoch);
  }
}

import type { LeaseHolder, PartitionLeases } from '@user-service/common/store';
import { errorFields, type Logger } from '@user-service/common/observability';

/** How often the leases are read again while nothing says they changed. */
export const DEFAULT_OWNERS_REFRESH_MS = 500;
/** Reads asked for by answers (`refreshSoon`) are at least this far apart, however many ask. */
const MIN_REFRESH_GAP_MS = 100;

/** Every partition by owner, and those without one. */
export interface Shares {
  readonly owned: readonly OwnerShare[];
  readonly unowned: readonly number[];
}

/** One owner's partitions, as a list or count asks it for them together. */
export interface OwnerShare {
  readonly holder: LeaseHolder;
  readonly partitions: readonly number[];
}

/**
 * Which aggregator owns each partition, as the store's leases say, read again every `refreshMs`
 * and soon (at most every MIN_REFRESH_GAP_MS) when an owner could not answer: it no longer owns
 * what it was asked for, or it is gone, and another may have taken its partitions over. A partition missing here has no owner: its reads fold from the store, its lists read the
 * snapshot, until one takes it.
 */
export class PartitionOwners {
  private owners = new Map<number, LeaseHolder>();
  private timer: NodeJS.Timeout | null = null;
  private refreshing: Promise<void> | null = null;
  private lastRefreshAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** The last shares worked out, and of which owners and count: every list asks for them. */
  private sharesOf: { owners: Map<number, LeaseHolder>; count: number; shares: Shares } | null =
    null;

  constructor(
    private readonly leases: Pick<PartitionLeases, 'current'>,
    /** The store's partition count; null while not known, when there is nothing to route. */
    private readonly partitionCount: () => number | null,
    private readonly log: Logger,
    private readonly refreshMs = DEFAULT_OWNERS_REFRESH_MS,
    /** Told the owners after each refresh (the client closes connections to those gone). */
    private readonly onRefresh: (owners: readonly LeaseHolder[]) => void = () => undefined,
  ) {}

  /** Reads the leases once, then keeps them fresh until `close`. */
  async start(): Promise<void> {
    await this.refresh();
    this.schedule();
  }

  ownerOf(partition: number): LeaseHolder | undefined {
    return this.owners.get(partition);
  }

  /** Every partition by owner, and those without one; worked out again only when they change. */
  shares(): Shares {
    const count = this.partitionCount() ?? 0;
    const known = this.sharesOf;
    if (known?.owners === this.owners && known.count === count) return known.shares;
    const shares = this.shareOut(count);
    this.sharesOf = { owners: this.owners, count, shares };
    return shares;
  }

  private shareOut(count: number): Shares {
    const byName = new Map<string, { holder: LeaseHolder; partitions: number[] }>();
    const unowned: number[] = [];
    for (let partition = 0; partition < count; partition++) {
      const holder = this.owners.get(partition);
      if (!holder) {
        unowned.push(partition);
        continue;
      }
      const share = byName.get(holder.name) ?? { holder, partitions: [] };
      share.partitions.push(partition);
      byName.set(holder.name, share);
    }
    return { owned: [...byName.values()], unowned };
  }

  /** Reads the leases again now, unless a read is under way or one began a moment ago. */
  refreshSoon(): void {
    if (this.refreshing || performance.now() - this.lastRefreshAt < MIN_REFRESH_GAP_MS) return;
    void this.refresh();
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
  }

  private schedule(): void {
    if (this.closed) return;
    this.timer = setTimeout(() => {
      void this.refresh().finally(() => this.schedule());
    }, this.refreshMs);
    this.timer.unref();
  }

  private refresh(): Promise<void> {
    if (!this.refreshing) this.lastRefreshAt = performance.now();
    this.refreshing ??= this.readLeases().finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async readLeases(): Promise<void> {
    try {
      const leases = await this.leases.current();
      this.owners = new Map(leases.map(({ partition, holder }) => [partition, holder]));
      this.onRefresh([...new Map(leases.map(({ holder }) => [holder.url, holder])).values()]);
    } catch (error) {
      // Kept as they were: an owner that lost a partition meanwhile refuses it (421), and the
      // read folds from the store.
      this.log.warn('cannot read the partition leases; routing as before', {
        error: errorFields(error),
      });
    }
  }
}

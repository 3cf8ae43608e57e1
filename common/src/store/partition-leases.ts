// The partition lease port: which aggregator serves which partition, for how long, at which epoch.

/** An aggregator as the leases know it: a name unique among the live ones, and where gateways reach it. */
export interface LeaseHolder {
  readonly name: string;
  readonly url: string;
}

/** A holder whose heartbeat is live, and how long it stays so unless renewed (the store's clock). */
export interface LiveHolder extends LeaseHolder {
  readonly expiresInMs: number;
}

/**
 * A live lease: `holder` serves `partition` until the lease expires. `epoch` grows by one each
 * time the partition changes hands, so that a write carrying an older epoch is refused (fencing).
 */
export interface PartitionLease {
  readonly partition: number;
  readonly holder: LeaseHolder;
  readonly epoch: number;
}

/**
 * Leases with fencing epochs, and the heartbeats that say which aggregators are alive. Expiry is
 * judged by the store's clock alone (on MongoDB, `$$NOW` on the primary), so that holders' and
 * gateways' clocks need not agree: a holder counts its lease from the moment it asked, which is
 * never later than the store's own start of it.
 */
export interface PartitionLeases {
  /**
   * Says `holder` is alive for `ttlMs` more; answers every live holder, itself included, with how
   * long each stays live unless it renews (a holder that died is seen to, and its leases run out
   * about when its heartbeat does).
   */
  heartbeat(holder: LeaseHolder, ttlMs: number): Promise<LiveHolder[]>;
  /** Ends `name`'s heartbeat (a graceful stop), so that the others rebalance without waiting for it to expire. */
  leave(name: string): Promise<void>;
  /** The live leases, in partition order. */
  current(): Promise<PartitionLease[]>;
  /**
   * Takes `partition` for `ttlMs` unless another holder's lease on it is live (a holder of the
   * same name is this holder restarted, and is taken over); answers the new epoch, one above the
   * partition's last, or null when it is held.
   */
  acquire(partition: number, holder: LeaseHolder, ttlMs: number): Promise<number | null>;
  /**
   * Extends, for `ttlMs`, the leases `name` holds at these epochs (partition to epoch); answers
   * the partitions it still holds. A lease that expired is extended too if no one took it since:
   * its epoch is unchanged, so no other holder has written under it.
   */
  renew(name: string, epochs: ReadonlyMap<number, number>, ttlMs: number): Promise<number[]>;
  /** Gives `partition` up at once (a handover), if `name` still holds it at `epoch`. */
  release(partition: number, name: string, epoch: number): Promise<void>;
}

/** What was fixed when the store was initialised, and never changes afterwards. */
export interface StoreLayout {
  /** How many partitions users are hashed into (docs/decisions: choosing the partition count). */
  readonly partitions: number;
  /**
   * Names this store among all others: a consistency token from another deployment carries
   * another, and is refused rather than compared with positions it has nothing to do with.
   */
  readonly storeId: string;
}

/**
 * A snapshot save by a holder whose lease on one of the partitions has moved on to a later
 * epoch: nothing of the save was stored.
 */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(
    readonly partitions: readonly number[],
    readonly epoch: number,
  ) {
    super(`the leases on partitions ${partitions.join(',')} are no longer at epoch ${epoch}`);
  }
}

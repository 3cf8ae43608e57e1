import {
  type DataKeyStore,
  type EventStore,
  type IdempotencyStore,
  type PartitionLeases,
  type ProjectionRebuilds,
  type SnapshotBatch,
  type SnapshotStore,
  type Store,
  VersionConflictError,
  wrapStore,
} from '@user-service/common/store';

/**
 * Where a gateway can die during a keyed write: right after it took the key, just before its
 * append, right after the append (stored, or refused for good), or right after it remembered the
 * outcome. An erasure destroys its user's key in its append, so it has no point of its own.
 */
export type GatewayCrashPoint = 'afterBegin' | 'beforeAppend' | 'afterAppend' | 'afterFinish';

/**
 * A store whose next snapshot save for some partitions can be made to die half-way: half the
 * users are written, the checkpoint is not, and the save fails, as when the process is killed
 * in the middle of writing a snapshot. A gateway's write can be made to stop for good at one of
 * its steps, as when the gateway's process is killed there: the store call it is in never
 * returns (the step itself is done or not, as the point says).
 */
export class FaultInjectingStore implements Store {
  readonly events: EventStore;
  readonly snapshots: SnapshotStore;
  readonly idempotency: IdempotencyStore;
  readonly dataKeys: DataKeyStore;
  readonly leases: PartitionLeases;
  readonly rebuilds: ProjectionRebuilds;
  readonly layout: Store['layout'];
  readonly ping: Store['ping'];
  readonly close: Store['close'];
  private breakNextSaveOf: ReadonlySet<number> | null = null;
  private gatewayTrap: { point: GatewayCrashPoint; sprung: () => void } | null = null;

  constructor(store: Store) {
    const wrapped = wrapStore(store, {
      snapshots: { save: (batch) => this.save(store, batch) },
      events: {
        append: async (...args) => {
          await this.stopAt('beforeAppend');
          return this.afterFinal('afterAppend', store.events.append(...args));
        },
      },
      idempotency: {
        begin: (...args) => this.after('afterBegin', store.idempotency.begin(...args)),
        finish: (...args) => this.after('afterFinish', store.idempotency.finish(...args)),
      },
    });
    this.events = wrapped.events;
    this.snapshots = wrapped.snapshots;
    this.idempotency = wrapped.idempotency;
    this.dataKeys = wrapped.dataKeys;
    this.leases = wrapped.leases;
    this.rebuilds = wrapped.rebuilds;
    this.layout = wrapped.layout;
    this.ping = wrapped.ping;
    this.close = wrapped.close;
  }

  breakNextSnapshotOf(partitions: readonly number[]): void {
    this.breakNextSaveOf = new Set(partitions);
  }

  /** Resolves when the next keyed write of a gateway reaches `point`, which it never passes. */
  stopNextWriteAt(point: GatewayCrashPoint): Promise<void> {
    return new Promise((sprung) => {
      this.gatewayTrap = { point, sprung };
    });
  }

  /** Disarms a trap the write never reached (it was refused before that step). */
  disarm(): void {
    this.gatewayTrap = null;
  }

  /** The step is done, whether it succeeded or failed, and then the process stops at `point`. */
  private async after<T>(point: GatewayCrashPoint, step: Promise<T>): Promise<T> {
    try {
      return await step;
    } finally {
      await this.stopAt(point);
    }
  }

  /**
   * As `after`, except past a VersionConflictError: the gateway decides such a write again and
   * appends once more (a create taken for new learns that its user exists), so the write has not
   * passed its append yet.
   */
  private async afterFinal<T>(point: GatewayCrashPoint, step: Promise<T>): Promise<T> {
    let result: T;
    try {
      result = await step;
    } catch (error) {
      if (!(error instanceof VersionConflictError)) await this.stopAt(point);
      throw error;
    }
    await this.stopAt(point);
    return result;
  }

  /** At the armed point, never returns: the process that made the call is gone. */
  private stopAt(point: GatewayCrashPoint): Promise<void> {
    const trap = this.gatewayTrap;
    if (trap?.point !== point) return Promise.resolve();
    this.gatewayTrap = null;
    trap.sprung();
    return new Promise<void>(() => undefined);
  }

  private async save(store: Store, batch: SnapshotBatch): Promise<void> {
    const broken = this.breakNextSaveOf;
    if (broken && batch.partitions.some((partition) => broken.has(partition))) {
      this.breakNextSaveOf = null;
      const half = batch.entries.slice(0, Math.floor(batch.entries.length / 2));
      await store.snapshots.save({ partitions: batch.partitions, entries: half, checkpoint: null });
      throw new Error('killed while writing the snapshot (injected)');
    }
    await store.snapshots.save(batch);
  }
}

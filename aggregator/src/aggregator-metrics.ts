import { labelValue } from '@user-service/common/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { NotReadyReason } from './readiness';

export type AggregatorMetrics = ReturnType<typeof createAggregatorMetrics>;

/** What the gauges below read at each scrape, so they move with time even when nothing else does. */
export interface AggregatorStatus {
  readonly notReadyReason: NotReadyReason | null;
  /** How far behind the store the users in memory may be. */
  readonly lagSeconds: number;
  readonly parkedUsers: number;
  readonly usersInMemory: number;
}

/**
 * The reasons a scrape can see, one series each. Not `stopped`: a node closes its HTTP server
 * before it stops its aggregator, so no scrape ever meets a stopped one (`up` goes to 0).
 */
export const NOT_READY_REASONS: readonly Exclude<NotReadyReason, 'stopped'>[] = [
  'joining',
  'restoring',
  'reconciling',
  'behind',
  'handler-failed',
  'event-gap',
  'stream-invalidated',
  'malformed-event',
];

export function createAggregatorMetrics(registry: Registry) {
  const registers = [registry];
  let status: () => AggregatorStatus = () => ({
    notReadyReason: 'restoring',
    lagSeconds: 0,
    parkedUsers: 0,
    usersInMemory: 0,
  });
  return {
    /** Where the status gauges read from; the aggregator binds itself here. */
    reportStatusFrom(source: () => AggregatorStatus): void {
      status = source;
    },
    eventsApplied: new Counter({
      name: 'aggregator_events_applied_total',
      help: 'Events folded into the in-memory users',
      labelNames: ['partition'],
      registers,
    }),
    applyLag: new Gauge({
      name: 'aggregator_apply_lag_seconds',
      help: 'How far behind the store the users in memory may be: time since the subscription last confirmed it had every change committed up to then',
      registers,
      collect() {
        this.set(status().lagSeconds);
      },
    }),
    usersInMemory: new Gauge({
      name: 'aggregator_users_in_memory',
      help: 'Users held in memory',
      registers,
      collect() {
        this.set(status().usersInMemory);
      },
    }),
    partitionsOwned: new Gauge({
      name: 'aggregator_partitions_owned',
      help: 'Partitions this aggregator holds a lease on and serves (or is restoring)',
      registers,
    }),
    partitionChanges: new Counter({
      name: 'aggregator_partition_changes_total',
      help: 'Partitions taken (acquired), handed over to another aggregator on a rebalance (handed_over), or found taken by another (lost)',
      labelNames: ['change'],
      registers,
    }),
    leaseRounds: new Counter({
      name: 'aggregator_lease_rounds_total',
      help: 'Rounds of heartbeat, renewal and rebalancing with the store, by outcome: done, failed',
      labelNames: ['outcome'],
      registers,
    }),
    leaseRoundDuration: new Histogram({
      name: 'aggregator_lease_round_duration_seconds',
      help: 'Time one round of heartbeat, renewal and rebalancing took (its store calls)',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    ready: new Gauge({
      name: 'aggregator_ready',
      help: '1 while caught up with the store and serving reads; see aggregator_not_ready for why not',
      registers,
      collect() {
        this.set(status().notReadyReason === null ? 1 : 0);
      },
    }),
    notReady: new Gauge({
      name: 'aggregator_not_ready',
      help: '1 for the reason the aggregator is not ready, 0 for the others: joining, restoring, reconciling, behind, or an ended subscription (handler_failed, event_gap, stream_invalidated, malformed_event)',
      labelNames: ['reason'],
      registers,
      collect() {
        const current = status().notReadyReason;
        for (const reason of NOT_READY_REASONS)
          this.set({ reason: labelValue(reason) }, reason === current ? 1 : 0);
      },
    }),
    parkedUsers: new Gauge({
      name: 'aggregator_parked_users',
      help: 'Users not served because one of their events cannot be applied (see the log for the event id)',
      registers,
      collect() {
        this.set(status().parkedUsers);
      },
    }),
    unreadableEvents: new Counter({
      name: 'aggregator_unreadable_events_total',
      help: 'Events that could not be applied (unknown type or malformed data); each parks its user',
      registers,
    }),
    snapshots: new Counter({
      name: 'aggregator_snapshots_total',
      help: 'Snapshots written, by outcome: saved, failed, fenced (refused: the lease moved on)',
      labelNames: ['outcome'],
      registers,
    }),
    snapshotUsers: new Counter({
      name: 'aggregator_snapshot_users_written_total',
      help: 'Users written by snapshots',
      registers,
    }),
    snapshotDuration: new Histogram({
      name: 'aggregator_snapshot_duration_seconds',
      help: 'Time to write one snapshot',
      buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
      registers,
    }),
    restoreDuration: new Gauge({
      name: 'aggregator_restore_duration_seconds',
      help: 'Time the last partition taken took to load its snapshot',
      registers,
    }),
    rebuildEvents: new Counter({
      name: 'aggregator_rebuild_events_total',
      help: 'Events folded again from the log into a new generation of the projection',
      registers,
    }),
    rebuilds: partitionRebuilds(registers),
    rebuildsRunning: new Gauge({
      name: 'aggregator_partition_rebuilds_running',
      help: 'Partitions being folded again into a new generation here now',
      registers,
    }),
    untrustedSnapshots: new Counter({
      name: 'aggregator_untrusted_snapshots_total',
      help: 'Partitions taken whose snapshot another projection version saved, so rebuilt from the log',
      registers,
    }),
    restoredUsers: new Gauge({
      name: 'aggregator_restored_users',
      help: 'Users loaded from the snapshot of the last partition taken',
      registers,
    }),
    replayDuration: new Gauge({
      name: 'aggregator_replay_duration_seconds',
      help: 'Time the last partition taken took from its loaded snapshot to caught up with the store',
      registers,
    }),
    replayedEvents: new Gauge({
      name: 'aggregator_replayed_events',
      help: 'Events applied between a loaded snapshot and caught up, summed over the partitions taken since the process started',
      registers,
    }),
    subscriptionRestarts: new Counter({
      name: 'aggregator_subscription_restarts_total',
      help: 'Times the subscription restarted after a store error',
      registers,
    }),
    historyLost: new Counter({
      name: 'aggregator_history_lost_total',
      help: 'Times the checkpoint was no longer in the oplog and the partitions were reconciled',
      registers,
    }),
  };
}

/**
 * Reads served to gateways, by HTTP status. Registered by the internal API, which counts them on
 * its raw node:http read route; kept here so that this file lists every metric the aggregator has.
 */
export function createReadsCounter(registry: Registry): Counter<'status'> {
  return new Counter({
    name: 'aggregator_reads_total',
    help: 'Reads served to gateways, by HTTP status',
    labelNames: ['status'],
    registers: [registry],
  });
}

/**
 * Partitions folded again into a new generation, by outcome. Every outcome is there from the
 * start, at 0: a first failure is then an increase Prometheus sees (ProjectionRebuildFailed).
 */
function partitionRebuilds(registers: Registry[]) {
  const counter = new Counter({
    name: 'aggregator_partition_rebuilds_total',
    help: 'Partitions folded again into a new generation, by outcome: switched over, failed (an event it cannot fold), or abandoned (the partition left this aggregator)',
    labelNames: ['outcome'] as const,
    registers,
  });
  for (const outcome of ['switched', 'failed', 'abandoned'] as const) counter.inc({ outcome }, 0);
  return counter;
}

import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type AggregatorMetrics = ReturnType<typeof createAggregatorMetrics>;

export function createAggregatorMetrics(registry: Registry) {
  const registers = [registry];
  return {
    eventsApplied: new Counter({
      name: 'aggregator_events_applied_total',
      help: 'Events folded into the in-memory users',
      labelNames: ['partition'],
      registers,
    }),
    applyLag: new Gauge({
      name: 'aggregator_apply_lag_seconds',
      help: 'Time between an event being stored and being applied, for the latest event',
      registers,
    }),
    usersInMemory: new Gauge({ name: 'aggregator_users_in_memory', help: 'Users held in memory', registers }),
    ready: new Gauge({ name: 'aggregator_ready', help: '1 once restore and replay are complete', registers }),
    snapshots: new Counter({
      name: 'aggregator_snapshots_total',
      help: 'Snapshots written, by outcome',
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
      help: 'Time the last start took to load the snapshot',
      registers,
    }),
    restoredUsers: new Gauge({
      name: 'aggregator_restored_users',
      help: 'Users loaded from the snapshot at the last start',
      registers,
    }),
    replayDuration: new Gauge({
      name: 'aggregator_replay_duration_seconds',
      help: 'Time the last start took from the loaded snapshot to caught up with the store',
      registers,
    }),
    replayedEvents: new Gauge({
      name: 'aggregator_replayed_events',
      help: 'Events applied between the loaded snapshot and caught up, at the last start',
      registers,
    }),
    storeErrors: new Counter({
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

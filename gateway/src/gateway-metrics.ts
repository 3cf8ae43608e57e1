import { labelValue } from '@user-service/common/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Unanswered } from './aggregator-client';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    forwards: new Counter({
      name: 'gateway_aggregator_forwards_total',
      help: 'Reads, lists and counts forwarded to aggregators, by aggregator and outcome: found, not_found, answered, or why unanswered (behind, parked, not_ready, failed, circuit_open, not_owner)',
      labelNames: ['aggregator', 'outcome'],
      registers,
    }),
    readsPerExchange: new Histogram({
      name: 'gateway_aggregator_reads_per_exchange',
      help: 'Reads of one user sent to an aggregator in one exchange: the reads of one turn of the event loop go together (1: a read alone)',
      buckets: [1, 2, 4, 8, 16, 32, 64],
      registers,
    }),
    fallbackReads: new Counter({
      name: 'gateway_fallback_reads_total',
      help: 'Reads answered from the store because the owning aggregator could not answer, by aggregator (none: the partition had no owner) and reason: behind, parked, not_ready, failed, circuit_open, not_owner, unowned',
      labelNames: ['aggregator', 'reason'],
      registers,
    }),
    circuitOpen: new Gauge({
      name: 'gateway_circuit_open',
      help: '1 while the circuit to an aggregator is open (reads skip it)',
      labelNames: ['aggregator'],
      registers,
    }),
    appendConflicts: new Counter({
      name: 'gateway_append_conflicts_total',
      help: 'Appends that lost a race for a version, by resolution: retried on the newer state, or gave_up under heavy contention',
      labelNames: ['resolution'],
      registers,
    }),
    idempotentRequests: new Counter({
      name: 'gateway_idempotent_requests_total',
      help: 'Writes sent with an Idempotency-Key, by what became of them: carried_out, replayed, key_reused, in_flight',
      labelNames: ['outcome'],
      registers,
    }),
    storeOperations: new Counter({
      name: 'gateway_store_operations_total',
      help: 'Operations the gateway asked of the event store, by operation',
      labelNames: ['operation'],
      registers,
    }),
    usersLeftOut: new Counter({
      name: 'gateway_list_users_left_out_total',
      help: 'Users left out of list pages because their personal data could not be opened (a key the master keys do not unwrap, a damaged value); those pages say X-Consistency: partial',
      registers,
    }),
    storeErrors: new Counter({
      name: 'gateway_store_errors_total',
      help: 'Requests answered 503 because the store was unavailable',
      registers,
    }),
  };
}

/** Counts a read, list or count answered from the store because `aggregator` could not answer. */
/** `aggregator`: the owner's name, or null when the partition has none. */
export function countFallbackRead(
  metrics: GatewayMetrics,
  aggregator: string | null,
  reason: Unanswered['reason'],
): void {
  metrics.fallbackReads.inc({
    aggregator: aggregator === null ? 'none' : labelValue(aggregator),
    reason: labelValue(reason),
  });
}

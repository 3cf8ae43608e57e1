import { Counter, Gauge, type Registry } from 'prom-client';

export type GatewayMetrics = ReturnType<typeof createGatewayMetrics>;

export function createGatewayMetrics(registry: Registry) {
  const registers = [registry];
  return {
    forwards: new Counter({
      name: 'gateway_aggregator_forwards_total',
      help: 'Reads forwarded to aggregators, by aggregator and outcome',
      labelNames: ['aggregator', 'outcome'],
      registers,
    }),
    fallbackReads: new Counter({
      name: 'gateway_fallback_reads_total',
      help: 'Reads answered from the store because the owning aggregator could not answer',
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
      help: 'Appends that lost a race for a version: retried on the newer state, or given up under heavy contention',
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
    storeErrors: new Counter({
      name: 'gateway_store_errors_total',
      help: 'Requests answered 503 because the store was unavailable',
      registers,
    }),
  };
}

import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Each process (and each app inside one jest worker or one STORE=memory process) gets its own
 * registry, so that metrics of two apps never collide in prom-client's global one.
 *
 * `labels` go on every series, for what tells replicas of one job apart (an aggregator's index).
 * No `service` label: Prometheus gives every series the `job` and `instance` of its target.
 * prom-client's defaults name three gauges `nodejs_active_{handles,requests,resources}_total`;
 * the suffix is the library's, kept so that its usual dashboards still find them.
 */
export function createMetricsRegistry(labels: Readonly<Record<string, string>> = {}): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ ...labels });
  collectDefaultMetrics({ register: registry });
  return registry;
}

import { collectDefaultMetrics, Registry } from 'prom-client';

/**
 * Each process (and each app inside one jest worker or one STORE=memory process) gets its own
 * registry, so that metrics of two apps never collide in prom-client's global one.
 */
export function createMetricsRegistry(
  service: string,
  labels: Readonly<Record<string, string>> = {},
): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service, ...labels });
  collectDefaultMetrics({ register: registry });
  return registry;
}

import type { Registry } from 'prom-client';

/**
 * A part with metrics of its own that the process using it must expose: the MongoDB store
 * counts its commands. The process that owns the part counts them into its registry.
 */
export interface MetricsSource {
  /** Starts counting into `registry`; returns what stops it. */
  countInto(registry: Registry): () => void;
}

/**
 * Counts `part`'s metrics into `registry` when it has any (a MongoDB store does, the in-memory
 * store and test wrappers do not); returns what stops it.
 */
export function countMetricsOf(part: unknown, registry: Registry): () => void {
  return isMetricsSource(part) ? part.countInto(registry) : () => undefined;
}

function isMetricsSource(part: unknown): part is MetricsSource {
  return (
    typeof part === 'object' &&
    part !== null &&
    'countInto' in part &&
    typeof part.countInto === 'function'
  );
}

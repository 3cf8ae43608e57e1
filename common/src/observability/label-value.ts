/**
 * A word of the code (`notFound`, `circuit-open`) as a metric label value (`not_found`,
 * `circuit_open`): Prometheus label values are snake_case, like the metric names around them.
 */
export function labelValue(word: string): string {
  return word
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/-/g, '_')
    .toLowerCase();
}

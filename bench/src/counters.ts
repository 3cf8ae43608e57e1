/** Sums the samples of one metric in a Prometheus text scrape whose labels include `labels`. */
export function sumOf(
  scrape: string,
  metric: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let total = 0;
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${metric}{`) && !line.startsWith(`${metric} `)) continue;
    const matches = Object.entries(labels).every(([name, value]) =>
      line.includes(`${name}="${value}"`),
    );
    if (matches) total += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return total;
}

export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** What the gateway's own counters say one request of each kind cost. */
export interface Costs {
  readonly reads: number;
  readonly writes: number;
  readonly aggregatorCalls: number;
  readonly appends: number;
  readonly storeOperations: number;
}

export function costsBetween(before: string, after: string): Costs {
  const delta = (metric: string, labels: Record<string, string> = {}) =>
    sumOf(after, metric, labels) - sumOf(before, metric, labels);
  return {
    reads: delta('http_request_duration_seconds_count', { method: 'GET', path: '/api/user/:id' }),
    writes: delta('http_request_duration_seconds_count', { method: 'PUT', path: '/api/user/' }),
    aggregatorCalls: delta('gateway_aggregator_forwards_total'),
    appends: delta('gateway_store_operations_total', { operation: 'append' }),
    storeOperations: delta('gateway_store_operations_total'),
  };
}

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

/** Sums the samples of one metric by the value of one of its labels, e.g. store operations by operation. */
export function sumsBy(scrape: string, metric: string, label: string): Record<string, number> {
  const sums: Record<string, number> = {};
  const valueOf = new RegExp(`[{,]${label}="([^"]*)"`);
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const value = valueOf.exec(line)?.[1];
    if (value === undefined) continue;
    sums[value] = (sums[value] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sums;
}

/**
 * Sums the samples of one metric by the values of two of its labels, keyed `first second`: the
 * MongoDB store's commands by collection and command, e.g. `Events insert`.
 */
export function sumsByPair(
  scrape: string,
  metric: string,
  first: string,
  second: string,
): Record<string, number> {
  const sums: Record<string, number> = {};
  const firstOf = new RegExp(`[{,]${first}="([^"]*)"`);
  const secondOf = new RegExp(`[{,]${second}="([^"]*)"`);
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const a = firstOf.exec(line)?.[1];
    const b = secondOf.exec(line)?.[1];
    if (a === undefined || b === undefined) continue;
    const key = `${a} ${b}`;
    sums[key] = (sums[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sums;
}

/** The MongoDB store's command counters (common/src/store/mongo/command-metrics.ts). */
const MONGO_COMMANDS = 'mongodb_commands_total';
const MAJORITY_WAITS = 'mongodb_majority_waits_total';

export async function scrape(url: string): Promise<string> {
  return (await fetch(`${url}/metrics`)).text();
}

/** What the gateway's own counters say one request of each kind cost. */
export interface Costs {
  readonly reads: number;
  /** Writes answered, whatever their status: POST, PUT and DELETE. */
  readonly writes: number;
  readonly aggregatorCalls: number;
  readonly appends: number;
  readonly storeOperations: number;
  /** The same operations by name (`append`, `begin_idempotent`, ...); those not asked for are absent. */
  readonly storeOperationsByName: Readonly<Record<string, number>>;
  /** Appends that lost a race for a version and were decided again: each costs another load and append. */
  readonly appendConflicts: number;
  /** Keyed writes answered from the store, as the first attempt's outcome. */
  readonly replays: number;
  /** Commands the gateway's MongoDB client sent (round trips); 0 on the in-memory store. */
  readonly mongoCommands: number;
  /** The same by `collection command` (`Events insert`, `- commitTransaction`); those not sent are absent. */
  readonly mongoCommandsByName: Readonly<Record<string, number>>;
  /** Commands among them the server answered only once a majority had the write. */
  readonly majorityWaits: number;
}

const WRITE_METHODS = ['POST', 'PUT', 'DELETE'] as const;

export function costsBetween(before: string, after: string): Costs {
  const delta = (metric: string, labels: Record<string, string> = {}) =>
    sumOf(after, metric, labels) - sumOf(before, metric, labels);
  const operationsByName = increases(
    sumsBy(before, 'gateway_store_operations_total', 'operation'),
    sumsBy(after, 'gateway_store_operations_total', 'operation'),
  );
  const commandsByName = increases(
    sumsByPair(before, MONGO_COMMANDS, 'collection', 'command'),
    sumsByPair(after, MONGO_COMMANDS, 'collection', 'command'),
  );
  return {
    reads: delta('http_request_duration_seconds_count', { method: 'GET', route: '/api/user/:id' }),
    writes: WRITE_METHODS.reduce(
      (sum, method) => sum + delta('http_request_duration_seconds_count', { method }),
      0,
    ),
    aggregatorCalls: delta('gateway_aggregator_forwards_total'),
    appends: delta('gateway_store_operations_total', { operation: 'append' }),
    storeOperations: delta('gateway_store_operations_total'),
    storeOperationsByName: operationsByName,
    appendConflicts: delta('gateway_append_conflicts_total'),
    replays: delta('gateway_idempotent_requests_total', { outcome: 'replayed' }),
    mongoCommands: delta(MONGO_COMMANDS),
    mongoCommandsByName: commandsByName,
    majorityWaits: delta(MAJORITY_WAITS),
  };
}

/** What grew from `before` to `after`, by name; names that did not grow are absent. */
function increases(
  before: Readonly<Record<string, number>>,
  after: Readonly<Record<string, number>>,
): Record<string, number> {
  const grown: Record<string, number> = {};
  for (const [name, count] of Object.entries(after)) {
    const increase = count - (before[name] ?? 0);
    if (increase > 0) grown[name] = increase;
  }
  return grown;
}

function addCounts(into: Record<string, number>, counts: Readonly<Record<string, number>>): void {
  for (const [name, count] of Object.entries(counts)) into[name] = (into[name] ?? 0) + count;
}

/** The costs of several measured runs together, e.g. of every round of one kind of request. */
export function sumCosts(runs: readonly Costs[]): Costs {
  const byName: Record<string, number> = {};
  const commandsByName: Record<string, number> = {};
  for (const run of runs) {
    addCounts(byName, run.storeOperationsByName);
    addCounts(commandsByName, run.mongoCommandsByName);
  }
  const total = (field: Exclude<keyof Costs, 'storeOperationsByName' | 'mongoCommandsByName'>) =>
    runs.reduce((sum, run) => sum + run[field], 0);
  return {
    reads: total('reads'),
    writes: total('writes'),
    aggregatorCalls: total('aggregatorCalls'),
    appends: total('appends'),
    storeOperations: total('storeOperations'),
    storeOperationsByName: byName,
    appendConflicts: total('appendConflicts'),
    replays: total('replays'),
    mongoCommands: total('mongoCommands'),
    mongoCommandsByName: commandsByName,
    majorityWaits: total('majorityWaits'),
  };
}

import { TOKEN_COST_TARGET, type TokenCostReport } from './token-cost';
import type { Costs } from './counters';
import type { LoadResult } from './load';
import { LIGHT_SHARE, type ReadSideReport, type ReadSideScenarioName } from './read-side';
import type { SafeWriteRun, SafeWritesReport } from './safe-writes';
import type { SpaceResult } from './space';
import { TAIL_BUDGET_MS, type TailReport } from './tail';

export interface ScenarioReport {
  readonly scenario: string;
  readonly load: 'saturation' | 'half saturation';
  readonly ours: LoadResult;
  readonly baseline: LoadResult;
}

export interface ComplexityReport {
  readonly aggregators: number;
  readonly readRps: number;
  readonly updateRps: number;
  readonly aggregatorCallsPerRead: number;
  readonly appendsPerWrite: number;
  readonly storeOperationsPerWrite: number;
}

export interface RecoveryReport {
  readonly users: number;
  readonly events: number;
  readonly readyMs: number;
  readonly eventsPerSecond: number | null;
  readonly heapBytesPer100kUsers: number;
}

const n = (value: number, digits = 0) =>
  value.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function scenarioTable(rows: readonly ScenarioReport[]): string {
  const lines = [
    '| scenario | load | req/s ours | req/s baseline | throughput ours/baseline | p50 ms | p90 ms | p99 ms ours | p99 ms baseline | p99 ours/baseline | max ms | non-2xx (unintended) |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { scenario, load, ours, baseline } of rows) {
    lines.push(
      `| ${scenario} | ${load} | ${n(ours.requestsPerSecond)} | ${n(baseline.requestsPerSecond)} | ${n(ours.requestsPerSecond / baseline.requestsPerSecond, 2)} | ` +
        `${n(ours.latencyMs.p50, 1)} | ${n(ours.latencyMs.p90, 1)} | ${n(ours.latencyMs.p99, 1)} | ${n(baseline.latencyMs.p99, 1)} | ` +
        `${n(ours.latencyMs.p99 / Math.max(baseline.latencyMs.p99, 0.5), 2)} | ${n(ours.latencyMs.max)} | ${n(ours.non2xx)} (${n(ours.unintended)}) |`,
    );
  }
  return lines.join('\n');
}

export function complexityTable(rows: readonly ComplexityReport[]): string {
  return [
    '| AGG_N | read req/s | update req/s | aggregator calls per read | appends per write | store operations per write |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${row.aggregators} | ${n(row.readRps)} | ${n(row.updateRps)} | ${n(row.aggregatorCallsPerRead, 3)} | ${n(row.appendsPerWrite, 3)} | ${n(row.storeOperationsPerWrite, 3)} |`,
    ),
  ].join('\n');
}

export function recoveryTable(rows: readonly RecoveryReport[]): string {
  return [
    '| users | events since snapshot | restart to ready ms | events replayed per s | heap per 100,000 users |',
    '| ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (row) =>
        `| ${n(row.users)} | ${n(row.events)} | ${n(row.readyMs)} | ${row.eventsPerSecond === null ? '-' : n(row.eventsPerSecond)} | ${n(row.heapBytesPer100kUsers / 1024 / 1024, 1)} MiB |`,
    ),
  ].join('\n');
}

export function spaceTable(space: SpaceResult): string {
  return [
    `Method: ${space.method}.`,
    '',
    '| users | users as JSON | Users snapshot | snapshot / JSON | data key per user | snapshot and keys / JSON | bytes per event |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${n(space.users)} | ${n(space.usersJsonBytes)} B | ${n(space.snapshotBytes)} B | ${n(space.snapshotToJson, 2)} | ${n(space.dataKeyBytesPerUser)} B | ${n(withKeysToJson(space), 2)} | ${n(space.bytesPerEvent)} |`,
  ].join('\n');
}

/** The `Users` snapshot and one data key per user, against the users' JSON. */
function withKeysToJson(space: SpaceResult): number {
  const { snapshotBytes, dataKeyBytesPerUser, users, usersJsonBytes } = space;
  return (snapshotBytes + dataKeyBytesPerUser * users) / Math.max(usersJsonBytes, 1);
}

/** What bounds each read-side route, in memory and on MongoDB (see bench/README.md). */
export const READ_SIDE_BOUNDS: Readonly<Record<ReadSideScenarioName, string>> = {
  'list, page 1':
    'one call to each aggregator (a binary search and a slice of its sorted ids, 101 users), the gateway’s check and merge of 3×101 users, 100 users of JSON',
  'list, random after': 'as page 1: `after` only moves the binary search',
  count:
    'one call to each aggregator, answering the sizes of its per-group id lists (a count per group), summed by the gateway',
  history:
    'one read of the user’s own event list (no scan of others), then mapping and JSON of 1,000 events',
  'event statistics':
    'one scan of the whole log in the store, counting per day and type (MongoDB: one aggregation covered by `occurredAt_type`)',
};

export function readSideTable(report: ReadSideReport): string {
  const { seeded, connections, runs } = report;
  const lines = [
    `Seeded through the store in ${n(seeded.seedMs / 1000, 1)} s: ${n(seeded.users)} users, ${n(seeded.events)} events ` +
      `from ${seeded.firstDay} to ${seeded.lastDay}, ${seeded.historyUser} with ${n(seeded.historyEvents)} of them; ` +
      `the aggregators caught up and ready ${n(seeded.startMs / 1000, 1)} s later. ` +
      `Load over ${connections} connections: saturation (closed loop), then light load: ${n(LIGHT_SHARE * 100)}% of that rate, arriving at random (Poisson), latency from when each request was due.`,
    '',
    '| scenario | load | req/s | p50 ms | p90 ms | p99 ms | max ms | non-2xx | target p99 | at light load |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  for (const run of runs) {
    const verdict = run.light.latencyMs.p99 < run.targetP99Ms ? 'pass' : '**miss**';
    for (const [load, result, target] of [
      ['saturation', run.saturation, ''],
      [`light (${n(run.light.rate)}/s)`, run.light, `< ${n(run.targetP99Ms)} ms | ${verdict}`],
    ] as const) {
      lines.push(
        `| ${run.scenario} | ${load} | ${n(result.requestsPerSecond)} | ${n(result.latencyMs.p50, 1)} | ${n(result.latencyMs.p90, 1)} | ` +
          `${n(result.latencyMs.p99, 1)} | ${n(result.latencyMs.max)} | ${n(result.non2xx)} | ${target || ' |'} |`,
      );
    }
  }
  lines.push(
    '',
    '| scenario | request | answer | aggregator calls per request | store operations per request | snapshot fallbacks | store call alone | bounded by |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | --- |',
    ...runs.map((run) => {
      const storeMs =
        run.scenario === 'history'
          ? `${n(seeded.storeHistoryMs, 2)} ms`
          : run.scenario === 'event statistics'
            ? `${n(seeded.storeEventStatsMs, 1)} ms`
            : '-';
      return (
        `| ${run.scenario} | \`GET ${run.request}\` | ${run.answerBytes < 1024 ? `${n(run.answerBytes)} B` : `${n(run.answerBytes / 1024, 1)} KiB`} | ${n(run.aggregatorCallsPerRequest, 2)} | ` +
        `${n(run.storeOperationsPerRequest, 2)} | ${n(run.snapshotFallbacks)} | ${storeMs} | ${READ_SIDE_BOUNDS[run.scenario]} |`
      );
    }),
  );
  return lines.join('\n');
}

/**
 * The store operations of a write, in the order it asks for them (decision 0012): a keyed one
 * takes its key, and looks for its event when the key was held before; every one but a create
 * reads the user (snapshot, newer events and key in one call); then the append, which carries a
 * new user's key and a keyed outcome. A replay reads the keys of the answer it opens; `finish`
 * remembers what no append carried (a refusal).
 */
const KEYED_WRITE_OPERATIONS = [
  'begin_idempotent',
  'read_event',
  'read_user',
  'get_data_keys',
  'append',
  'finish_idempotent',
];

export function safeWritesTable(report: SafeWritesReport): string {
  const { runs } = report;
  const answers = (run: SafeWriteRun) => {
    const all = [...run.warmups, ...run.rounds];
    return `${n(all.reduce((sum, load) => sum + load.non2xx, 0))} (${n(all.reduce((sum, load) => sum + load.unintended, 0))})`;
  };
  const seen = new Set(runs.flatMap((run) => Object.keys(run.costs.storeOperationsByName)));
  const operations = [
    ...KEYED_WRITE_OPERATIONS,
    ...[...seen].filter((name) => !KEYED_WRITE_OPERATIONS.includes(name)).sort(),
  ];
  const perWrite = (run: SafeWriteRun, count: number | undefined) =>
    count === undefined ? '-' : n(count / Math.max(1, run.costs.writes), 3);
  return [
    `${n(report.seededUsers)} users seeded, each then updated once with a key (the originals that \`update, replayed\` sends again). ` +
      `Saturation over ${report.connections} connections; req/s, p50, p99 and max are those of the best round; the ratio is to the other write's ` +
      'throughput in the same round; non-2xx over every round and warm-up.',
    '',
    '| write | request | req/s | req/s per round | against | throughput ratio per round | mean | p50 ms | p99 ms | max ms | non-2xx (unintended) |',
    '| --- | --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...runs.map(
      (run) =>
        `| ${run.kind} | ${run.request} | ${n(run.best.requestsPerSecond)} | ${run.rounds.map((load) => n(load.requestsPerSecond)).join(' / ')} | ` +
        `${run.against ?? '-'} | ${run.ratios.map((ratio) => n(ratio, 2)).join(' / ') || '-'} | ${run.ratio === null ? '-' : `**${n(run.ratio, 2)}**`} | ` +
        `${n(run.best.latencyMs.p50, 1)} | ${n(run.best.latencyMs.p99, 1)} | ${n(run.best.latencyMs.max)} | ${answers(run)} |`,
    ),
    '',
    `| write | ${operations.join(' | ')} | store operations per write | append conflicts per write | replayed per write |`,
    `| --- | ${operations.map(() => '---:').join(' | ')} | ---: | ---: | ---: |`,
    ...runs.map(
      (run) =>
        `| ${run.kind} | ${operations.map((name) => perWrite(run, run.costs.storeOperationsByName[name])).join(' | ')} | ` +
        `${perWrite(run, run.costs.storeOperations)} | ${perWrite(run, run.costs.appendConflicts)} | ${perWrite(run, run.costs.replays)} |`,
    ),
  ].join('\n');
}

/**
 * Round trips per write on MongoDB, from the gateway's own command counters
 * (mongodb_commands_total, mongodb_majority_waits_total) around the same measured rounds as the
 * store operations above: each command by collection, then the totals. Null on the in-memory
 * store, which sends none. This is the cost table of bench/README.md, printed rather than counted
 * by hand.
 */
export function mongoCommandsTable(
  runs: readonly { readonly kind: string; readonly costs: Costs }[],
): string | null {
  if (!runs.some((run) => run.costs.mongoCommands > 0)) return null;
  const commands = [
    ...new Set(runs.flatMap((run) => Object.keys(run.costs.mongoCommandsByName))),
  ].sort();
  const perWrite = (run: { readonly costs: Costs }, count: number | undefined) =>
    count === undefined ? '-' : n(count / Math.max(1, run.costs.writes), 2);
  return [
    'Commands the gateway sent to MongoDB per write (each one round trip), by collection and command ' +
      '(`-`: none or several, as a commit or a multi-namespace bulkWrite), and those the server answered only once a majority had the write.',
    '',
    `| write | ${commands.map((name) => `\`${name}\``).join(' | ')} | commands per write | majority waits per write |`,
    `| --- | ${commands.map(() => '---:').join(' | ')} | ---: | ---: |`,
    ...runs.map(
      (run) =>
        `| ${run.kind} | ${commands.map((name) => perWrite(run, run.costs.mongoCommandsByName[name])).join(' | ')} | ` +
        `${perWrite(run, run.costs.mongoCommands)} | ${perWrite(run, run.costs.majorityWaits)} |`,
    ),
  ].join('\n');
}

/** The tail: its latencies against the budget, the slowest requests and what they were. */
export function tailTable(tail: TailReport): string {
  const ms = (value: number) => n(value, 1);
  const statuses = Object.entries(tail.statusCounts)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([status, count]) => `${status}: ${n(count)}`)
    .join(', ');
  return [
    `${n(tail.requests)} requests answered (${n(tail.notSent)} more refused by the bench's own HTTP client before sending) ` +
      `at ${n(tail.rate)}/s (Poisson arrivals, latency from when each was due) over ${n(tail.connections)} connections, ` +
      `in ${n(tail.elapsedSeconds, 1)} s, from the moment the system was ready.`,
    '',
    '| p50 ms | p99 ms | p99.9 ms | max ms | over 250 ms | 5xx or no answer |',
    '| ---: | ---: | ---: | ---: | ---: | ---: |',
    `| ${ms(tail.latencyMs.p50)} | ${ms(tail.latencyMs.p99)} | ${ms(tail.latencyMs.p999)} | **${ms(tail.latencyMs.max)}** | ${n(tail.overBudget)} | ${n(tail.serverErrors)} |`,
    '',
    `Budget: every request under ${TAIL_BUDGET_MS} ms: **${tail.overBudget === 0 && tail.serverErrors === 0 ? 'met' : 'missed'}**. Statuses: ${statuses}.`,
    '',
    `Largest latency per 1,000 requests, in order: ${tail.maxBySlice.map((value) => n(value)).join(' / ')} ms.`,
    ...(tail.cpuMsPerRequestBySlice.length > 0
      ? [
          '',
          `CPU time of the system's process per request, per 1,000 requests sent, in order: ${tail.cpuMsPerRequestBySlice.map((value) => n(value, 2)).join(' / ')} ms.`,
        ]
      : []),
    '',
    'The slowest requests:',
    '',
    '| ms | due at s | status | kind | request |',
    '| ---: | ---: | ---: | --- | --- |',
    ...tail.slowest.map(
      (slow) =>
        `| ${ms(slow.latencyMs)} | ${n(slow.dueSeconds, 2)} | ${slow.status} | ${slow.kind.replaceAll('|', '\\|')} | \`${slow.method} ${slow.path.replaceAll('|', '%7C').replaceAll('`', '%60')}\` |`,
    ),
  ].join('\n');
}

/** What checking access tokens costs a read, against the target, unless the rounds' noise hides it. */
export function tokenCostTable(report: TokenCostReport): string {
  const rounds = (values: readonly number[]) => values.map((value) => n(value)).join(' / ');
  const percent = (share: number) => `${n(share * 100, 1)}%`;
  const target = `target under ${n(TOKEN_COST_TARGET * 100)}%`;
  const verdict =
    report.cost >= TOKEN_COST_TARGET
      ? 'missed'
      : report.throughputNoise >= TOKEN_COST_TARGET
        ? `not resolved: rounds of one kind differ by up to ${percent(report.throughputNoise)}, more than the target`
        : 'met';
  const { cpuCost, cpuNoise } = report;
  return [
    '| reads | req/s per round | best |',
    '| --- | ---: | ---: |',
    `| without tokens | ${rounds(report.withoutTokens)} | ${n(Math.max(...report.withoutTokens))} |`,
    `| with a token (ES256, verified once, then cached) | ${rounds(report.withTokens)} | ${n(Math.max(...report.withTokens))} |`,
    '',
    `Cost of the check: **${percent(report.cost)}** of read throughput, best against best (${target}: **${verdict}**).`,
    // The same cost in the system process's CPU time per read, the least noisy measure here.
    ...(cpuCost === undefined || cpuNoise === undefined
      ? []
      : [
          '',
          `CPU time of the system's process per read: ${rounds(report.cpuMicrosWithout)} µs without tokens, ` +
            `${rounds(report.cpuMicrosWith)} µs with: the check costs **${percent(cpuCost)}** of a read's CPU, ` +
            `median against median (${target}: **${cpuCost < TOKEN_COST_TARGET ? 'met' : 'missed'}**; rounds of one kind ` +
            `differ by up to ${percent(cpuNoise)}, so a difference smaller than that is not resolved).`,
        ]),
  ].join('\n');
}

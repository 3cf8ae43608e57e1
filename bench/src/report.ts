import type { LoadResult } from './load';
import type { SpaceResult } from './space';

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
    '| users | users as JSON | Users snapshot | snapshot / JSON | bytes per event |',
    '| ---: | ---: | ---: | ---: | ---: |',
    `| ${n(space.users)} | ${n(space.usersJsonBytes)} B | ${n(space.snapshotBytes)} B | ${n(space.snapshotToJson, 2)} | ${n(space.bytesPerEvent)} |`,
  ].join('\n');
}

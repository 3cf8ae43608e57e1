import type { DrillPlan, DrillReport } from './drill';

/**
 * Six phases of `phaseMs`: steady; aggregator 0 down; back; aggregators 1 and 2 down at once;
 * back; steady.
 */
export function drillPlan(options: { rate: number; users: number; phaseMs: number }): DrillPlan {
  const at = (phase: number) => phase * options.phaseMs;
  return {
    rate: options.rate,
    users: options.users,
    durationMs: at(6),
    faults: [
      { atMs: at(1), crash: [0] },
      { atMs: at(2), restart: [0] },
      { atMs: at(3), crash: [1, 2] },
      { atMs: at(4), restart: [1, 2] },
    ],
  };
}

export function drillSummary(plan: DrillPlan, report: DrillReport): string {
  const failures = tally(report.failures);
  const notSent = Object.values(report.notSent).reduce((sum, count) => sum + count, 0);
  return [
    '| figure | value | target |',
    '| --- | ---: | --- |',
    `| rate, duration | ${plan.rate} req/s, ${plan.durationMs / 1000} s | |`,
    `| requests sent | ${report.requests} | |`,
    `| failed requests | ${report.failed} (${failures}) | 0 |`,
    `| not sent, a limit of the load driver on this machine | ${notSent} (${tally(report.notSent)}) | |`,
    `| p99 latency | ${report.p99LatencyMs.toFixed(1)} ms | |`,
    `| maximum latency | ${report.maxLatencyMs.toFixed(1)} ms | under 250 ms |`,
    `| acknowledged writes | ${report.acknowledgedWrites} | |`,
    `| acknowledged writes missing afterwards | ${report.missingWrites} | 0 |`,
    `| restart to ready | ${report.recoveries.map(({ aggregator, readyMs }) => `aggregator ${aggregator}: ${readyMs} ms`).join('; ')} | |`,
  ].join('\n');
}

function tally(counts: Readonly<Record<string, number>>): string {
  return (
    Object.entries(counts)
      .map(([reason, count]) => `${reason}: ${count}`)
      .join(', ') || 'none'
  );
}

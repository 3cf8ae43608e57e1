import type { DrillPlan, DrillReport } from './drill';

/**
 * Ten phases of `phaseMs`: steady; aggregator 0 down; back; aggregators 1 and 2 down at once;
 * back; aggregator 2 killed for good (the others take its partitions over); aggregator 1 paused
 * (past its lease: the others take over); resumed (fenced, it gives them up); a fourth joins
 * (under load, the others hand it its share); steady. `phaseMs` must exceed the lease time.
 */
export function drillPlan(options: { rate: number; users: number; phaseMs: number }): DrillPlan {
  const at = (phase: number) => phase * options.phaseMs;
  return {
    rate: options.rate,
    users: options.users,
    durationMs: at(10),
    faults: [
      { atMs: at(1), crash: [0] },
      { atMs: at(2), restart: [0] },
      { atMs: at(3), crash: [1, 2] },
      { atMs: at(4), restart: [1, 2] },
      { atMs: at(5), crash: [2], measureExactLists: true },
      { atMs: at(6), pause: [1], measureExactLists: true },
      { atMs: at(7), resume: [1] },
      { atMs: at(8), add: true, measureExactLists: true },
    ],
  };
}

export function drillSummary(plan: DrillPlan, report: DrillReport, leaseMs: number): string {
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
    `| lists exact again after: a kill for good; a pause past the lease; a join | ${report.exactListsAfterMs.map((ms) => (ms === null ? 'never' : `${ms} ms`)).join('; ')} | each within ${leaseMs + 2000} ms (lease ${leaseMs} ms + 2 s) |`,
  ].join('\n');
}

function tally(counts: Readonly<Record<string, number>>): string {
  return (
    Object.entries(counts)
      .map(([reason, count]) => `${reason}: ${count}`)
      .join(', ') || 'none'
  );
}

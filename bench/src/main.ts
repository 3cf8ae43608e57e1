/**
 * npm run bench [-- --quick] [--duration S] [--connections N] [--users N] [--profile]
 *   [--only scenarios,complexity,safe-writes,recovery,space,read-side,tail,tokens,leases,rebuild]
 *   [--read-users N]
 *   [--read-connections N] [--tail-requests N] [--tail-rate R] [--tail-connections N]
 *   [--port-base N]
 * Measures the system against a single-process baseline on this machine, in one run, and
 * reports ratios; see bench/README.md for what each part means and the last full results.
 */
import { errorText } from '@user-service/common/observability';
import { storeAtHand } from '@user-service/launcher';
import { execFile } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { costsBetween, scrape } from './counters';
import { runOpenLoop, summarize } from './light-load';
import { type LoadResult, runLoad } from './load';
import { type BenchOptions, parseOptions } from './options';
import { REPO, type Running, type StoreKind, startBaseline, startSystem } from './processes';
import { profileScenario, profileTail } from './profile-run';
import { readSideCheck, type ReadSideReport } from './read-side';
import {
  type ComplexityReport,
  complexityTable,
  mongoCommandsTable,
  readSideTable,
  type RecoveryReport,
  recoveryTable,
  safeWritesTable,
  type ScenarioReport,
  scenarioTable,
  spaceTable,
  tailTable,
  tokenCostTable,
} from './report';
import { safeWritesCheck, type SafeWritesReport } from './safe-writes';
import { scenario, SCENARIOS, type ScenarioName } from './scenarios';
import { seedUsers } from './seed';
import { estimateSpace, measureSpace, type SpaceResult } from './space';
import { tailCheck, type TailReport } from './tail';
import { rebuildCostCheck, type RebuildCostReport, rebuildCostTable } from './rebuild-cost';
import { leaseCostCheck, type LeaseCostReport, leaseCostTable } from './lease-cost';
import { tokenCostCheck, type TokenCostReport } from './token-cost';

const say = (line: string) => process.stdout.write(`${line}\n`);

/**
 * Saturation first, then half of it at light load, for the system and the baseline alike.
 * Saturation is measured in alternating rounds and the best round kept: on a shared machine
 * interference only ever slows a run down. Half saturation is measured as the read side's light
 * load is (runOpenLoop): Poisson arrivals at a fixed rate, each latency from when the request was
 * due, over 8 connections.
 */
async function compareScenario(
  name: ScenarioName,
  ours: Running,
  baseline: Running,
  options: BenchOptions,
): Promise<ScenarioReport[]> {
  const saturate = async (target: Running, tag: string): Promise<LoadResult> => {
    const next = scenario(name, options.seedUsers, tag);
    const load = { url: target.url, scenario: name, next, connections: options.connections };
    await runLoad({ ...load, seconds: options.warmup });
    return runLoad({ ...load, seconds: options.duration });
  };
  const atRate = async (target: Running, tag: string, rate: number): Promise<LoadResult> => {
    const next = scenario(name, options.seedUsers, tag);
    const load = { url: target.url, next, rate, connections: Math.min(options.connections, 8) };
    await runOpenLoop({ ...load, until: { seconds: options.warmup } });
    return summarize(await runOpenLoop({ ...load, until: { seconds: options.duration } }), name);
  };
  const best = (runs: LoadResult[]) =>
    runs.reduce((a, b) => (b.requestsPerSecond > a.requestsPerSecond ? b : a));
  const oursRounds: LoadResult[] = [];
  const baselineRounds: LoadResult[] = [];
  for (let round = 0; round < options.rounds; round++) {
    oursRounds.push(await saturate(ours, `${name}-ours-${round}`));
    baselineRounds.push(await saturate(baseline, `${name}-base-${round}`));
  }
  const oursSaturated = best(oursRounds);
  const baselineSaturated = best(baselineRounds);
  // Both at the same rate, half of what the system under test sustained, so their latencies compare.
  const halfRate = Math.max(1, Math.round(oursSaturated.requestsPerSecond / 2));
  const oursHalf = await atRate(ours, `${name}-ours-half`, halfRate);
  const baselineHalf = await atRate(baseline, `${name}-base-half`, halfRate);
  return [
    { scenario: name, load: 'saturation', ours: oursSaturated, baseline: baselineSaturated },
    { scenario: name, load: 'half saturation', ours: oursHalf, baseline: baselineHalf },
  ];
}

/** The system and the baseline side by side, seeded alike, through every scenario. */
async function scenariosAgainstBaseline(
  store: StoreKind,
  options: BenchOptions,
): Promise<ScenarioReport[]> {
  const system = await startSystem({
    store,
    aggregators: 3,
    gatewayPort: options.ports.gateway,
    aggregatorBasePort: options.ports.aggregators,
    nodeFlags: options.systemFlags,
  });
  const baseline = await startBaseline(options.ports.baseline).catch(async (error: unknown) => {
    await system.stop();
    throw error;
  });
  const scenarios: ScenarioReport[] = [];
  try {
    await Promise.all([
      seedUsers(system.url, options.seedUsers),
      seedUsers(baseline.url, options.seedUsers),
    ]);
    for (const name of SCENARIOS) {
      scenarios.push(...(await compareScenario(name, system, baseline, options)));
      say(`measured ${name}`);
    }
  } finally {
    await Promise.all([system.stop(), baseline.stop()]);
  }
  return scenarios;
}

async function complexityCheck(
  store: StoreKind,
  options: BenchOptions,
): Promise<ComplexityReport[]> {
  const rows: ComplexityReport[] = [];
  const users = Math.min(options.seedUsers, options.quick ? 2_000 : options.seedUsers);
  for (const aggregators of options.complexityAggregators) {
    const system = await startSystem({
      store,
      aggregators,
      gatewayPort: options.ports.gateway,
      aggregatorBasePort: options.ports.aggregators,
    });
    try {
      await seedUsers(system.url, users);
      const run = async (name: ScenarioName) => {
        const before = await scrape(system.url);
        const result = await runLoad({
          url: system.url,
          scenario: name,
          next: scenario(name, users, `complexity-${aggregators}`),
          seconds: options.duration,
          connections: options.connections,
        });
        return { result, costs: costsBetween(before, await scrape(system.url)) };
      };
      const read = await run('read');
      const update = await run('update');
      rows.push({
        aggregators,
        readRps: read.result.requestsPerSecond,
        updateRps: update.result.requestsPerSecond,
        aggregatorCallsPerRead: read.costs.aggregatorCalls / read.costs.reads,
        appendsPerWrite: update.costs.appends / update.costs.writes,
        storeOperationsPerWrite: update.costs.storeOperations / update.costs.writes,
      });
    } finally {
      await system.stop();
    }
  }
  return rows;
}

async function recoveryCheck(options: BenchOptions): Promise<RecoveryReport[]> {
  const rows: RecoveryReport[] = [];
  for (const events of options.recoveryEvents) {
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        '--expose-gc',
        '--max-old-space-size=8192',
        resolve(__dirname, 'recovery-child.js'),
        String(options.recoveryUsers),
        String(events),
      ],
      { maxBuffer: 1 << 20 },
    );
    rows.push(JSON.parse(stdout.trim()) as RecoveryReport);
  }
  return rows;
}

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  const atHand = await storeAtHand();
  const { store } = atHand;
  const machine = `${cpus().length} cores (${cpus()[0]?.model ?? 'unknown'}), Node ${process.version}`;
  say(`# Benchmark${options.quick ? ' (quick)' : ''}`);
  say(
    `Store: ${atHand.store === 'mongo' ? 'MongoDB' : `in memory (STORE=memory: MONGO_URL unset and ${atHand.noMongo})`}. Machine: ${machine}.`,
  );
  say(
    `Each run ${options.duration} s after ${options.warmup} s of warm-up, ${options.connections} connections at saturation ` +
      `(best of ${options.rounds} alternating rounds), 8 at half saturation; ${options.seedUsers} users seeded.\n`,
  );
  if (options.profile && options.parts.size === 1 && options.parts.has('tail')) {
    say(await profileTail(options));
    return;
  }
  if (options.profile) {
    for (const name of ['read', 'update'] as const) {
      say(await profileScenario(name, store, options, options.ports));
    }
    return;
  }

  const { parts } = options;
  let scenarios: ScenarioReport[] | undefined;
  if (parts.has('scenarios')) {
    scenarios = await scenariosAgainstBaseline(store, options);
    say('\n## Throughput and latency, ours against the baseline\n');
    say(scenarioTable(scenarios));
  }

  let complexity: ComplexityReport[] | undefined;
  if (parts.has('complexity')) {
    complexity = await complexityCheck(store, options);
    say('\n## Cost per request as AGG_N grows (from the gateway’s own counters)\n');
    say(complexityTable(complexity));
  }

  let safeWrites: SafeWritesReport | undefined;
  if (parts.has('safe-writes')) {
    safeWrites = await safeWritesCheck(store, options, options.ports);
    say('\n## Safe writes: with an Idempotency-Key, retried, changing the email\n');
    say(safeWritesTable(safeWrites));
    const roundTrips = mongoCommandsTable(safeWrites.runs);
    if (roundTrips) {
      say('\n### Round trips per write on MongoDB (from the gateway’s command counters)\n');
      say(roundTrips);
    }
  }

  let recovery: RecoveryReport[] | undefined;
  if (parts.has('recovery')) {
    recovery = await recoveryCheck(options);
    say(
      '\n## Recovery: restart to ready (in-memory store, one aggregator owning every partition)\n',
    );
    say(recoveryTable(recovery));
  }

  let space: SpaceResult | undefined;
  if (parts.has('space')) {
    space =
      store === 'mongo' && process.env.MONGO_URL
        ? await measureSpace(process.env.MONGO_URL, 'users')
        : await estimateSpace(options.seedUsers);
    say('\n## Space\n');
    say(spaceTable(space));
  }

  let readSide: ReadSideReport | undefined;
  if (parts.has('read-side')) {
    readSide = await readSideCheck(options, options.ports);
    say('\n## Read side: lists, count, history, event statistics (in-memory store, light load)\n');
    if (options.quick)
      say(
        `Quick: ${options.readUsers.toLocaleString('en-US')} users instead of the full run's 100,000, and short runs; ` +
          'the targets are for the full run.\n',
      );
    say(readSideTable(readSide));
  }

  let tail: TailReport | undefined;
  if (parts.has('tail')) {
    tail = await tailCheck(options);
    say('\n## The tail on a fresh system: mixed and hostile requests, in memory\n');
    say(tailTable(tail));
  }

  let tokens: TokenCostReport | undefined;
  if (parts.has('tokens')) {
    tokens = await tokenCostCheck(store, options);
    say('\n## Access tokens: what checking them costs a read\n');
    say(tokenCostTable(tokens));
  }

  let leases: LeaseCostReport | undefined;
  if (parts.has('leases')) {
    leases = await leaseCostCheck();
    say(
      '\n## Partition leases: takeover time against the lease time, and a round’s cost (in memory)\n',
    );
    say(leaseCostTable(leases));
  }

  let rebuild: RebuildCostReport | undefined;
  if (parts.has('rebuild')) {
    rebuild = await rebuildCostCheck(options.quick ? 50_000 : 250_000);
    say('\n## Projection rebuild: events folded again per second, per aggregator\n');
    say(rebuildCostTable(rebuild));
  }

  const resultsDir = resolve(REPO, 'bench/results');
  mkdirSync(resultsDir, { recursive: true });
  const file = resolve(resultsDir, `bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      {
        options: { ...options, parts: [...options.parts] },
        store,
        machine,
        scenarios,
        complexity,
        safeWrites,
        recovery,
        space,
        readSide,
        tail,
        tokens,
        leases,
        rebuild,
      },
      null,
      2,
    ),
  );
  say(`\nResults written to ${file}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorText(error, { stack: true })}\n`);
  process.exit(1);
});

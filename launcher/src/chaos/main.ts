/**
 * npm run chaos [-- --quick]: a fixed-rate mixed load while aggregators are crashed one at a
 * time, then two at once, then restarted, one killed for good, one paused past its lease, and a
 * fourth added; reports failed requests, latency, acknowledged writes missing afterwards,
 * recovery times, and how soon lists are exact again after each takeover. In memory unless MONGO_URL is set or a mongod
 * binary is here (none is downloaded), in which case aggregator processes are killed with SIGKILL.
 */
import { errorText } from '@user-service/common/observability';
import { mkdirSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { storeAtHand } from '../store-at-hand';
import { type DrillPlan, runDrill } from './drill';
import { launchTarget } from './launcher-target';
import { drillPlan, drillSummary } from './plan';

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const atHand = await storeAtHand();
  const { store } = atHand;
  const plan: DrillPlan = drillPlan(
    quick
      ? { rate: 150, users: 300, phaseMs: 4_000 }
      : { rate: 300, users: 1_000, phaseMs: 20_000 },
  );
  const on =
    atHand.store === 'mongo'
      ? 'MongoDB, killing aggregator processes with SIGKILL'
      : `the in-memory store (${atHand.noMongo})`;
  process.stdout.write(`# Chaos drill${quick ? ' (quick)' : ''} on ${on}\n\n`);

  // A data directory and port of its own, so that it runs beside npm start and npm run bench.
  // Its master key is the one the launcher keeps in .data/data-key, as that data outlives the run.
  const embedded = {
    EMBEDDED_MONGO_DIR: resolve(__dirname, '../../../.data/chaos-mongo'),
    EMBEDDED_MONGO_PORT: '27518',
  };
  // Short enough for takeovers within a quick drill's phases (4 s each).
  const leaseMs = 2000;
  const target = await launchTarget(
    { ...process.env, ...embedded, STORE: store, LEASE_MS: String(leaseMs) },
    { gateway: 18180, aggregatorBase: 19200, aggregators: 3 },
  );
  try {
    const report = await runDrill(target, plan);
    process.stdout.write(`${drillSummary(plan, report, leaseMs)}\n`);
    const dir = resolve(__dirname, '../../../bench/results');
    mkdirSync(dir, { recursive: true });
    const file = resolve(dir, `chaos-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    writeFileSync(file, JSON.stringify({ store, quick, plan, report }, null, 2));
    process.stdout.write(`\nResults written to ${file}\n`);
    const slowTakeover = report.exactListsAfterMs.some((ms) => ms === null || ms > leaseMs + 2000);
    if (report.failed > 0 || report.missingWrites > 0 || slowTakeover) process.exitCode = 1;
  } finally {
    await target.stop();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${errorText(error, { stack: true })}\n`);
  process.exit(1);
});

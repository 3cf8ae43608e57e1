import { InMemoryStore } from '@user-service/common/store/memory';
import { untilReady } from '@user-service/launcher';
import { runDrill } from '@user-service/launcher';
import { drillPlan } from '@user-service/launcher';
import { startTestSystem } from '../test-system';

/** Short, so that each takeover fits in a short phase. */
const LEASE_MS = 300;

// The short variant of `npm run chaos`: the same drill, in this process, for a few seconds.
describe('chaos under load (short)', () => {
  it('fails no request and loses no acknowledged write while aggregators crash, come back, die for good, stall and join', async () => {
    const system = await startTestSystem({
      store: new InMemoryStore(),
      snapshotEvery: 20,
      leaseMs: LEASE_MS,
    });
    try {
      const report = await runDrill(
        {
          url: system.gateway.url,
          crash: (index) => system.stopAggregator(index, 'crash'),
          restart: async (index) => {
            const started = Date.now();
            await untilReady((await system.startAggregator(index)).url);
            return Date.now() - started;
          },
          pause: async (index) => system.aggregator(index).pause(),
          resume: async (index) => system.aggregator(index).resume(),
          add: async () => {
            await untilReady((await system.addAggregator()).url);
          },
        },
        drillPlan({ rate: 100, users: 100, phaseMs: 1500 }),
      );
      process.stdout.write(
        `chaos (short): ${report.requests} requests, ${report.failed} failed, not sent (load driver's limit) ${JSON.stringify(report.notSent)}, ` +
          `max ${report.maxLatencyMs.toFixed(0)} ms, ` +
          `${report.acknowledgedWrites} acknowledged writes, ${report.missingWrites} missing, ` +
          `lists exact again after ${JSON.stringify(report.exactListsAfterMs)} ms\n`,
      );
      expect(report.failures).toEqual({});
      expect(report.missingWrites).toBe(0);
      expect(report.requests).toBeGreaterThan(200);
      expect(report.acknowledgedWrites).toBeGreaterThan(20);
      expect(report.recoveries.map(({ aggregator }) => aggregator).sort()).toEqual([0, 1, 2]);
      // After a kill for good, a pause past the lease and a join alike.
      expect(report.exactListsAfterMs).toHaveLength(3);
      for (const ms of report.exactListsAfterMs) expect(ms).toBeLessThanOrEqual(LEASE_MS + 2000);
    } finally {
      await system.close();
    }
  }, 60_000);
});

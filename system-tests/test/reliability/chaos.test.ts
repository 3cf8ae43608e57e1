import { InMemoryStore } from '@user-service/common/store/memory';
import { untilReady } from '@user-service/launcher';
import { runDrill } from '@user-service/launcher';
import { drillPlan } from '@user-service/launcher';
import { startTestSystem } from '../test-system';

// The short variant of `npm run chaos`: the same drill, in this process, for a few seconds.
describe('chaos under load (short)', () => {
  it('fails no request and loses no acknowledged write while aggregators crash and come back', async () => {
    const system = await startTestSystem({
      store: new InMemoryStore(),
      snapshotEvery: 20,
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
        },
        drillPlan({ rate: 100, users: 100, phaseMs: 600 }),
      );
      process.stdout.write(
        `chaos (short): ${report.requests} requests, ${report.failed} failed, not sent (load driver's limit) ${JSON.stringify(report.notSent)}, ` +
          `max ${report.maxLatencyMs.toFixed(0)} ms, ` +
          `${report.acknowledgedWrites} acknowledged writes, ${report.missingWrites} missing\n`,
      );
      expect(report.failures).toEqual({});
      expect(report.missingWrites).toBe(0);
      expect(report.requests).toBeGreaterThan(200);
      expect(report.acknowledgedWrites).toBeGreaterThan(20);
      expect(report.recoveries.map(({ aggregator }) => aggregator).sort()).toEqual([0, 1, 2]);
    } finally {
      await system.close();
    }
  }, 30_000);
});

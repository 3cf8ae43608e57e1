import { InMemoryStore } from '@user-service/common/store/memory';
import { TEST_MASTER_KEYS } from '@user-service/test-support';
import { PassThrough } from 'node:stream';
import { runDrill } from '../src/chaos/drill';
import { InProcessCluster } from '../src/in-process-cluster';

describe('the chaos drill', () => {
  let system: InProcessCluster;

  beforeAll(async () => {
    system = await InProcessCluster.start({
      store: new InMemoryStore(),
      masterKeys: TEST_MASTER_KEYS,
      aggregatorCount: 1,
      snapshotEvery: 100,
      gatewayPort: 0,
      aggregatorBasePort: 0,
      logLevel: 'error',
      logStream: new PassThrough().resume(),
    });
  });

  afterAll(() => system.close());

  it('counts requests it could not send for want of an idle user apart from failed requests', async () => {
    // One user and a rate of a request every half millisecond: the drill asks for more requests
    // than one user with one request in flight can take, whatever the machine's speed.
    const report = await runDrill(
      {
        url: system.gateway.url,
        crash: () => Promise.resolve(),
        restart: () => Promise.resolve(0),
        pause: () => Promise.resolve(),
        resume: () => Promise.resolve(),
        add: () => Promise.resolve(),
      },
      { rate: 2000, users: 1, durationMs: 300, faults: [] },
    );

    expect(report.failures).toEqual({});
    expect(report.failed).toBe(0);
    expect(report.notSent['no idle user (rate too high for the user count)']).toBeGreaterThan(0);
    expect(Object.keys(report.notSent)).toEqual([
      'no idle user (rate too high for the user count)',
    ]);
    expect(report.requests).toBeGreaterThan(0);
    expect(report.missingWrites).toBe(0);
  });
});

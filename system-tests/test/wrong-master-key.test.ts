import { startAggregatorNode } from '@user-service/aggregator';
import { waitUntil } from '@user-service/common/lifecycle';
import { ephemeralMasterKeys } from '@user-service/common/personal-data';
import { InMemoryStore } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import { TEST_MASTER_KEYS } from '@user-service/test-support';
import { PassThrough } from 'node:stream';
import { apiClient } from './http-client';
import { startGatewayBeside, startTestSystem, untilAggregatorsReady } from './test-system';

const quiet = () => ({ logLevel: 'error', logStream: new PassThrough().resume() });

/**
 * Crypto review m3: a gateway or an aggregator started with a master key that opens none of the
 * store's keys says so on /readyz, rather than reporting ready and answering 500 to whatever
 * touches a name or an email.
 */
describe('a process whose master key opens none of the store’s keys', () => {
  let store: InMemoryStore;
  let system: InProcessCluster;

  beforeAll(async () => {
    store = new InMemoryStore();
    system = await startTestSystem({ store });
    await untilAggregatorsReady(system, [0, 1, 2]);
    // The first create makes the store's system keys, under the system's master key.
    await apiClient(system.gateway.url).create({
      id: 'ada',
      name: 'Ada',
      email: 'ada@example.com',
      group: 1,
    });
  });

  afterAll(() => system.close());

  it('is a gateway that answers /readyz 503 master-key-mismatch, naming the master key needed', async () => {
    const stranger = await startGatewayBeside(system, store, ephemeralMasterKeys());
    try {
      const answer = await fetch(`${stranger.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({
        ready: false,
        reason: 'master-key-mismatch',
        masterKeyId: TEST_MASTER_KEYS.current.id,
      });
      expect((await fetch(`${system.gateway.url}/readyz`)).status).toBe(200);
    } finally {
      await stranger.close();
    }
  });

  it('is an aggregator that is not ready, for that reason', async () => {
    const stranger = await startAggregatorNode({
      index: 0,
      aggregatorCount: 3,
      partitions: 12,
      snapshotEvery: 100,
      store,
      masterKeys: ephemeralMasterKeys(),
      port: 0,
      internalToken: system.internalToken,
      ...quiet(),
    });
    try {
      const reasonOf = async () =>
        ((await (await fetch(`${stranger.url}/readyz`)).json()) as { reason?: string }).reason;
      await waitUntil(async () => (await reasonOf()) !== 'restoring', {
        describe: 'the aggregator to have restored',
        timeoutMs: 5000,
      });
      const answer = await fetch(`${stranger.url}/readyz`);
      expect(answer.status).toBe(503);
      expect(await answer.json()).toEqual({ ready: false, reason: 'master-key-mismatch' });
    } finally {
      await stranger.crash();
    }
  });
});

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
      name: 'stranger',
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
      // It took no partition: it could answer none of their users.
      expect(await answer.json()).toEqual({
        ready: false,
        reason: 'master-key-mismatch',
        partitions: [],
      });
    } finally {
      await stranger.crash();
    }
  });
});

/**
 * Crypto review m2: in the middle of a master-key rotation a process that holds only the old key
 * cannot unwrap the keys a process with the new one made. One such user must not take a list down.
 */
describe('a user whose key this process’s master keys do not unwrap', () => {
  let store: InMemoryStore;
  let system: InProcessCluster;
  let rotated: Awaited<ReturnType<typeof startGatewayBeside>>;

  beforeAll(async () => {
    store = new InMemoryStore();
    system = await startTestSystem({ store });
    await untilAggregatorsReady(system, [0, 1, 2]);
    const api = apiClient(system.gateway.url);
    for (const id of ['ada', 'cy'])
      await api.create({ id, name: id, email: `${id}@example.com`, group: 1 });
    // A gateway already given the next master key, the old one beside it, as rotation asks.
    const next = ephemeralMasterKeys().current;
    rotated = await startGatewayBeside(system, store, {
      current: next,
      byId: new Map([[next.id, next], ...TEST_MASTER_KEYS.byId]),
    });
    const made = await apiClient(rotated.url).create({
      id: 'bob',
      name: 'Bob',
      email: 'bob@example.com',
      group: 1,
    });
    expect(made.status).toBe(201);
  });

  afterAll(async () => {
    await rotated.close();
    await system.close();
  });

  it('is left out of a list page, which answers the others and says partial; counts still count it', async () => {
    const api = apiClient(system.gateway.url);
    const leftOut = async () =>
      /gateway_list_users_left_out_total (\d+)/.exec(
        await (await fetch(`${system.gateway.url}/metrics`)).text(),
      )?.[1];
    const before = Number(await leftOut());
    const page = await api.send('GET', '/api/user?limit=10');
    expect(page.status).toBe(200);
    expect((page.body as { id: string }[]).map((user) => user.id)).toEqual(['ada', 'cy']);
    expect(page.headers.get('x-consistency')).toBe('partial');
    expect(Number(await leftOut())).toBe(before + 1);
    const count = await api.send('GET', '/api/user/count');
    expect({ body: count.body, consistency: count.headers.get('x-consistency') }).toEqual({
      body: { count: 3 },
      consistency: 'exact',
    });
  });

  it('is read as 503 user-unreadable, naming the user, where the key is missing; a gateway that holds it reads the user', async () => {
    const read = await apiClient(system.gateway.url).send('GET', '/api/user/bob');
    expect({ status: read.status, retryAfter: read.headers.get('retry-after') }).toEqual({
      status: 503,
      retryAfter: '60',
    });
    expect(read.body).toMatchObject({
      type: 'http://localhost/problems/user-unreadable',
      detail: expect.stringMatching(/^User bob cannot be read: its personal data is sealed/),
    });
    const withKey = await apiClient(rotated.url).send('GET', '/api/user/bob');
    expect({ status: withKey.status, body: withKey.body }).toEqual({
      status: 200,
      body: { id: 'bob', name: 'Bob', email: 'bob@example.com', group: 1 },
    });
  });

  it('is explained by the master key ids each process publishes: the one without the new key shows it', async () => {
    const keysOf = async (url: string) =>
      [
        ...(await (await fetch(`${url}/metrics`)).text()).matchAll(
          /^personal_data_master_key\{id="(\w+)",current="(true|false)"[^}]*\} 1$/gm,
        ),
      ]
        .map(
          ([, id, current]) => `${id === TEST_MASTER_KEYS.current.id ? 'old' : 'new'} ${current}`,
        )
        .sort();
    expect(await keysOf(system.gateway.url)).toEqual(['old true']);
    expect(await keysOf(system.aggregatorUrls[0]!)).toEqual(['old true']);
    expect(await keysOf(rotated.url)).toEqual(['new true', 'old false']);
  });
});

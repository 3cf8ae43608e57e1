import { InMemoryStore } from '@user-service/common/store/memory';
import type { InProcessCluster } from '@user-service/launcher';
import { Pool } from 'undici';
import { apiClient, type ApiClient } from './http-client';
import { startTestSystem } from './test-system';

/** The gateway's `gateway_aggregator_reads_per_exchange` histogram: exchanges and the reads they carried. */
async function exchanges(gatewayUrl: string): Promise<{ count: number; reads: number }> {
  const text = await (await fetch(`${gatewayUrl}/metrics`)).text();
  const value = (series: string) =>
    Number(
      new RegExp(`^gateway_aggregator_reads_per_exchange_${series} (\\S+)$`, 'm').exec(text)?.[1],
    );
  return { count: value('count'), reads: value('sum') };
}

describe('reads arriving together (decision 0013)', () => {
  let system: InProcessCluster;
  let api: ApiClient;
  const ids = Array.from({ length: 40 }, (_, n) => `together-${n}`);

  beforeAll(async () => {
    system = await startTestSystem({ store: new InMemoryStore() });
    api = apiClient(system.gateway.url);
    for (const [n, id] of ids.entries())
      await api.create({ id, name: `Person ${n}`, email: `${id}@example.com`, group: n });
  });

  afterAll(() => system.close());

  it('each get their own user, in fewer exchanges with the aggregators than reads', async () => {
    // A connection each, opened by a first round: the second round's requests then arrive
    // together, in one turn of the gateway's event loop, as they do under load.
    const pool = new Pool(system.gateway.url, { connections: ids.length });
    const readAll = () =>
      Promise.all(
        ids.map(async (id) => {
          const { statusCode, headers, body } = await pool.request({
            method: 'GET',
            path: `/api/user/${id}`,
          });
          return { status: statusCode, etag: headers.etag, body: await body.json() };
        }),
      );
    await readAll();
    const before = await exchanges(system.gateway.url);
    const answers = await readAll();
    await pool.close();
    expect(answers).toEqual(
      ids.map((id, n) => ({
        status: 200,
        etag: '"1"',
        body: { id, name: `Person ${n}`, email: `${id}@example.com`, group: n },
      })),
    );
    const after = await exchanges(system.gateway.url);
    expect(after.reads - before.reads).toBe(ids.length);
    expect(after.count - before.count).toBeLessThan(ids.length);
  });

  it('answer a missing user 404 beside users found', async () => {
    const [found, missing] = await Promise.all([api.get('together-0'), api.get('never-created')]);
    expect(found.status).toBe(200);
    expect(missing.status).toBe(404);
  });
});

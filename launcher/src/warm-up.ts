import { ephemeralMasterKeys } from '@user-service/common/personal-data';
import { InMemoryStore } from '@user-service/common/store/memory';
import { Writable } from 'node:stream';
import { Registry } from 'prom-client';
import { Pool } from 'undici';
import { InProcessCluster } from './in-process-cluster';

/** Users the warm-up writes, each through the whole API, in rounds of WARM_UP_CONNECTIONS. */
const WARM_UP_USERS = 120;
const WARM_UP_CONNECTIONS = 8;

/** How the throwaway copy answered, by status: a 5xx there would be a bug of the copy to come. */
export interface WarmUpReport {
  readonly statuses: Readonly<Record<string, number>>;
}

export interface WarmUpShape {
  readonly aggregatorCount: number;
  readonly partitions: number;
  readonly snapshotEvery: number;
}

/**
 * Runs a throwaway copy of the in-memory system (its own store, keys, ports, bare metrics
 * registries and no log) through the API's requests, then closes it, so that the system started
 * next serves its first requests with code already compiled and optimized. The code is shared by
 * both copies (express, node's HTTP, undici, the routes, the store, the ciphers); only their state
 * differs. Without it a fresh process runs its first few hundred requests several times slower
 * while V8 compiles and optimizes what they call, and at a few hundred requests per second they
 * queue for hundreds of ms (see bench/README.md, the tail on a fresh system).
 */
export async function warmUp(shape: WarmUpShape, users = WARM_UP_USERS): Promise<WarmUpReport> {
  const scratch = await InProcessCluster.start({
    ...shape,
    store: new InMemoryStore({ partitions: shape.partitions }),
    masterKeys: ephemeralMasterKeys(),
    gatewayPort: 0,
    aggregatorBasePort: 0,
    logLevel: 'error',
    logStream: new Writable({ write: (_chunk, _encoding, done) => done() }),
    registry: () => new Registry(),
  });
  const pool = new Pool(scratch.gateway.url, { connections: WARM_UP_CONNECTIONS });
  const statuses: Record<string, number> = {};
  const count = (status: number) => (statuses[status] = (statuses[status] ?? 0) + 1);
  try {
    for (let first = 0; first < users; first += WARM_UP_CONNECTIONS) {
      await Promise.all(
        Array.from({ length: WARM_UP_CONNECTIONS }, (_, offset) =>
          everyRequestOf(pool, `warm-up-${first + offset}`, count),
        ),
      );
    }
    return { statuses };
  } finally {
    await pool.close();
    await scratch.close();
  }
}

/** A user through the API: written, read, changed, listed, counted, refused, and deleted. */
async function everyRequestOf(
  pool: Pool,
  id: string,
  count: (status: number) => void,
): Promise<void> {
  const json = { 'content-type': 'application/json' };
  const send = async (
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    const answer = await pool.request({
      method,
      path,
      headers: body === undefined ? headers : { ...json, ...headers },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    await answer.body.dump();
    count(answer.statusCode);
  };
  const user = { id, name: `Warm ${id}`, email: `${id}@example.com`, group: 1 };
  await send('POST', '/api/user', user);
  await send('GET', `/api/user/${id}`);
  await send('PUT', '/api/user', { id, group: 2 });
  await send('PUT', `/api/user/${id}`, { email: `${id}.2@example.com` }, { 'idempotency-key': id });
  await send(
    'PATCH',
    `/api/user/${id}`,
    { name: 'Patched' },
    {
      'content-type': 'application/merge-patch+json',
    },
  );
  await send('GET', `/api/user/${id}`);
  await send('GET', `/api/user/${id}/events`);
  await send('GET', '/api/user?limit=100');
  await send('GET', '/api/user/count');
  await send('GET', '/api/stats/events');
  await send('GET', `/api/user/${id}-nobody`);
  await send('POST', '/api/user', { name: 1 });
  await send('DELETE', `/api/user/${id}`);
}

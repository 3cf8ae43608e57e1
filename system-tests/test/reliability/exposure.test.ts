import { MIN_INTERNAL_TOKEN_LENGTH } from '@user-service/common/config';
import { InMemoryStore } from '@user-service/common/store/memory';
import { apiClient } from '../http-client';
import type { InProcessCluster } from '@user-service/launcher';
import { startTestSystem } from '../test-system';

describe('exposure', () => {
  let system: InProcessCluster;

  beforeAll(async () => {
    system = await startTestSystem({
      store: new InMemoryStore(),
      aggregatorCount: 1,
      internalToken: 'shared-secret',
    });
    await apiClient(system.gateway.url).create({
      id: 'private',
      name: 'P',
      email: 'p@example.com',
      group: 1,
    });
  });

  afterAll(() => system.close());

  it('lets only callers with the shared secret into the aggregators’ internal API', async () => {
    const [aggregator] = system.aggregatorUrls;
    for (const path of ['/internal/users/private', '/internal/user-reads?reads=private:0']) {
      const read = (headers: Record<string, string>) => fetch(`${aggregator}${path}`, { headers });
      expect((await read({})).status).toBe(401);
      expect((await read({ authorization: 'Bearer wrong' })).status).toBe(401);
      expect((await read({ authorization: 'Bearer shared-secret' })).status).toBe(200);
    }
    expect((await fetch(`${aggregator}/healthz`)).status).toBe(200);
  });

  it('closes the internal API of a system given no secret, with one it made itself', async () => {
    const made = await startTestSystem({ store: new InMemoryStore(), aggregatorCount: 1 });
    try {
      await apiClient(made.gateway.url).create({
        id: 'private',
        name: 'P',
        email: 'p@example.com',
        group: 1,
      });
      expect(made.internalToken.length).toBeGreaterThanOrEqual(MIN_INTERNAL_TOKEN_LENGTH);
      const [aggregator] = made.aggregatorUrls;
      const url = `${aggregator}/internal/users/private`;
      const refused = await fetch(url);
      expect(refused.status).toBe(401);
      expect(await refused.text()).not.toContain('p@example.com');
      const allowed = await fetch(url, {
        headers: { authorization: `Bearer ${made.internalToken}` },
      });
      expect(allowed.status).toBe(200);
      expect((await apiClient(made.gateway.url).get('private')).status).toBe(200);
    } finally {
      await made.close();
    }
  });

  it('still answers reads through the gateway, which holds the secret', async () => {
    const answer = await apiClient(system.gateway.url).get('private');
    expect(answer.status).toBe(200);
  });

  it('never puts a stack trace in an error response', async () => {
    const api = apiClient(system.gateway.url);
    const answers = [
      await api.send('POST', '/api/user', {
        body: '{"name":',
        headers: { 'content-type': 'application/json' },
      }),
      await api.send('GET', '/api/user/%E0%A4%A'),
      await api.send('PUT', '/api/user', {
        body: 'x'.repeat(20_000),
        headers: { 'content-type': 'application/json' },
      }),
    ];
    for (const answer of answers) {
      expect(answer.status).toBeGreaterThanOrEqual(400);
      expect(answer.status).toBeLessThan(500);
      expect(answer.text).not.toMatch(/\bat \S+ \(|node_modules|\.js:\d+/);
    }
  });
});

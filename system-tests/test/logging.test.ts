import { InMemoryStore } from '@user-service/common/store/memory';
import { PassThrough } from 'node:stream';
import { apiClient } from './http-client';
import { startTestSystem } from './test-system';

describe('request logs', () => {
  it('write one JSON line per request, with the request id in gateway and aggregator alike, and no emails', async () => {
    const stream = new PassThrough();
    const lines: Record<string, unknown>[] = [];
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
    });
    const system = await startTestSystem({
      store: new InMemoryStore(),
      aggregatorCount: 1,
      logLevel: 'info',
      logStream: stream,
    });
    try {
      const api = apiClient(system.gateway.url);
      await api.create(
        { id: 'logged', name: 'Log', email: 'secret.person@example.com', group: 1 },
        { 'x-request-id': 'req-create' },
      );
      await api.send('GET', '/api/user/logged', { headers: { 'x-request-id': 'req-read' } });
    } finally {
      await system.close();
    }

    const requestLines = lines.filter((line) => line.message === 'request');
    expect(requestLines.filter((line) => line.requestId === 'req-create')).toEqual([
      expect.objectContaining({
        service: 'gateway',
        method: 'POST',
        route: '/api/user',
        status: 201,
        level: 'info',
        timestamp: expect.any(String),
      }),
    ]);
    expect(requestLines.filter((line) => line.requestId === 'req-read')).toEqual([
      expect.objectContaining({
        service: 'aggregator',
        aggregator: 'aggregator-0',
        route: '/internal/users/:id',
        status: 200,
      }),
      expect.objectContaining({ service: 'gateway', route: '/api/user/:id', status: 200 }),
    ]);
    expect(JSON.stringify(lines)).not.toContain('secret.person@example.com');
  });
});

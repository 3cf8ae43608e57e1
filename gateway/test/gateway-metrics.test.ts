import { InMemoryStore } from '@user-service/common/store/memory';
import { fieldsFor, type RunningApi } from '@user-service/test-support';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  type HangingUpAggregator,
  hangingUpAggregator,
  startGateway as startGatewayOn,
} from './gateway-under-test';

/** One metric's samples in a scrape, by label set (`method="GET",route="/x",status="200"`). */
function samples(scrape: string, metric: string): Record<string, number> {
  const byLabels: Record<string, number> = {};
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    byLabels[line.slice(metric.length + 1, line.indexOf('}'))] = Number(line.split(' ').at(-1));
  }
  return byLabels;
}

const labelSets = (scrape: string, metric: string) => Object.keys(samples(scrape, metric));

/** A gateway as its process runs, on a store of its own, with one aggregator at `aggregatorUrl`. */
const startGateway = (aggregatorUrl: string) => startGatewayOn(aggregatorUrl)(new InMemoryStore());

const scrape = async (gateway: RunningApi) => (await fetch(`${gateway.url}/metrics`)).text();

describe('gateway metrics, as the dashboard reads them', () => {
  describe('with an aggregator that hangs up', () => {
    let aggregator: HangingUpAggregator;
    let gateway: RunningApi;

    beforeAll(async () => {
      aggregator = await hangingUpAggregator();
      gateway = await startGateway(aggregator.url);
    });

    afterAll(async () => {
      await gateway.close();
      await aggregator.close();
    });

    it('counts the /api/users alias under the /api/user route templates', async () => {
      const create = await fetch(`${gateway.url}/api/users`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'ada', ...fieldsFor(1) }),
      });
      expect(create.status).toBe(201);
      for (const path of ['/api/user/ada', '/api/users/ada'])
        expect((await fetch(`${gateway.url}${path}`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/api/users/ada/events`)).status).toBe(200);
      expect((await fetch(`${gateway.url}/api/nowhere`)).status).toBe(404);

      const text = await scrape(gateway);
      expect(samples(text, 'http_request_duration_seconds_count')).toEqual(
        expect.objectContaining({
          'method="POST",route="/api/user",status="201"': 1,
          'method="GET",route="/api/user/:id",status="200"': 2,
          'method="GET",route="/api/user/:id/events",status="200"': 1,
          'method="GET",route="unmatched",status="404"': 1,
        }),
      );
      expect(text).not.toMatch(/\/api\/users|ada|path=|status_code=/);
    });

    it('names why reads fell back to the store in snake_case, as the alert matches them', async () => {
      for (let n = 0; n < 5; n++) await fetch(`${gateway.url}/api/user/ada`);
      const text = await scrape(gateway);
      expect(labelSets(text, 'gateway_fallback_reads_total')).toEqual(
        expect.arrayContaining([
          'aggregator="hanging_up",reason="failed"',
          'aggregator="hanging_up",reason="circuit_open"',
        ]),
      );
      expect(labelSets(text, 'gateway_aggregator_forwards_total')).toContain(
        'aggregator="hanging_up",outcome="circuit_open"',
      );
    });

    it('puts no `service` label of its own on any series: Prometheus adds `job`', async () => {
      expect(await scrape(gateway)).not.toContain('service=');
    });
  });

  describe('with an aggregator that knows no user', () => {
    let aggregator: Server;
    let gateway: RunningApi;

    beforeAll(async () => {
      aggregator = createServer((_req, res) => {
        res.writeHead(404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ type: '/problems/user-not-found' }));
      });
      await new Promise<void>((resolve) => aggregator.listen(0, '127.0.0.1', resolve));
      const { port } = aggregator.address() as AddressInfo;
      gateway = await startGateway(`http://127.0.0.1:${port}`);
    });

    afterAll(async () => {
      await gateway.close();
      aggregator.closeAllConnections();
      await new Promise((resolve) => aggregator.close(resolve));
    });

    it('counts its answer as outcome="not_found"', async () => {
      expect((await fetch(`${gateway.url}/api/users/nobody`)).status).toBe(404);
      expect(labelSets(await scrape(gateway), 'gateway_aggregator_forwards_total')).toEqual([
        'aggregator="hanging_up",outcome="not_found"',
      ]);
    });
  });
});

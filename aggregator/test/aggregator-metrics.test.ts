import { InMemoryStore } from '@user-service/common/store/memory';
import type { AggregatorNode } from '../src/aggregator-node';
import { until } from './node-probes';
import { fetchInternal, startTestAggregator } from './test-aggregator';

/** One metric's samples in a scrape, by label set in name order (`aggregator="aggregator-0",reason="behind"`). */
function samples(scrape: string, metric: string): Record<string, number> {
  const byLabels: Record<string, number> = {};
  for (const line of scrape.split('\n')) {
    if (!line.startsWith(`${metric}{`)) continue;
    const labels = line
      .slice(metric.length + 1, line.indexOf('}'))
      .split(',')
      .sort()
      .join(',');
    byLabels[labels] = Number(line.split(' ').at(-1));
  }
  return byLabels;
}

describe('aggregator metrics, as the dashboard and alerts read them', () => {
  let node: AggregatorNode;
  const scrape = async () => (await fetch(`${node.url}/metrics`)).text();

  beforeAll(async () => {
    node = await startTestAggregator(new InMemoryStore());
    await until(async () => (await fetch(`${node.url}/readyz`)).status === 200, 'ready');
  });

  afterAll(() => node.stop());

  it('exports one not-ready series per reason a scrape can meet, in snake_case', async () => {
    expect(samples(await scrape(), 'aggregator_not_ready')).toEqual({
      'aggregator="aggregator-0",reason="joining"': 0,
      'aggregator="aggregator-0",reason="restoring"': 0,
      'aggregator="aggregator-0",reason="reconciling"': 0,
      'aggregator="aggregator-0",reason="behind"': 0,
      'aggregator="aggregator-0",reason="handler_failed"': 0,
      'aggregator="aggregator-0",reason="event_gap"': 0,
      'aggregator="aggregator-0",reason="stream_invalidated"': 0,
      'aggregator="aggregator-0",reason="malformed_event"': 0,
    });
  });

  it('labels requests with `route` and `status`, the read path and the lists alike', async () => {
    expect((await fetchInternal(`${node.url}/internal/users/nobody`)).status).toBe(404);
    expect((await fetchInternal(`${node.url}/internal/users?partitions=0`)).status).toBe(200);
    const text = await scrape();
    expect(samples(text, 'aggregator_reads_total')).toEqual({
      'aggregator="aggregator-0",status="404"': 1,
    });
    expect(samples(text, 'http_request_duration_seconds_count')).toEqual({
      'aggregator="aggregator-0",method="GET",route="/internal/users",status="200"': 1,
    });
  });

  it('counts each read of a batch by its own status, and a batch refused once', async () => {
    const before = samples(await scrape(), 'aggregator_reads_total');
    const count = (status: number) => before[`aggregator="aggregator-0",status="${status}"`] ?? 0;
    expect((await fetchInternal(`${node.url}/internal/user-reads?reads=a:0,b:0,c:4`)).status).toBe(
      200,
    );
    expect((await fetchInternal(`${node.url}/internal/user-reads?reads=a`)).status).toBe(400);
    expect(samples(await scrape(), 'aggregator_reads_total')).toEqual({
      'aggregator="aggregator-0",status="404"': count(404) + 2,
      'aggregator="aggregator-0",status="409"': count(409) + 1,
      'aggregator="aggregator-0",status="400"': count(400) + 1,
    });
  });

  it('serves /metrics in the Prometheus text format, with its version', async () => {
    const answer = await fetch(`${node.url}/metrics`);
    expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
  });
});

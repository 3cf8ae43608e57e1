import { InMemoryStore } from '@user-service/common/store/memory';
import { apiClient } from '../http-client';
import { exportedMetricNames, metricNamesIn } from './promql';
import { repoText, repoYaml } from './repo-files';
import { startTestSystem } from '../test-system';

/** Prometheus makes these itself for every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);

interface Dashboard {
  panels: { title: string; targets?: { expr: string }[] }[];
}

interface AlertRules {
  groups: { rules: { alert: string; expr: string }[] }[];
}

function dashboardQueries(): { where: string; expr: string }[] {
  const dashboard = JSON.parse(
    repoText('observability/grafana/dashboards/user-service.json'),
  ) as Dashboard;
  return dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map(({ expr }) => ({ where: `panel "${panel.title}"`, expr })),
  );
}

function alertQueries(): { where: string; expr: string }[] {
  const rules = repoYaml('observability/alerts.yml') as AlertRules;
  return rules.groups.flatMap((group) =>
    group.rules.map(({ alert, expr }) => ({ where: `alert ${alert}`, expr })),
  );
}

describe('dashboard and alert queries', () => {
  let exported: Set<string>;

  beforeAll(async () => {
    const system = await startTestSystem({
      store: new InMemoryStore(),
      snapshotEvery: 5,
    });
    try {
      const api = apiClient(system.gateway.url);
      for (let n = 0; n < 20; n++) {
        await api.create({ id: `m${n}`, name: 'M', email: 'm@example.com', group: n });
        await api.get(`m${n}`);
      }
      const scrapes = await Promise.all(
        [system.gateway.url, ...system.aggregatorUrls].map(async (url) =>
          (await fetch(`${url}/metrics`)).text(),
        ),
      );
      exported = new Set(scrapes.flatMap((scrape) => [...exportedMetricNames(scrape)]));
    } finally {
      await system.close();
    }
  });

  it('find the metrics they need among what the services export', () => {
    const queries = [...dashboardQueries(), ...alertQueries()];
    expect(queries.length).toBeGreaterThan(20);
    const missing = queries.flatMap(({ where, expr }) =>
      metricNamesIn(expr)
        .filter((name) => !exported.has(name) && !SYNTHETIC.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
  });

  it('cover what operators watch: traffic, errors, latency, lag, snapshots, recovery, fallback, circuits', () => {
    const all = dashboardQueries()
      .map(({ expr }) => expr)
      .join('\n');
    for (const metric of [
      'http_request_duration_seconds_count',
      'http_request_duration_seconds_bucket',
      'aggregator_apply_lag_seconds',
      'aggregator_events_applied_total',
      'aggregator_snapshots_total',
      'aggregator_replay_duration_seconds',
      'gateway_fallback_reads_total',
      'gateway_circuit_open',
      'aggregator_not_ready',
      'aggregator_parked_users',
    ]) {
      expect(all).toContain(metric);
    }
    expect(
      alertQueries()
        .map(({ where }) => where)
        .sort(),
    ).toEqual([
      'alert AggregatorApplyLagHigh',
      'alert AggregatorDown',
      'alert AggregatorParkedUsers',
      'alert GatewayFallbackReads',
      'alert GatewayServerErrorRatio',
    ]);
  });

  it('reads metric names out of PromQL, leaving functions, labels and strings aside', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, path) (rate(http_x_bucket{service="a", path=~"/b.."}[1m]))) / up',
      ),
    ).toEqual(['http_x_bucket', 'up']);
  });
});

import { InMemoryStore } from '@user-service/common/store/memory';
import { apiClient } from '../http-client';
import { exportedLabelNames, exportedMetricNames, labelNamesIn, metricNamesIn } from './promql';
import { repoText, repoYaml } from './repo-files';
import { startTestSystem } from '../test-system';

/** Prometheus makes these itself for every target. */
const SYNTHETIC = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped']);
/** Prometheus puts these on every series it scrapes. */
const TARGET_LABELS = ['job', 'instance'];

interface Dashboard {
  panels: {
    title: string;
    description?: string;
    targets?: { expr: string; legendFormat?: string }[];
  }[];
}

interface AlertRules {
  groups: { rules: { alert: string; expr: string; annotations: { description: string } }[] }[];
}

interface AlertTests {
  tests: { input_series: { series: string }[] }[];
}

interface Query {
  readonly where: string;
  readonly expr: string;
  /** The labels a legend shows (`{{route}}`), which the query's result must carry. */
  readonly shown?: readonly string[];
}

function dashboard(): Dashboard {
  return JSON.parse(repoText('observability/grafana/dashboards/user-service.json')) as Dashboard;
}

function dashboardQueries(): Query[] {
  return dashboard().panels.flatMap((panel) =>
    (panel.targets ?? []).map(({ expr, legendFormat }) => ({
      where: `panel "${panel.title}"`,
      expr,
      shown: [...(legendFormat ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map(
        ([, name]) => name ?? '',
      ),
    })),
  );
}

function alertRules() {
  return (repoYaml('observability/alerts.yml') as AlertRules).groups.flatMap(
    (group) => group.rules,
  );
}

function alertQueries(): Query[] {
  return alertRules().map(({ alert, expr }) => ({ where: `alert ${alert}`, expr }));
}

describe('dashboard and alert queries', () => {
  let exported: Set<string>;
  let labels: Map<string, Set<string>>;
  let aggregatorScrape: string;

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
      labels = new Map();
      for (const scrape of scrapes)
        for (const [name, names] of exportedLabelNames(scrape))
          labels.set(name, new Set([...(labels.get(name) ?? []), ...names]));
      aggregatorScrape = scrapes[1] ?? '';
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

  it('match and show only labels the metrics they read carry', () => {
    const checked: string[] = [];
    const wrong = [...dashboardQueries(), ...alertQueries()].flatMap(({ where, expr, shown }) => {
      const read = metricNamesIn(expr).filter((name) => !SYNTHETIC.has(name));
      // A family without a sample yet (a counter never incremented here) shows no labels.
      if (read.length === 0 || !read.every((name) => labels.has(name))) return [];
      checked.push(expr);
      const carried = new Set([
        ...TARGET_LABELS,
        ...read.flatMap((name) => [...(labels.get(name) ?? [])]),
      ]);
      return [...labelNamesIn(expr), ...(shown ?? [])]
        .filter((label) => !carried.has(label))
        .map((label) => `${where}: ${label} on ${read.join(', ')}`);
    });
    expect(wrong).toEqual([]);
    // The six request panels and the 5xx alert are among those checked.
    expect(checked.filter((expr) => expr.includes('http_request_duration_seconds'))).toHaveLength(
      7,
    );
  });

  it('replay in the alert tests the series the services export, with their labels', () => {
    const tests = repoYaml('observability/alerts.test.yml') as AlertTests;
    const wrong = tests.tests
      .flatMap((test) => test.input_series.map(({ series }) => series))
      .flatMap((series) => {
        const name = /^[A-Za-z_:][\w:]*/.exec(series)?.[0] ?? '';
        if (SYNTHETIC.has(name)) return [];
        if (!exported.has(name)) return [`${series}: no such metric`];
        const known = labels.get(name);
        if (!known) return [];
        return [...series.matchAll(/([A-Za-z_]\w*)="/g)]
          .map(([, label]) => label ?? '')
          .filter((label) => !TARGET_LABELS.includes(label) && !known.has(label))
          .map((label) => `${series}: no label ${label}`);
      });
    expect(wrong).toEqual([]);
  });

  it('document every not-ready reason the aggregators export, as they spell it', () => {
    const reasons = [
      ...aggregatorScrape.matchAll(/^aggregator_not_ready\{[^}]*reason="([^"]+)"/gm),
    ].map(([, reason]) => reason ?? '');
    expect(reasons.length).toBeGreaterThan(5);
    const panel = dashboard().panels.find((candidate) =>
      candidate.targets?.some(({ expr }) => expr.includes('aggregator_not_ready')),
    );
    const down = alertRules().find(({ alert }) => alert === 'AggregatorDown');
    for (const reason of reasons) {
      expect({ reason, inPanel: panel?.description?.includes(reason) }).toEqual({
        reason,
        inPanel: true,
      });
      expect({ reason, inAlert: down?.annotations.description.includes(reason) }).toEqual({
        reason,
        inAlert: true,
      });
    }
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
      'aggregator_partitions_owned',
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
      'alert NoAggregatorUp',
      'alert ProjectionRebuildFailed',
    ]);
  });

  it('name no aggregator or instance of their own: replicas come and go, with names of their own', () => {
    const fixed = [...dashboardQueries(), ...alertQueries()].filter(({ expr }) =>
      /\b(aggregator|instance)\s*(=|!=|=~|!~)\s*"/.test(expr),
    );
    expect(fixed).toEqual([]);
  });

  it('reads metric names out of PromQL, leaving functions, labels and strings aside', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.99, sum by (le, route) (rate(http_x_bucket{job="a", route=~"/b.."}[1m]))) / up',
      ),
    ).toEqual(['http_x_bucket', 'up']);
  });

  it('reads the label names PromQL matches and groups on, leaving values aside', () => {
    expect(
      labelNamesIn(
        'sum by (route, status) (rate(x_count{job="gateway", status=~"5..", note="a=b"}[1m])) / on (job) y',
      ).sort(),
    ).toEqual(['job', 'note', 'route', 'status']);
  });
});

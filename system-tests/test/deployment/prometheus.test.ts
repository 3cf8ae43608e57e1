import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO, repoYaml } from './repo-files';

interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; port: number }[];
  }[];
}

const prometheus = repoYaml('prometheus.yml') as PrometheusConfig;
const job = (name: string) => prometheus.scrape_configs.find((config) => config.job_name === name);

describe('prometheus.yml', () => {
  it('scrapes every aggregator and every gateway replica', () => {
    expect(job('aggregator')?.static_configs?.flatMap((config) => config.targets)).toEqual([
      'aggregator-0:9100',
      'aggregator-1:9100',
      'aggregator-2:9100',
    ]);
    expect(job('gateway')?.dns_sd_configs).toEqual([
      expect.objectContaining({ names: ['gateway'], port: 8080 }),
    ]);
  });

  it('loads alert rules that exist in the repository', () => {
    expect(prometheus.rule_files).toEqual(['observability/alerts.yml']);
    for (const file of prometheus.rule_files) expect(existsSync(resolve(REPO, file))).toBe(true);
  });
});

describe('grafana provisioning', () => {
  it('points the datasource at the Prometheus service and the dashboards at their mounted folder', () => {
    const datasources = repoYaml(
      'observability/grafana/provisioning/datasources/prometheus.yml',
    ) as {
      datasources: { url: string; uid: string }[];
    };
    expect(datasources.datasources).toEqual([
      expect.objectContaining({ url: 'http://prometheus:9090', uid: 'prometheus' }),
    ]);
    const providers = repoYaml(
      'observability/grafana/provisioning/dashboards/user-service.yml',
    ) as {
      providers: { options: { path: string } }[];
    };
    expect(providers.providers[0]?.options.path).toBe('/etc/grafana/dashboards');
  });

  it('runs on a Prometheus line that still gets fixes: 3.x, pinned to a version (deployment review L8)', () => {
    const compose = repoYaml('docker-compose.yml') as {
      services: Record<string, { image?: string }>;
    };
    const [, major] =
      /^prom\/prometheus:v(\d+)\.\d+\.\d+$/.exec(compose.services.prometheus?.image ?? '') ?? [];
    expect(Number(major)).toBeGreaterThanOrEqual(3);
  });
});

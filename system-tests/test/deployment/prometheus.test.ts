import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO, repoYaml } from './repo-files';

interface PrometheusConfig {
  rule_files: string[];
  scrape_configs: {
    job_name: string;
    static_configs?: { targets: string[] }[];
    dns_sd_configs?: { names: string[]; type?: string; port: number }[];
  }[];
}

const prometheus = repoYaml('prometheus.yml') as PrometheusConfig;
const job = (name: string) => prometheus.scrape_configs.find((config) => config.job_name === name);

describe('prometheus.yml', () => {
  it('scrapes every aggregator and every gateway replica, found through Docker’s DNS, under the job names the alerts and dashboard match', () => {
    const compose = repoYaml('docker-compose.yml') as {
      services: Record<string, { expose?: string[] }>;
    };
    for (const [name, port] of [
      ['gateway', 8080],
      ['aggregator', 9100],
    ] as const) {
      const config = job(name);
      expect({ name, static: config?.static_configs }).toEqual({ name, static: undefined });
      // The Compose service of that name, at the port it exposes to the others.
      expect(config?.dns_sd_configs).toEqual([
        expect.objectContaining({ names: [name], type: 'A', port }),
      ]);
      expect(compose.services[name]?.expose).toEqual([String(port)]);
    }
    expect(prometheus.scrape_configs.map((config) => config.job_name).sort()).toEqual([
      'aggregator',
      'gateway',
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

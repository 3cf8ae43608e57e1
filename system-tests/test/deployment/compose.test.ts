import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO, repoYaml } from './repo-files';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[]; disable?: boolean };
  depends_on?: Record<string, { condition: string }> | string[];
  restart?: string;
  deploy?: { replicas?: string | number };
  pull_policy?: string;
  init?: boolean;
  stop_grace_period?: string;
}

const compose = repoYaml('docker-compose.yml') as {
  services: Record<string, Service>;
  volumes: Record<string, unknown>;
};
const { services } = compose;
const service = (name: string): Service => {
  const found = services[name];
  if (!found) throw new Error(`no service ${name} in docker-compose.yml`);
  return found;
};
const aggregators = ['aggregator-0', 'aggregator-1', 'aggregator-2'];
const mongos = ['mongo1', 'mongo2', 'mongo3'];

describe('docker-compose.yml', () => {
  it('runs a 3-member replica set with named volumes and health checks', () => {
    for (const name of mongos) {
      const mongo = service(name);
      expect(mongo.command).toEqual(expect.arrayContaining(['--replSet', 'rs0']));
      expect(mongo.healthcheck?.test).toBeDefined();
      const [volume] = mongo.volumes ?? [];
      expect(volume).toMatch(/^[a-z0-9]+:\/data\/db$/);
      expect(mongo.command).toEqual(expect.arrayContaining(['--wiredTigerCacheSizeGB']));
      expect(Object.keys(compose.volumes)).toContain(volume!.split(':')[0]);
    }
  });

  it('runs mongo-init once, after every member is healthy, on the same member list', () => {
    const init = service('mongo-init');
    expect(init.restart).toBe('no');
    expect(init.depends_on).toEqual(
      Object.fromEntries(mongos.map((name) => [name, { condition: 'service_healthy' }])),
    );
    expect(init.command).toEqual(['node', 'mongo-init/dist/main.js']);
    expect(init.environment?.MONGO_MEMBERS).toBe(mongos.map((name) => `${name}:27017`).join(','));
  });

  it('builds the gateway image once and pulls neither of our images', () => {
    const builders = Object.values(services).filter((candidate) => candidate.build);
    expect(
      builders.filter((builder) => builder.build?.dockerfile === 'gateway/Dockerfile'),
    ).toHaveLength(1);
    for (const builder of builders) expect(builder.pull_policy).toBe('build');
    expect(service('mongo-init')).toMatchObject({
      image: service('gateway').image,
      pull_policy: 'never',
    });
  });

  it('runs every node process under an init, so that SIGTERM reaches it at any time', () => {
    for (const name of ['gateway', 'mongo-init', ...aggregators])
      expect(service(name).init).toBe(true);
  });

  it('gives every long-running process time to stop cleanly', () => {
    for (const name of [...mongos, ...aggregators])
      expect(service(name).stop_grace_period).toBe('30s');
  });

  it('starts the gateway and the aggregators only after mongo-init completed', () => {
    for (const name of ['gateway', ...aggregators]) {
      expect(service(name).depends_on).toEqual({
        'mongo-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('gives each aggregator its index and AGG_N=3, and publishes none of their ports', () => {
    aggregators.forEach((name, index) => {
      const aggregator = service(name);
      expect(aggregator.environment).toMatchObject({ AGGREGATOR_INDEX: String(index), AGG_N: '3' });
      expect(aggregator.ports).toBeUndefined();
      expect(aggregator.build?.dockerfile).toBe('aggregator/Dockerfile');
    });
  });

  it('publishes the gateway on 8080, points it at every aggregator, and lets it scale', () => {
    const gateway = service('gateway');
    expect(gateway.ports).toEqual(['${GATEWAY_ADDRESS:-127.0.0.1}:${GATEWAY_PORTS:-8080}:8080']);
    expect(gateway.deploy?.replicas).toBe('${GW_N:-1}');
    expect(gateway.environment?.AGGREGATOR_URLS).toBe(
      aggregators.map((name) => `http://${name}:9100`).join(','),
    );
    expect(gateway.build?.dockerfile).toBe('gateway/Dockerfile');
  });

  it('shares one MongoDB address, database, partitioning and master key across the services', () => {
    const settings = ['gateway', ...aggregators].map((name) => {
      const { MONGO_URL, MONGO_DB, PARTITIONS, AGG_N, STORE, DATA_KEY_FILE } =
        service(name).environment ?? {};
      return { MONGO_URL, MONGO_DB, PARTITIONS, AGG_N, STORE, DATA_KEY_FILE };
    });
    expect(new Set(settings.map((setting) => JSON.stringify(setting))).size).toBe(1);
    expect(settings[0]?.MONGO_URL).toBe(
      'mongodb://mongo1:27017,mongo2:27017,mongo3:27017/?replicaSet=rs0',
    );
    expect(settings[0]?.DATA_KEY_FILE).toBe('/run/secrets/data-key');
  });

  it('runs Prometheus on 9090 and Grafana on 3000 with files from this repository', () => {
    expect(service('prometheus').ports).toEqual(['${MONITORING_ADDRESS:-127.0.0.1}:9090:9090']);
    expect(service('grafana').ports).toEqual(['${MONITORING_ADDRESS:-127.0.0.1}:3000:3000']);
    for (const name of ['prometheus', 'grafana', 'secrets']) {
      for (const volume of service(name).volumes ?? []) {
        const [source] = volume.split(':');
        if (source?.startsWith('./')) expect(existsSync(resolve(REPO, source))).toBe(true);
      }
    }
  });
});

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
  tmpfs?: string[];
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

  it('builds each of our images once, and pulls neither (one builder per tag: deployment review H1)', () => {
    const builders = Object.entries(services).filter(([, candidate]) => candidate.build);
    const byImage = new Map<string, string[]>();
    for (const [name, builder] of builders) {
      expect({ name, pull_policy: builder.pull_policy }).toEqual({ name, pull_policy: 'build' });
      byImage.set(builder.image ?? name, [...(byImage.get(builder.image ?? name) ?? []), name]);
    }
    expect(Object.fromEntries(byImage)).toEqual({
      'user-service/gateway': ['gateway'],
      'user-service/aggregator': ['aggregator-0'],
    });
    // Every other service of those images runs what was built, and never pulls it.
    for (const [name, other] of Object.entries(services)) {
      if (other.build || !byImage.has(other.image ?? '')) continue;
      expect({ name, pull_policy: other.pull_policy }).toEqual({ name, pull_policy: 'never' });
    }
  });

  it('probes each member through its own address, which the entrypoint’s temporary mongod does not bind (L1)', () => {
    for (const name of mongos)
      expect(service(name).healthcheck?.test?.join(' ')).toMatch(/--host "\$\$\(hostname -i\)"/);
  });

  it('leaves no anonymous volume: every VOLUME of the images is a named volume or a tmpfs (L5)', () => {
    // mongo:8.0 declares VOLUME /data/db /data/configdb, prom/prometheus /prometheus (its named
    // volume below); our images declare none, so `secrets` (the gateway's image) leaves none.
    for (const [name, candidate] of Object.entries(services)) {
      if (candidate.image !== 'mongo:8.0') continue;
      expect({
        name,
        db: candidate.volumes?.some((volume) => /^\w+:\/data\/db$/.test(volume)),
      }).toEqual({ name, db: true });
      expect({ name, tmpfs: candidate.tmpfs }).toEqual({ name, tmpfs: ['/data/configdb'] });
    }
    expect(service('prometheus').volumes).toContain('prometheus:/prometheus');
    expect(service('secrets').image).toBe('user-service/gateway');
  });

  it('labels every file it mounts from this repository for SELinux (:z), read-only (L7)', () => {
    const bound = Object.entries(services).flatMap(([name, candidate]) =>
      (candidate.volumes ?? [])
        .filter((volume) => volume.startsWith('./'))
        .map((volume) => ({ name, volume, options: volume.split(':')[2]?.split(',') ?? [] })),
    );
    expect(bound.length).toBeGreaterThanOrEqual(6);
    for (const { name, volume, options } of bound)
      expect({ name, volume, options: options.sort() }).toEqual({
        name,
        volume,
        options: ['ro', 'z'],
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
      expect(aggregator.image).toBe('user-service/aggregator');
    });
    expect(service('aggregator-0').build?.dockerfile).toBe('aggregator/Dockerfile');
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

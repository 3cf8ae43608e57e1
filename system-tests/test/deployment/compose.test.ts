import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { temporaryFolders } from '@user-service/test-support';
import { runEntrypoint, standInHostname } from './compose-entrypoint';
import { composeDefaults, REPO, repoText, repoYaml } from './repo-files';

interface Service {
  image?: string;
  build?: { context: string; dockerfile: string };
  command?: string[];
  entrypoint?: string[];
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
const mongos = ['mongo1', 'mongo2', 'mongo3'];
const newFolder = temporaryFolders('compose-');

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
      'user-service/aggregator': ['aggregator'],
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
    for (const name of ['gateway', 'mongo-init', 'aggregator'])
      expect(service(name).init).toBe(true);
  });

  it('gives every long-running process time to stop cleanly', () => {
    for (const name of [...mongos, 'aggregator'])
      expect(service(name).stop_grace_period).toBe('30s');
  });

  it('starts the gateway and the aggregators only after mongo-init completed', () => {
    for (const name of ['gateway', 'aggregator']) {
      expect(service(name).depends_on).toEqual({
        'mongo-init': { condition: 'service_completed_successfully' },
      });
    }
  });

  it('runs the aggregators as one service of AGG_N replicas (3 unless set), with no fixed index or name and no published port', () => {
    expect(Object.keys(services).filter((name) => name.startsWith('aggregator'))).toEqual([
      'aggregator',
    ]);
    const aggregator = service('aggregator');
    expect(aggregator.build?.dockerfile).toBe('aggregator/Dockerfile');
    expect(aggregator.image).toBe('user-service/aggregator');
    // One knob for how many run and how many a starting one waits for.
    expect(aggregator.deploy?.replicas).toBe('${AGG_N:-3}');
    expect(aggregator.environment?.AGG_N).toBe('${AGG_N:-3}');
    expect(composeDefaults(aggregator.deploy?.replicas)).toBe('3');
    for (const fixed of ['AGGREGATOR_INDEX', 'AGGREGATOR_NAME', 'ADVERTISED_URL'])
      expect(aggregator.environment).not.toHaveProperty(fixed);
    expect(aggregator.ports).toBeUndefined();
    expect(aggregator.expose).toEqual(['9100']);
  });

  describe("each aggregator replica's entrypoint, replayed with a stand-in `hostname`", () => {
    const aggregator = service('aggregator');
    /** The environment the node process gets, and whether it ran, where `hostname -i` prints `addresses`. */
    const started = (addresses: string, env: Record<string, string> = {}) => {
      const bin = standInHostname(newFolder(), addresses, 'c0ffee15beef');
      const run = runEntrypoint(aggregator.entrypoint ?? [], {
        // The node process, standing in for the command: it prints what it was given.
        args: ['node', '-e', 'process.stdout.write(JSON.stringify(process.env))'],
        env: {
          PATH: `${bin}:${process.env.PATH}`,
          ...aggregator.environment,
          ...env,
        },
      });
      return {
        status: run.status,
        stderr: run.stderr,
        env: run.stdout ? (JSON.parse(run.stdout) as Record<string, string>) : undefined,
      };
    };

    it('runs the image’s CMD, which an entrypoint in Compose replaces', () => {
      const cmd = /^CMD (\[.*\])$/m.exec(repoText('aggregator/Dockerfile'))?.[1];
      expect(aggregator.command).toEqual(JSON.parse(cmd ?? 'null'));
    });

    it('advertises the container’s own address on the network, leaving its name to its hostname', () => {
      const { status, stderr, env } = started('172.18.0.7');
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
      expect(env?.ADVERTISED_URL).toBe('http://172.18.0.7:9100');
      // Unset: the aggregator names itself after the container's hostname, one per replica.
      expect(env).not.toHaveProperty('AGGREGATOR_NAME');
      expect(env).not.toHaveProperty('AGGREGATOR_INDEX');
      // Everything else as Compose gives it.
      expect(env).toMatchObject(aggregator.environment ?? {});
    });

    it('takes the first IPv4 address when the container has several, an IPv6 one in brackets when it has no other, and the port it listens on', () => {
      expect(started('fd00::7 172.18.0.7 10.0.3.5').env?.ADVERTISED_URL).toBe(
        'http://172.18.0.7:9100',
      );
      expect(started('fd00::7').env?.ADVERTISED_URL).toBe('http://[fd00::7]:9100');
      expect(started('172.18.0.7', { PORT: '9200' }).env?.ADVERTISED_URL).toBe(
        'http://172.18.0.7:9200',
      );
    });

    it('does not start without an address to advertise, and says why', () => {
      const { status, stderr, env } = started('');
      expect(status).toBe(1);
      expect(env).toBeUndefined();
      expect(stderr.trim().split('\n')).toEqual([
        'hostname: Name or service not known',
        'aggregator: hostname -i gave no address to advertise',
      ]);
    });
  });

  it('publishes no gateway port, runs GW_N gateways (2 unless set), and gives them no list of aggregators', () => {
    const gateway = service('gateway');
    expect(gateway.ports).toBeUndefined();
    expect(gateway.expose).toEqual(['8080']);
    expect(gateway.deploy?.replicas).toBe('${GW_N:-2}');
    expect(composeDefaults(gateway.deploy?.replicas)).toBe('2');
    expect(
      Object.keys(gateway.environment ?? {}).filter((name) => /AGGREGATOR/.test(name)),
    ).toEqual([]);
    expect(gateway.build?.dockerfile).toBe('gateway/Dockerfile');
  });

  it('publishes the API through the load balancer alone, on 127.0.0.1:8080 unless told otherwise', () => {
    const api = Object.entries(services).filter(([, candidate]) =>
      (candidate.ports ?? []).some((port) => port.endsWith(':8080')),
    );
    expect(api.map(([name]) => name)).toEqual(['loadbalancer']);
    const [published] = service('loadbalancer').ports ?? [];
    expect(published).toBe('${GATEWAY_ADDRESS:-127.0.0.1}:${GATEWAY_PORTS:-8080}:8080');
    expect(composeDefaults(published)).toBe('127.0.0.1:8080:8080');
    expect(service('loadbalancer').depends_on).toEqual({
      gateway: { condition: 'service_started' },
    });
  });

  it('shares one MongoDB address, database, partitioning and master key across the services', () => {
    const settings = ['gateway', 'aggregator'].map((name) => {
      const { MONGO_URL, MONGO_DB, PARTITIONS, AGG_N, STORE, DATA_KEY_FILE } =
        service(name).environment ?? {};
      return { MONGO_URL, MONGO_DB, PARTITIONS, AGG_N, STORE, DATA_KEY_FILE };
    });
    expect(new Set(settings.map((setting) => JSON.stringify(setting))).size).toBe(1);
    expect(settings[0]?.MONGO_URL).toBe(
      'mongodb://mongo1:27017,mongo2:27017,mongo3:27017/?replicaSet=rs0',
    );
    expect(settings[0]?.DATA_KEY_FILE).toBe('/run/secrets/data-key');
    // mongo-init fixes the partition count the others check at start.
    expect(service('mongo-init').environment?.PARTITIONS).toBe(settings[0]?.PARTITIONS);
  });

  it('runs Prometheus on 9090 and Grafana on 3000 with files from this repository', () => {
    expect(service('prometheus').ports).toEqual(['${MONITORING_ADDRESS:-127.0.0.1}:9090:9090']);
    expect(service('grafana').ports).toEqual(['${MONITORING_ADDRESS:-127.0.0.1}:3000:3000']);
    for (const name of ['prometheus', 'grafana', 'secrets', 'loadbalancer']) {
      for (const volume of service(name).volumes ?? []) {
        const [source] = volume.split(':');
        if (source?.startsWith('./')) expect(existsSync(resolve(REPO, source))).toBe(true);
      }
    }
  });
});

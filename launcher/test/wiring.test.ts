import {
  ConfigError,
  DEFAULT_HOST,
  newInternalToken,
  readSharedConfig,
  requireInternalToken,
} from '@user-service/common/config';
import { readAggregatorConfig } from '@user-service/aggregator';
import { readGatewayConfig } from '@user-service/gateway';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureDataKeyFile } from '../src/data-key-file';
import { aggregatorPorts, mongoChildEnvironments } from '../src/wiring';

// The master key file the launcher makes, so that each process's configuration can be read.
const keyDir = mkdtempSync(join(tmpdir(), 'wiring-'));
const KEY = { DATA_KEY_FILE: ensureDataKeyFile(join(keyDir, 'data-key')).path };
// The internal token the launcher makes when the environment gives none.
const TOKEN = { INTERNAL_TOKEN: newInternalToken() };
afterAll(() => rmSync(keyDir, { recursive: true, force: true }));

/** The MongoDB mode's children for the given ports, from a launcher environment `env`. */
function onMongo(
  ports: { gatewayPort: number; aggregatorBasePort: number; aggregatorCount?: number },
  env: NodeJS.ProcessEnv = {},
  listening: { gatewayHost?: string; internalToken?: NodeJS.ProcessEnv } = {},
) {
  return mongoChildEnvironments({
    aggregatorCount: 3,
    ...ports,
    env,
    mongoUrl: 'mongodb://127.0.0.1:27517/?replicaSet=rs0',
    database: 'users',
    masterKey: KEY,
    internalToken: listening.internalToken ?? TOKEN,
    gatewayHost: listening.gatewayHost ?? DEFAULT_HOST,
  });
}

describe('the ports npm start gives its aggregators (both modes)', () => {
  it('puts aggregator i on AGGREGATOR_BASE_PORT + i', () => {
    expect(
      aggregatorPorts({ gatewayPort: 8080, aggregatorBasePort: 9100, aggregatorCount: 3 }),
    ).toEqual([9100, 9101, 9102]);
    expect(
      aggregatorPorts({ gatewayPort: 18080, aggregatorBasePort: 19100, aggregatorCount: 2 }),
    ).toEqual([19100, 19101]);
  });

  it('gives every aggregator a free port when the base is 0 (in memory)', () => {
    expect(aggregatorPorts({ gatewayPort: 0, aggregatorBasePort: 0, aggregatorCount: 3 })).toEqual([
      0, 0, 0,
    ]);
  });

  it('refuses a gateway port among the aggregators’ ports, naming both variables', () => {
    const overlapping = () =>
      aggregatorPorts({ gatewayPort: 9101, aggregatorBasePort: 9100, aggregatorCount: 3 });
    expect(overlapping).toThrow(ConfigError);
    expect(overlapping).toThrow(
      "PORT=9101 (the gateway) falls among the aggregators' ports 9100-9102 (AGGREGATOR_BASE_PORT=9100, AGG_N=3): move one of them",
    );
  });

  it('refuses aggregator ports past 65535', () => {
    expect(() =>
      aggregatorPorts({ gatewayPort: 8080, aggregatorBasePort: 65534, aggregatorCount: 3 }),
    ).toThrow(/AGGREGATOR_BASE_PORT=65534 with AGG_N=3 needs ports up to 65536, past 65535/);
  });
});

describe('the environments of the processes npm start runs on MongoDB', () => {
  it('names each aggregator for its leases, and moves its port, as told', () => {
    const { gateway, aggregators } = onMongo({ gatewayPort: 18080, aggregatorBasePort: 19100 });

    // As each process reads its own environment: a name kept across restarts, so that a
    // restarted aggregator takes its own partitions straight back.
    const listening = aggregators.map((env) => readAggregatorConfig(env));
    expect(listening.map((config) => [config.AGGREGATOR_NAME, config.PORT])).toEqual([
      ['aggregator-0', 19100],
      ['aggregator-1', 19101],
      ['aggregator-2', 19102],
    ]);
    expect(readGatewayConfig(gateway).PORT).toBe(18080);
  });

  it('gives the default ports when nothing is moved', () => {
    const { gateway, aggregators } = onMongo({ gatewayPort: 8080, aggregatorBasePort: 9100 });
    expect(readGatewayConfig(gateway).PORT).toBe(8080);
    expect(aggregators.map((env) => env.PORT)).toEqual(['9100', '9101', '9102']);
  });

  it('replaces a PORT the launcher was started with', () => {
    const { gateway, aggregators } = onMongo(
      { gatewayPort: 18080, aggregatorBasePort: 19100, aggregatorCount: 2 },
      { PORT: '18080', AGG_N: '2' },
    );
    expect(gateway.PORT).toBe('18080');
    expect(aggregators.map((env) => env.PORT)).toEqual(['19100', '19101']);
  });

  it('gives every process the same store, database, partitioning and master key file, and the rest of the environment', () => {
    const { gateway, aggregators } = onMongo(
      { gatewayPort: 8080, aggregatorBasePort: 9100 },
      { LOG_LEVEL: 'debug', PARTITIONS: '24', STORE: 'memory' },
    );
    for (const env of [gateway, ...aggregators]) {
      expect(env).toMatchObject({
        STORE: 'mongo',
        MONGO_URL: 'mongodb://127.0.0.1:27517/?replicaSet=rs0',
        MONGO_DB: 'users',
        AGG_N: '3',
        PARTITIONS: '24',
        LOG_LEVEL: 'debug',
        ...KEY,
      });
      const shared = readSharedConfig(
        { ...env, DATA_KEY: undefined, DATA_KEY_FILE: undefined },
        {
          masterKeys: 'optional',
        },
      );
      expect([shared.AGG_N, shared.PARTITIONS]).toEqual([3, 24]);
    }
  });

  it('gives the gateway and every aggregator the same internal token: the one made, or the one the environment gives', () => {
    const made = onMongo({ gatewayPort: 8080, aggregatorBasePort: 9100 });
    for (const env of [made.gateway, ...made.aggregators]) {
      expect(requireInternalToken(readSharedConfig(env))).toBe(TOKEN.INTERNAL_TOKEN);
    }
    const given = 'g'.repeat(40);
    const passed = onMongo(
      { gatewayPort: 8080, aggregatorBasePort: 9100 },
      { INTERNAL_TOKEN: given },
      { internalToken: {} },
    );
    for (const env of [passed.gateway, ...passed.aggregators]) {
      expect(requireInternalToken(readSharedConfig(env))).toBe(given);
    }
  });

  it('lets the gateway listen where HOST says, and keeps the aggregators on loopback', () => {
    const everywhere = onMongo(
      { gatewayPort: 8080, aggregatorBasePort: 9100 },
      { HOST: '0.0.0.0', AUTH: 'none' },
      { gatewayHost: '0.0.0.0' },
    );
    expect(readGatewayConfig(everywhere.gateway).HOST).toBe('0.0.0.0');
    expect(everywhere.aggregators.map((env) => readAggregatorConfig(env).HOST)).toEqual([
      '127.0.0.1',
      '127.0.0.1',
      '127.0.0.1',
    ]);
    const unset = onMongo({ gatewayPort: 8080, aggregatorBasePort: 9100 });
    expect(readGatewayConfig(unset.gateway).HOST).toBe('127.0.0.1');
  });

  it.each([
    ['PORT', { gatewayPort: 0, aggregatorBasePort: 9100 }],
    ['AGGREGATOR_BASE_PORT', { gatewayPort: 8080, aggregatorBasePort: 0 }],
  ])(
    'refuses %s=0, as separate processes must know each other’s ports in advance',
    (name, ports) => {
      expect(() => onMongo(ports)).toThrow(
        new RegExp(`^${name}=0 \\(a free port\\) works only with STORE=memory`),
      );
    },
  );
});

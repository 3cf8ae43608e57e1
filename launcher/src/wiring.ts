import { ConfigError, DEFAULT_HOST } from '@user-service/common/config';
import { localUrl } from '@user-service/common/http';

/** The ports `npm start` is told to use: PORT, AGGREGATOR_BASE_PORT, and how many aggregators. */
export interface PortSettings {
  /** 0 picks a free port. */
  readonly gatewayPort: number;
  /** Aggregator i listens on this plus i; 0 picks free ports (in memory only). */
  readonly aggregatorBasePort: number;
  readonly aggregatorCount: number;
}

const MAX_PORT = 65535;

/**
 * The port each aggregator listens on: base, base + 1, …, or all 0 (free ports). Throws a
 * ConfigError naming the variables when the range runs past 65535 or holds the gateway's port,
 * which would otherwise surface later as an EADDRINUSE or a gateway forwarding to itself.
 */
export function aggregatorPorts(settings: PortSettings): number[] {
  const { gatewayPort, aggregatorBasePort: base, aggregatorCount: count } = settings;
  if (base === 0) return Array.from({ length: count }, () => 0);
  const last = base + count - 1;
  if (last > MAX_PORT) {
    throw new ConfigError(
      `AGGREGATOR_BASE_PORT=${base} with AGG_N=${count} needs ports up to ${last}, past ${MAX_PORT}: choose a lower AGGREGATOR_BASE_PORT`,
    );
  }
  if (gatewayPort >= base && gatewayPort <= last) {
    throw new ConfigError(
      `PORT=${gatewayPort} (the gateway) falls among the aggregators' ports ${base}-${last} (AGGREGATOR_BASE_PORT=${base}, AGG_N=${count}): move one of them`,
    );
  }
  return Array.from({ length: count }, (_, index) => base + index);
}

/**
 * The name aggregator `index` of `npm start` has in the partition leases (AGGREGATOR_NAME): the
 * same on every start, so that a restarted one takes its partitions straight back.
 */
export function aggregatorName(index: number): string {
  return `aggregator-${index}`;
}

/**
 * The aggregators' ports on MongoDB, where the gateway and the aggregators are processes of
 * their own that must be told each other's ports in advance: free ports (0) are refused.
 */
export function mongoModePorts(settings: PortSettings): number[] {
  for (const [name, port] of [
    ['PORT', settings.gatewayPort],
    ['AGGREGATOR_BASE_PORT', settings.aggregatorBasePort],
  ] as const) {
    if (port === 0) {
      throw new ConfigError(
        `${name}=0 (a free port) works only with STORE=memory: on MongoDB the gateway and the aggregators are processes ` +
          `of their own, which must be told each other's ports; set ${name} to a port`,
      );
    }
  }
  return aggregatorPorts(settings);
}

/** What every child process of the MongoDB mode shares, on top of the launcher's own environment. */
export interface MongoChildSettings extends PortSettings {
  readonly env: NodeJS.ProcessEnv;
  readonly mongoUrl: string;
  readonly database: string;
  /** DATA_KEY_FILE when the launcher keeps the master key; empty when the environment gives it. */
  readonly masterKey: NodeJS.ProcessEnv;
  /** INTERNAL_TOKEN made for this start; empty when the environment gives one. */
  readonly internalToken: NodeJS.ProcessEnv;
  /** Where the gateway listens (HOST). */
  readonly gatewayHost: string;
}

export interface MongoChildEnvironments {
  readonly gateway: NodeJS.ProcessEnv;
  /** Aggregator i's environment at index i. */
  readonly aggregators: readonly NodeJS.ProcessEnv[];
}

/**
 * The environment of each process `npm start` runs on MongoDB. The gateway learns where the
 * aggregators listen from their leases, and listens where HOST says; the aggregators listen on
 * loopback whatever HOST says, since only the gateway beside them calls them.
 */
export function mongoChildEnvironments(settings: MongoChildSettings): MongoChildEnvironments {
  const ports = mongoModePorts(settings);
  const common: NodeJS.ProcessEnv = {
    ...settings.env,
    ...settings.masterKey,
    ...settings.internalToken,
    STORE: 'mongo',
    MONGO_URL: settings.mongoUrl,
    MONGO_DB: settings.database,
    AGG_N: String(settings.aggregatorCount),
  };
  return {
    gateway: {
      ...common,
      PORT: String(settings.gatewayPort),
      HOST: settings.gatewayHost,
    },
    aggregators: ports.map((port, index) => aggregatorEnvironment(common, index, port)),
  };
}

/** Aggregator `index`'s environment on `port`: the others' (`common`) with its own name and port. */
export function aggregatorEnvironment(
  common: NodeJS.ProcessEnv,
  index: number,
  port: number,
): NodeJS.ProcessEnv {
  return {
    ...common,
    AGGREGATOR_NAME: aggregatorName(index),
    PORT: String(port),
    HOST: DEFAULT_HOST,
  };
}

/** Where an aggregator on `port` of this machine is called: loopback, whatever HOST says. */
export function aggregatorUrl(port: number): string {
  return localUrl(DEFAULT_HOST, port);
}

import type { Registry } from 'prom-client';
import {
  type AggregatorNode,
  preferredPartitions,
  startAggregatorNode,
} from '@user-service/aggregator';
import { type MasterKeyring } from '@user-service/common/personal-data';
import { newInternalToken } from '@user-service/common/config';
import { type SlowClientLimits } from '@user-service/common/http';
import { type Store } from '@user-service/common/store';
import {
  type AccessTokenSettings,
  type GatewayNode,
  startGatewayNode,
} from '@user-service/gateway';
import { aggregatorName, aggregatorPorts, aggregatorUrl } from './wiring';

export interface InProcessClusterOptions {
  readonly store: Store;
  /**
   * The gateway's own store (a client of its own on the same database), as when the gateway runs
   * as a process of its own: then its metrics count only its own store commands. By default the
   * gateway shares `store` with the aggregators. Closed with the system.
   */
  readonly gatewayStore?: Store;
  /** The master key every node holds: the gateway seals with it what the aggregators open. */
  readonly masterKeys: MasterKeyring;
  /** How many aggregators start (AGG_N); the partitions are shared among them by lease. */
  readonly aggregatorCount: number;
  readonly snapshotEvery: number;
  /** How long a partition lease lasts unless renewed (LEASE_MS); the aggregators' default without. */
  readonly leaseMs?: number;
  /** How often the aggregators ask whether a projection rebuild is wanted; their default without. */
  readonly rebuildCheckEveryMs?: number;
  /** How often the gateway reads the leases again; its default without. */
  readonly ownersRefreshMs?: number;
  /** 0 picks a free port. */
  readonly gatewayPort: number;
  /** Aggregator i listens on this plus i; 0 picks free ports. */
  readonly aggregatorBasePort: number;
  readonly forwardTimeoutMs?: number;
  /** How long the gateway waits for the store before answering 503. */
  readonly storeTimeoutMs?: number;
  readonly logLevel?: string;
  readonly logStream?: NodeJS.WritableStream;
  /**
   * The secret the aggregators' internal API asks of the gateway; by default a new one, made
   * when the system starts and known to no one else.
   */
  readonly internalToken?: string;
  /**
   * The address the gateway listens on (HOST); by default this machine only. The aggregators
   * always listen on loopback: only the gateway beside them calls them.
   */
  readonly gatewayHost?: string;
  /** How the gateway checks clients' access tokens (AUTH_*); without, it asks for none. */
  readonly accessTokens?: AccessTokenSettings;
  readonly slowClientLimits?: SlowClientLimits;
  /** How long a write holds its Idempotency-Key before another attempt may take it over. */
  readonly idempotencyLeaseMs?: number;
  /** The gateway's PUBLIC_BASE_URL (problem types are absolute under it); by default its port's localhost. */
  readonly publicBaseUrl?: string;
  /** Each node's metrics registry; by default each makes its own, with node's default metrics. */
  readonly registry?: () => Registry;
}

/** The options with the internal token settled: the one given, or a new one. */
type ClusterSettings = InProcessClusterOptions & { readonly internalToken: string };

/**
 * A gateway and its aggregators in one process, talking real HTTP over loopback: the
 * STORE=memory mode of `npm start`, and the system under test.
 */
export class InProcessCluster {
  private constructor(
    private readonly options: ClusterSettings,
    private gatewayNode: GatewayNode | null,
    private readonly gatewayPort: number,
    private readonly nodes: (AggregatorNode | null)[],
    private readonly ports: number[],
  ) {}

  static async start(given: InProcessClusterOptions): Promise<InProcessCluster> {
    const options = { ...given, internalToken: given.internalToken ?? newInternalToken() };
    const nodes = await Promise.all(
      aggregatorPorts(options).map((port, index) =>
        startAggregatorNode(aggregatorOptions(options, index, port)),
      ),
    );
    // Where they listen now: with base port 0 each took a free one.
    const ports = nodes.map((node) => node.port);
    const gateway = await startGatewayNode(gatewayOptions(options, options.gatewayPort));
    const { port } = new URL(gateway.url);
    const cluster = new InProcessCluster(options, gateway, Number(port), nodes, ports);
    await cluster.untilSettled();
    return cluster;
  }

  /**
   * Resolves once every partition is owned by the running aggregator the assignment prefers for
   * it (no handover pending), caught up, and the gateway routes to that owner: until then some
   * reads fold from the store and some lists say `snapshot`, which a fresh system should not show
   * its first client. Throws after `timeoutMs`, naming what is still missing.
   */
  async untilSettled(timeoutMs = 15_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const missing = this.unsettled();
      if (missing === null) return;
      if (Date.now() > deadline) throw new Error(`the system did not settle: ${missing}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** What keeps the system from being settled, or null. */
  private unsettled(): string | null {
    const gateway = this.gatewayNode;
    if (!gateway) return 'no gateway';
    const running = this.nodes.flatMap((node) => (node ? [node] : []));
    const holders = running.map(({ name, url }) => ({ name, url }));
    for (const node of running) {
      const count = node.ownership.partitionCount ?? 0;
      const preferred = [...preferredPartitions(node.name, holders, count)].sort((a, b) => a - b);
      if (preferred.join() !== node.ownership.held.join())
        return `${node.name} holds ${node.ownership.held.join(',')}, not ${preferred.join(',')}`;
    }
    const { owned, unowned } = gateway.owners.shares();
    if (unowned.length > 0) return `partitions ${unowned.join(',')} have no owner`;
    for (const { holder, partitions } of owned) {
      const node = this.nodes.find((running) => running?.name === holder.name);
      if (!node) return `${holder.name} owns partitions but is not running`;
      if (!partitions.every((partition) => node.ownership.holds(partition)))
        return `${holder.name} does not hold all of ${partitions.join(',')}`;
      if (!node.owned.report().ready) return `${holder.name} is not ready`;
    }
    return null;
  }

  /** The secret its aggregators ask of every /internal/* call. */
  get internalToken(): string {
    return this.options.internalToken;
  }

  get gateway(): GatewayNode {
    if (!this.gatewayNode) throw new Error('the gateway is not running');
    return this.gatewayNode;
  }

  /**
   * Stops the gateway as a crash would: every connection cut, requests in flight unanswered.
   * A request stuck in a store call stays stuck, as in a process that is gone.
   */
  async stopGateway(): Promise<void> {
    const node = this.gateway;
    this.gatewayNode = null;
    await node.close();
  }

  /** Starts a new gateway on the old port: nothing of the old one's memory survives. */
  async startGateway(): Promise<GatewayNode> {
    if (this.gatewayNode) throw new Error('the gateway is already running');
    this.gatewayNode = await startGatewayNode(gatewayOptions(this.options, this.gatewayPort));
    return this.gatewayNode;
  }

  aggregator(index: number): AggregatorNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`aggregator ${index} is not running`);
    return node;
  }

  /** Where each aggregator listens (or listened, while it is stopped), by index. */
  get aggregatorUrls(): string[] {
    return this.ports.map(aggregatorUrl);
  }

  /** The running aggregators, by index (null for one stopped). */
  get aggregators(): readonly (AggregatorNode | null)[] {
    return this.nodes;
  }

  /** The running aggregator that owns `partition` by its lease, if any. */
  ownerOf(partition: number): AggregatorNode | undefined {
    return this.nodes.find((node) => node?.ownership.held.includes(partition)) ?? undefined;
  }

  /** Starts one more aggregator (a scale-out), on a free port; it takes its share by lease. */
  async addAggregator(): Promise<AggregatorNode> {
    const index = this.nodes.length;
    const node = await startAggregatorNode(aggregatorOptions(this.options, index, 0));
    this.nodes.push(node);
    this.ports.push(node.port);
    return node;
  }

  /** Stops aggregator `index`: gracefully (with a final snapshot) or as a crash (without). */
  async stopAggregator(index: number, how: 'graceful' | 'crash'): Promise<void> {
    const node = this.aggregator(index);
    this.nodes[index] = null;
    await (how === 'graceful' ? node.stop() : node.crash());
  }

  /** Starts aggregator `index` again on its old port; it restores from snapshot and replay. */
  async startAggregator(index: number): Promise<AggregatorNode> {
    if (this.nodes[index]) throw new Error(`aggregator ${index} is already running`);
    const port = this.ports[index] ?? 0;
    const node = await startAggregatorNode(aggregatorOptions(this.options, index, port));
    this.nodes[index] = node;
    return node;
  }

  async close(): Promise<void> {
    await this.gatewayNode?.close();
    await Promise.all(this.nodes.map((node) => node?.stop()));
    await this.options.store.close();
    await this.options.gatewayStore?.close();
  }
}

function gatewayOptions(options: ClusterSettings, port: number) {
  return {
    store: options.gatewayStore ?? options.store,
    masterKeys: options.masterKeys,
    port,
    ...(options.ownersRefreshMs === undefined ? {} : { ownersRefreshMs: options.ownersRefreshMs }),
    forwardTimeoutMs: options.forwardTimeoutMs ?? 100,
    storeTimeoutMs: options.storeTimeoutMs ?? 2000,
    ...(options.idempotencyLeaseMs === undefined
      ? {}
      : { idempotencyLeaseMs: options.idempotencyLeaseMs }),
    ...(options.publicBaseUrl === undefined ? {} : { publicBaseUrl: options.publicBaseUrl }),
    ...(options.gatewayHost === undefined ? {} : { host: options.gatewayHost }),
    ...(options.accessTokens === undefined ? {} : { accessTokens: options.accessTokens }),
    ...nodeOptions(options),
  };
}

function aggregatorOptions(options: ClusterSettings, index: number, port: number) {
  return {
    name: aggregatorName(index),
    expectedAggregators: options.aggregatorCount,
    ...(options.leaseMs === undefined ? {} : { leaseMs: options.leaseMs }),
    ...(options.rebuildCheckEveryMs === undefined
      ? {}
      : { rebuildCheckEveryMs: options.rebuildCheckEveryMs }),
    snapshotEvery: options.snapshotEvery,
    store: options.store,
    masterKeys: options.masterKeys,
    port,
    ...nodeOptions(options),
  };
}

/** Options every node of the system gets alike. */
function nodeOptions(options: ClusterSettings) {
  return {
    internalToken: options.internalToken,
    ...(options.logLevel ? { logLevel: options.logLevel } : {}),
    ...(options.logStream ? { logStream: options.logStream } : {}),
    ...(options.slowClientLimits ? { slowClientLimits: options.slowClientLimits } : {}),
    ...(options.registry ? { registry: options.registry() } : {}),
  };
}

import type { Registry } from 'prom-client';
import {
  countMetricsOf,
  createLogger,
  createMetricsRegistry,
  publishMasterKeyIds,
  errorFields,
  type Logger,
} from '@user-service/common/observability';
import { listen, type SlowClientLimits } from '@user-service/common/http';
import { type MasterKeyring, PersonalData } from '@user-service/common/personal-data';
import { type SnapshotEntry, type Store } from '@user-service/common/store';
import type { AggregatorReads, HeldUsers } from './aggregator-reads';
import { Aggregator } from './aggregator';
import { type AggregatorMetrics, createAggregatorMetrics } from './aggregator-metrics';
import { createInternalApi } from './internal-api';
import { OpenedUsers } from './opened-users';
import { OwnedPartitions } from './owned-partitions';
import { ProjectionRebuilder } from './projection-rebuilder';
import { PartitionOwnership, type RoundOutcome } from './partition-ownership';
import { RequestGate } from './request-gate';

/** How long a partition lease lasts unless renewed (LEASE_MS). */
export const DEFAULT_LEASE_MS = 5000;

export interface AggregatorNodeOptions {
  /** Unique among the live aggregators, and kept across restarts (AGGREGATOR_NAME). */
  readonly name: string;
  /** Where gateways reach it (ADVERTISED_URL); by default the address it listens on. */
  readonly advertisedUrl?: string;
  /** See DEFAULT_LEASE_MS. */
  readonly leaseMs?: number;
  /**
   * How many aggregators are meant to run (AGG_N): at start this one takes no partition until it
   * sees that many alive, or a lease time has passed, so that aggregators started together go
   * straight to their shares instead of taking everything and handing most of it over.
   */
  readonly expectedAggregators?: number;
  /** How often it asks the store whether a projection rebuild is wanted (default 1 s). */
  readonly rebuildCheckEveryMs?: number;
  readonly snapshotEvery: number;
  /** See AggregatorOptions.maxLagMs. */
  readonly maxLagMs?: number;
  /** See AggregatorOptions.checkpointEveryMs. */
  readonly checkpointEveryMs?: number;
  readonly store: Store;
  /** Unwraps the users' data keys (DATA_KEY), to open personal data for the gateways' reads. */
  readonly masterKeys: MasterKeyring;
  readonly port: number;
  /** The address it listens on; by default this machine only (HOST). */
  readonly host?: string;
  readonly logLevel?: string;
  readonly logStream?: NodeJS.WritableStream;
  readonly slowClientLimits?: SlowClientLimits;
  /**
   * Where its metrics go; by default a registry of its own with node's default metrics. A copy of
   * the system that lives for a moment (the launcher's warm-up) passes a bare one: the default
   * metrics' event-loop monitor and GC observer would outlive it.
   */
  readonly registry?: Registry;
  /** The secret every /internal/* call must present (INTERNAL_TOKEN): the gateways hold it. */
  readonly internalToken: string;
}

export interface AggregatorNode {
  readonly name: string;
  /** Where gateways reach it: the URL its leases carry. */
  readonly url: string;
  readonly port: number;
  /** The partitions it serves; also a hook for tests and drills (`all`, `snapshot`). */
  readonly owned: OwnedPartitions;
  /**
   * A hook for tests and drills: every partition it serves, as one (whether all are ready, their
   * users, opened), and a snapshot of them all now.
   */
  readonly aggregator: AggregatorView;
  /** The partitions it holds leases on, and whether each may be trusted now. */
  readonly ownership: Pick<PartitionOwnership, 'held' | 'holds' | 'epochOf' | 'partitionCount'>;
  /** Graceful: hands its partitions over (a final snapshot each), then stops serving. */
  stop(): Promise<void>;
  /** Stops serving and drops the state in memory, with no final snapshot nor release. */
  crash(): Promise<void>;
  /**
   * For drills, as SIGSTOP would: no lease round runs and no request is answered until `resume`;
   * the requests that arrived meanwhile are answered then, as the process would on SIGCONT.
   */
  pause(): void;
  resume(): void;
}

export interface AggregatorView {
  /** Joined, and every partition it holds caught up. */
  readonly isReady: boolean;
  readonly users: HeldUsers;
  readonly opened: AggregatorReads['opened'];
  liveUsers(): SnapshotEntry[];
  snapshot(): Promise<void>;
}

const DEFAULT_REBUILD_CHECK_MS = 1000;

export async function startAggregatorNode(options: AggregatorNodeOptions): Promise<AggregatorNode> {
  const labels = { aggregator: options.name };
  const log = createLogger({
    service: 'aggregator',
    fields: labels,
    ...(options.logLevel ? { level: options.logLevel } : {}),
    ...(options.logStream ? { stream: options.logStream } : {}),
  });
  const registry = options.registry ?? createMetricsRegistry(labels);
  publishMasterKeyIds(registry, options.masterKeys);
  // The store's own metrics (a MongoDB store's commands) are this process's too.
  const stopCountingStore = countMetricsOf(options.store, registry);
  const metrics = createAggregatorMetrics(registry);
  const { store } = options;
  // Its keys do not expire: it applies every UserErased of its users, and forgets the key then,
  // and it must answer its users from memory while the store is unreachable.
  const personalData = new PersonalData(store.dataKeys, options.masterKeys, {
    ttlMs: Number.POSITIVE_INFINITY,
  });
  const opened = new OpenedUsers(personalData);
  let ownership: PartitionOwnership | null = null;
  const owned = new OwnedPartitions({
    partitionCount: () => ownership?.partitionCount ?? null,
    opened,
    forget: (userIds) => {
      for (const userId of userIds) {
        personalData.forget(userId);
        opened.forget(userId);
      }
    },
    log,
    holds: (partition) => ownership?.holds(partition) ?? false,
    aggregatorFor: (partition, epoch, rebuildInto) =>
      new Aggregator({
        partitions: [partition],
        epoch,
        ...(rebuildInto === undefined ? {} : { rebuildInto }),
        onLeaseLost: () => void ownership?.lost(partition).catch(() => undefined),
        snapshotEvery: options.snapshotEvery,
        ...(options.maxLagMs ? { maxLagMs: options.maxLagMs } : {}),
        ...(options.checkpointEveryMs ? { checkpointEveryMs: options.checkpointEveryMs } : {}),
        store,
        personalData,
        openedUsers: opened,
        log: log.child({ partition }),
        metrics,
      }),
  });
  const joined = () => ownership?.joined ?? false;
  // Not ready for good with master keys that open none of the store's keys: such a node takes no
  // partition, since it could answer none of its users (it needs a restart with the right key).
  let refused: 'master-key-mismatch' | null = null;
  const notYet = () => refused ?? 'joining';
  metrics.reportStatusFrom(() => {
    const status = owned.status();
    return joined() ? status : { ...status, notReadyReason: notYet() };
  });
  const served = {
    partitionOf: (userId: string) => owned.partitionOf(userId),
    readsFor: (partitions: readonly number[]) =>
      joined() ? owned.readsFor(partitions) : { notServed: 'joining' as const },
    report: () => (joined() ? owned.report() : { ready: false, reason: notYet(), partitions: [] }),
  };
  const gate = new RequestGate();
  const server = await listen(
    gate.around(createInternalApi(served, log, registry, options.internalToken)),
    options.port,
    { host: options.host, limits: options.slowClientLimits },
  );
  const { port, address } = server.address;
  const url = options.advertisedUrl ?? server.url;
  const running = new PartitionOwnership({
    leases: store.leases,
    layout: () => store.layout(),
    holder: { name: options.name, url },
    leaseMs: options.leaseMs ?? DEFAULT_LEASE_MS,
    serving: owned,
    expectedHolders: options.expectedAggregators ?? 1,
  });
  ownership = running;
  const rebuilder = new ProjectionRebuilder({
    rebuilds: store.rebuilds,
    owned,
    metrics,
    log,
    everyMs: options.rebuildCheckEveryMs ?? DEFAULT_REBUILD_CHECK_MS,
  });
  log.info('aggregator listening', { address, port, url });
  void masterKeyMismatch(personalData, log).then((mismatch) => {
    if (mismatch === undefined) {
      running.start((outcome) => afterRound(outcome, owned, metrics, log));
      rebuilder.start();
      return;
    }
    refused = 'master-key-mismatch';
    log.error(
      'not taking any partition: restart with the master key the store’s keys are wrapped by',
      {
        masterKeyId: mismatch,
      },
    );
  });
  return {
    name: options.name,
    url,
    port,
    owned,
    ownership: running,
    get aggregator(): AggregatorView {
      const all = owned.all;
      return {
        isReady: served.report().ready,
        users: all.users,
        opened: all.opened,
        liveUsers: () => all.liveUsers(),
        snapshot: () => owned.snapshot(),
      };
    },
    async stop() {
      await rebuilder.stop();
      await running.stop();
      await server.close();
      await owned.stopAll('graceful');
      stopCountingStore();
    },
    async crash() {
      gate.open();
      await server.close();
      await rebuilder.stop('crash');
      await running.abandon();
      await owned.stopAll('crash');
      stopCountingStore();
    },
    pause() {
      running.pause();
      gate.close();
    },
    resume() {
      gate.open();
      running.resume();
    },
  };
}

/**
 * The id of the master key the store's keys need, when this node's keys open none of them;
 * undefined when they fit, or when the store cannot tell now (its own trouble, which the lease
 * rounds and subscriptions meet and report).
 */
async function masterKeyMismatch(
  personalData: PersonalData,
  log: Logger,
): Promise<string | undefined> {
  return personalData.masterKeyMismatch().catch((error: unknown) => {
    log.warn('could not check the master key', { error: errorFields(error) });
    return undefined;
  });
}

function afterRound(
  outcome: RoundOutcome,
  owned: OwnedPartitions,
  metrics: AggregatorMetrics,
  log: Logger,
): void {
  metrics.leaseRoundDuration.observe(outcome.ms / 1000);
  metrics.leaseRounds.inc({ outcome: outcome.ok ? 'done' : 'failed' });
  metrics.partitionsOwned.set(owned.partitions.length);
  if (!outcome.ok) {
    log.warn('lease round failed; leases not renewed run out on their own', {
      error: errorFields(outcome.error),
    });
    return;
  }
  for (const { partition, change } of outcome.changes) {
    metrics.partitionChanges.inc({ change });
    log.info(`partition ${change.replace('_', ' ')}`, { partition });
  }
}

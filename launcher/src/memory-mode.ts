import { ephemeralMasterKeys, type MasterKeyring } from '@user-service/common/personal-data';
import { type Logger } from '@user-service/common/observability';
import { type AccessTokenSettings } from '@user-service/gateway';
import { InMemoryStore } from '@user-service/common/store/memory';
import { acceptControl } from './control-channel';
import { InProcessCluster } from './in-process-cluster';
import { untilReady } from './until-ready';
import { warmUp } from './warm-up';

export interface MemoryModeOptions {
  readonly aggregatorCount: number;
  /** LEASE_MS: how long a partition lease lasts unless renewed; the aggregators' default without. */
  readonly leaseMs?: number;
  readonly partitions: number;
  readonly snapshotEvery: number;
  readonly gatewayPort: number;
  readonly aggregatorBasePort: number;
  readonly logLevel: string;
  /**
   * DATA_KEY or DATA_KEY_FILE when set; else a new key each start, which is enough for data that
   * lives and dies with the process.
   */
  readonly masterKeys: MasterKeyring | undefined;
  /** PUBLIC_BASE_URL: problem types are absolute under it (else the gateway port's localhost). */
  readonly publicBaseUrl?: string;
  /** INTERNAL_TOKEN when given; else the system makes one for this start. */
  readonly internalToken?: string;
  /** HOST: where the gateway listens; the aggregators stay on loopback. */
  readonly gatewayHost: string;
  /** AUTH_*: how the gateway checks access tokens; undefined when it asks for none. */
  readonly accessTokens?: AccessTokenSettings;
}

export async function runInMemory(
  options: MemoryModeOptions,
  log: Logger,
): Promise<() => Promise<void>> {
  const warming = Date.now();
  const warm = await warmUp(options);
  log.info('warmed up', { ms: Date.now() - warming, statuses: warm.statuses });
  const system = await InProcessCluster.start({
    ...options,
    masterKeys: options.masterKeys ?? ephemeralMasterKeys(),
    store: new InMemoryStore({ partitions: options.partitions }),
  });
  acceptControl({
    crash: (index) => system.stopAggregator(index, 'crash'),
    restart: async (index) => {
      const node = await system.startAggregator(index);
      await untilReady(node.url);
    },
    pause: async (index) => system.aggregator(index).pause(),
    resume: async (index) => system.aggregator(index).resume(),
    add: async () => {
      const node = await system.addAggregator();
      await untilReady(node.url);
    },
  });
  log.warn('STORE=memory: every user lives in this process and is lost when it exits');
  log.info('ready', {
    api: `${system.gateway.url}/api/user`,
    docs: `${system.gateway.url}/docs/`,
    aggregators: system.aggregators.flatMap((node) => (node ? [node.url] : [])),
  });
  return () => system.close();
}

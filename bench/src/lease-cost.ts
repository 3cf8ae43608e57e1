import { PartitionOwnership } from '@user-service/aggregator';
import { ephemeralMasterKeys } from '@user-service/common/personal-data';
import { aroundStoreCalls } from '@user-service/common/store';
import { InMemoryStore } from '@user-service/common/store/memory';
import { InProcessCluster } from '@user-service/launcher';
import { PassThrough } from 'node:stream';
import { Registry } from 'prom-client';
import { seedUsers } from './seed';

/** The lease times a takeover is measured with; 5,000 ms is LEASE_MS's default. */
const LEASE_TIMES_MS = [1000, 2000, 5000];
const USERS = 3000;
const ROUNDS = 2000;

export interface LeaseCostReport {
  /** From an aggregator killed to its partitions served by the others again, through the gateway. */
  readonly takeovers: readonly { readonly leaseMs: number; readonly takeoverMs: number }[];
  /** One aggregator's lease round in a steady system of three: store calls, and CPU µs in memory. */
  readonly storeCallsPerRound: number;
  readonly microsPerRound: number;
}

/**
 * What leases cost and buy, in memory: how long a takeover takes against the lease time, and what
 * one renewal round costs an aggregator (its store calls; on MongoDB each is one command).
 */
export async function leaseCostCheck(): Promise<LeaseCostReport> {
  const takeovers = [];
  for (const leaseMs of LEASE_TIMES_MS)
    takeovers.push({ leaseMs, takeoverMs: await takeover(leaseMs) });
  return { takeovers, ...(await roundCost()) };
}

async function takeover(leaseMs: number): Promise<number> {
  const system = await InProcessCluster.start({
    store: new InMemoryStore(),
    masterKeys: ephemeralMasterKeys(),
    aggregatorCount: 3,
    snapshotEvery: 100,
    gatewayPort: 0,
    aggregatorBasePort: 0,
    leaseMs,
    logLevel: 'error',
    logStream: new PassThrough().resume(),
    registry: () => new Registry(),
  });
  try {
    await seedUsers(system.gateway.url, USERS);
    const killed = Date.now();
    await system.stopAggregator(1, 'crash');
    await system.untilSettled(leaseMs * 3 + 10_000);
    return Date.now() - killed;
  } finally {
    await system.close();
  }
}

async function roundCost(): Promise<{ storeCallsPerRound: number; microsPerRound: number }> {
  const store = new InMemoryStore();
  let calls = 0;
  const counted = aroundStoreCalls(store, (_operation, call) => {
    calls += 1;
    return call();
  });
  const holders = ['aggregator-0', 'aggregator-1', 'aggregator-2'].map(
    (name) =>
      new PartitionOwnership({
        leases: counted.leases,
        layout: () => counted.layout(),
        holder: { name, url: `http://${name}` },
        leaseMs: 60_000,
        serving: {
          take: () => undefined,
          drop: async () => undefined,
          handOver: async () => undefined,
        },
        expectedHolders: 3,
      }),
  );
  for (let settle = 0; settle < 2; settle++) for (const holder of holders) await holder.round();
  const [measured] = holders;
  if (!measured) throw new Error('no holder to measure');
  calls = 0;
  const started = process.hrtime.bigint();
  for (let round = 0; round < ROUNDS; round++) await measured.round();
  const micros = Number(process.hrtime.bigint() - started) / 1000 / ROUNDS;
  return { storeCallsPerRound: calls / ROUNDS, microsPerRound: micros };
}

export function leaseCostTable(report: LeaseCostReport): string {
  return [
    '| lease time | takeover: killed to served by the others, through the gateway | takeover / lease |',
    '| ---: | ---: | ---: |',
    ...report.takeovers.map(
      ({ leaseMs, takeoverMs }) =>
        `| ${leaseMs} ms | ${takeoverMs} ms | ${(takeoverMs / leaseMs).toFixed(2)} |`,
    ),
    '',
    `A steady lease round (the layout, a heartbeat, the renewal, reading the leases): ${report.storeCallsPerRound.toFixed(1)} store calls ` +
      `and ${report.microsPerRound.toFixed(0)} µs of CPU in memory; on MongoDB 4 commands (the heartbeat's update and read, ` +
      'the renewal, the leases read; the layout is read once). Three rounds per lease time per aggregator.',
  ].join('\n');
}

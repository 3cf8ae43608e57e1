import { launchSystem, stopChild, untilReady } from '@user-service/launcher';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');

export interface Running {
  readonly url: string;
  stop(): Promise<void>;
}

export type StoreKind = 'memory' | 'mongo';

export interface SystemSpec {
  readonly store: StoreKind;
  readonly aggregators: number;
  readonly gatewayPort: number;
  readonly aggregatorBasePort: number;
  /** Extra node flags for the system process, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
}

/** The system as `npm start` runs it, in a process of its own so that it does not share a core with the load. */
export function startSystem(spec: SystemSpec): Promise<Running> {
  return launchSystem({
    env: {
      ...process.env,
      STORE: spec.store,
      // A data directory and port of its own, so that it runs beside npm start and npm run chaos.
      // No DATA_KEY of its own: that data outlives the run, and so must the master key its data
      // keys are wrapped with, which the launcher keeps in .data/data-key (in memory it makes one).
      EMBEDDED_MONGO_DIR: resolve(REPO, '.data/bench-mongo'),
      EMBEDDED_MONGO_PORT: '27519',
      // Request lines at info would be written for every request by the system but not the baseline.
      LOG_LEVEL: 'warn',
    },
    gatewayPort: spec.gatewayPort,
    aggregatorBasePort: spec.aggregatorBasePort,
    aggregators: spec.aggregators,
    ...(spec.nodeFlags ? { nodeFlags: spec.nodeFlags } : {}),
  });
}

export async function startBaseline(port: number): Promise<Running> {
  const child = spawn(process.execPath, [resolve(__dirname, 'baseline-server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilReady(url, { child });
  return { url, stop: () => stopChild(child) };
}

import { launchSystem, stopChild, untilReady } from '@user-service/launcher';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const REPO = resolve(__dirname, '../..');

export interface Running {
  readonly url: string;
  /** The process serving it, when the bench started one. */
  readonly pid?: number;
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
  /** Settings for the system beyond the bench's own, e.g. AUTH_* to check access tokens. */
  readonly env?: Readonly<Record<string, string>>;
}

/** The system as `npm start` runs it, in a process of its own so that it does not share a core with the load. */
export async function startSystem(spec: SystemSpec): Promise<Running> {
  const system = await launchSystem({
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
      ...spec.env,
    },
    gatewayPort: spec.gatewayPort,
    aggregatorBasePort: spec.aggregatorBasePort,
    aggregators: spec.aggregators,
    ...(spec.nodeFlags ? { nodeFlags: spec.nodeFlags } : {}),
  });
  return {
    url: system.url,
    ...(system.process.pid === undefined ? {} : { pid: system.process.pid }),
    stop: () => system.stop(),
  };
}

/**
 * CPU time a process has used so far, user and system, in ms, from /proc (Linux); undefined where
 * there is none. Its resolution is the kernel's clock tick, 10 ms.
 */
export function cpuMillisOf(pid: number): number | undefined {
  try {
    // Fields 14 and 15 (utime, stime), counted after the command name, which may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: Linux reports process times in hundredths of a second on every architecture it runs. */
const CLOCK_TICKS_PER_SECOND = 100;

export async function startBaseline(port: number): Promise<Running> {
  const child = spawn(process.execPath, [resolve(__dirname, 'baseline-server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilReady(url, { child });
  return { url, stop: () => stopChild(child) };
}

import { type ChildProcess, spawn } from 'node:child_process';
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
export async function startSystem(spec: SystemSpec): Promise<Running> {
  const child = spawn(process.execPath, [...(spec.nodeFlags ?? []), resolve(REPO, 'launcher/dist/main.js')], {
    env: {
      ...process.env,
      STORE: spec.store,
      AGG_N: String(spec.aggregators),
      PORT: String(spec.gatewayPort),
      AGGREGATOR_BASE_PORT: String(spec.aggregatorBasePort),
      // A data directory and port of its own, so that it runs beside npm start and npm run chaos.
      EMBEDDED_MONGO_DIR: resolve(REPO, '.data/bench-mongo'),
      EMBEDDED_MONGO_PORT: '27519',
      // Request lines at info would be written for every request by the system but not the baseline.
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const aggregatorUrls = Array.from({ length: spec.aggregators }, (_, i) => `http://127.0.0.1:${spec.aggregatorBasePort + i}`);
  const url = `http://127.0.0.1:${spec.gatewayPort}`;
  await untilReady([url, ...aggregatorUrls], child);
  return { url, stop: () => stop(child) };
}

export async function startBaseline(port: number): Promise<Running> {
  const child = spawn(process.execPath, [resolve(__dirname, 'baseline-server.js')], {
    env: { ...process.env, PORT: String(port) },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${port}`;
  await untilReady([url], child);
  return { url, stop: () => stop(child) };
}

async function untilReady(urls: readonly string[], child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (const url of urls) {
    for (;;) {
      if (child.exitCode !== null) throw new Error(`the process serving ${url} exited with ${child.exitCode}`);
      if (Date.now() > deadline) throw new Error(`${url} did not become ready`);
      const ready = await fetch(`${url}/readyz`).then(
        (response) => response.ok,
        () => false,
      );
      if (ready) break;
      await new Promise((done) => setTimeout(done, 50));
    }
  }
}

function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((done) => {
    child.once('exit', () => done());
    child.kill('SIGTERM');
  });
}

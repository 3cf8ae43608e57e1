import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { stopChild } from './stop-child';
import { untilReady } from './until-ready';

/** The launcher's program, found the same way from dist/ and, under jest, from src/. */
const LAUNCHER_MAIN = resolve(__dirname, '../dist/main.js');

export interface LaunchOptions {
  /** The launcher's environment; PORT, AGGREGATOR_BASE_PORT and AGG_N are set from the fields below. */
  readonly env: NodeJS.ProcessEnv;
  readonly gatewayPort: number;
  /** Aggregator i listens on this plus i. */
  readonly aggregatorBasePort: number;
  readonly aggregators: number;
  /** Node flags for the launcher process, e.g. --cpu-prof. */
  readonly nodeFlags?: readonly string[];
  /** Opens an IPC channel, over which the parent can crash and restart aggregators (see control-channel.ts). */
  readonly control?: boolean;
}

export interface LaunchedSystem {
  readonly url: string;
  readonly aggregatorUrls: readonly string[];
  /** The launcher process, to send control messages to. */
  readonly process: ChildProcess;
  /** SIGTERM, then resolves once the launcher has stopped what it started and exited. */
  stop(): Promise<void>;
}

/**
 * The system as `npm start` runs it, in a child process, so that it does not share a core with
 * whatever drives it; resolves once the gateway and every aggregator answer /readyz. A system
 * that does not get there is stopped before the error is thrown.
 */
export async function launchSystem(options: LaunchOptions): Promise<LaunchedSystem> {
  const child = spawn(process.execPath, [...(options.nodeFlags ?? []), LAUNCHER_MAIN], {
    env: {
      ...options.env,
      PORT: String(options.gatewayPort),
      AGGREGATOR_BASE_PORT: String(options.aggregatorBasePort),
      AGG_N: String(options.aggregators),
    },
    // stderr only: errors show, the request log does not.
    stdio: ['ignore', 'ignore', 'inherit', ...(options.control ? (['ipc'] as const) : [])],
  });
  const url = localUrl(options.gatewayPort);
  const aggregatorUrls = Array.from({ length: options.aggregators }, (_, index) =>
    localUrl(options.aggregatorBasePort + index),
  );
  const stop = () => stopChild(child, 'SIGTERM');
  try {
    await untilReady([url, ...aggregatorUrls], { child });
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, aggregatorUrls, process: child, stop };
}

function localUrl(port: number): string {
  return `http://127.0.0.1:${port}`;
}

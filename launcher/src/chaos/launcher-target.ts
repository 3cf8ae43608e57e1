import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { untilReady } from '../control-channel';
import type { ChaosTarget } from './drill';

export interface LaunchedTarget extends ChaosTarget {
  stop(): Promise<void>;
}

/**
 * The system as `npm start` runs it, in a child process steered over IPC: in memory the
 * aggregators are dropped and rebuilt inside it, on MongoDB they are real processes killed with
 * SIGKILL.
 */
export async function launchTarget(env: NodeJS.ProcessEnv, ports: { gateway: number; aggregatorBase: number; aggregators: number }): Promise<LaunchedTarget> {
  const child: ChildProcess = spawn(process.execPath, [resolve(__dirname, '../main.js')], {
    env: { ...env, PORT: String(ports.gateway), AGGREGATOR_BASE_PORT: String(ports.aggregatorBase), AGG_N: String(ports.aggregators), LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  const url = `http://127.0.0.1:${ports.gateway}`;
  await untilReady(url);
  for (let index = 0; index < ports.aggregators; index++) await untilReady(`http://127.0.0.1:${ports.aggregatorBase + index}`);

  let nextId = 0;
  const command = (name: 'crash' | 'restart', index: number) =>
    new Promise<number>((done, fail) => {
      const id = ++nextId;
      const onMessage = (message: { id: number; readyMs?: number; error?: string }) => {
        if (message.id !== id) return;
        child.off('message', onMessage);
        if (message.error) fail(new Error(message.error));
        else done(message.readyMs ?? 0);
      };
      child.on('message', onMessage);
      child.send({ id, command: name, index });
    });

  return {
    url,
    crash: async (index) => {
      await command('crash', index);
    },
    restart: (index) => command('restart', index),
    stop: () =>
      new Promise((done) => {
        if (child.exitCode !== null) return done();
        child.once('exit', () => done());
        child.kill('SIGTERM');
      }),
  };
}

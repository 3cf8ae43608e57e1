import { launchSystem } from '../launch-system';
import type { ControlCommand } from '../control-channel';
import type { ChaosTarget } from './drill';

export interface LaunchedTarget extends ChaosTarget {
  stop(): Promise<void>;
}

/**
 * The system as `npm start` runs it, in a child process steered over IPC: in memory the
 * aggregators are dropped and rebuilt inside it, on MongoDB they are real processes killed with
 * SIGKILL.
 */
export async function launchTarget(
  env: NodeJS.ProcessEnv,
  ports: { gateway: number; aggregatorBase: number; aggregators: number },
): Promise<LaunchedTarget> {
  const system = await launchSystem({
    env: { ...env, LOG_LEVEL: 'warn' },
    gatewayPort: ports.gateway,
    aggregatorBasePort: ports.aggregatorBase,
    aggregators: ports.aggregators,
    control: true,
  });
  const child = system.process;

  let nextId = 0;
  const command = (name: ControlCommand, index: number) =>
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
    url: system.url,
    crash: async (index) => {
      await command('crash', index);
    },
    restart: (index) => command('restart', index),
    pause: async (index) => {
      await command('pause', index);
    },
    resume: async (index) => {
      await command('resume', index);
    },
    add: async () => {
      await command('add', 0);
    },
    stop: () => system.stop(),
  };
}

import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

/** `npm start`'s program, started as a process of its own, as a user starts it. */
export const REPO = resolve(__dirname, '../..');
const LAUNCHER = join(REPO, 'launcher/dist/main.js');

const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
});

export interface Started {
  readonly child: ChildProcess;
  /** The API's URL as the launcher's `ready` line gives it. */
  readonly api: string;
}

/** The launcher in memory, on free ports, until it says it is ready. */
export function startLauncher(env: Record<string, string>): Promise<Started> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [LAUNCHER], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        STORE: 'memory',
        PORT: '0',
        AGGREGATOR_BASE_PORT: '0',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        const ready = parsed(line);
        if (ready?.message === 'ready' && typeof ready.api === 'string')
          done({ child, api: ready.api });
      }
    });
    child.on('error', fail);
    child.on('exit', (code) => fail(new Error(`the launcher exited with ${code}: ${output}`)));
  });
}

function parsed(line: string): Record<string, unknown> | undefined {
  try {
    return JSON.parse(line) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

export async function stopLauncher(child: ChildProcess): Promise<void> {
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

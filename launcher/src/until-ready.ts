import { waitUntil } from '@user-service/common/lifecycle';
import type { ChildProcess } from 'node:child_process';

export interface ReadyWaitOptions {
  /** For all the URLs together. */
  readonly timeoutMs?: number;
  /** The process serving them: once it has exited, waiting longer is pointless, so the wait ends with an error. */
  readonly child?: ChildProcess;
}

/** Polls each URL's /readyz in turn until it answers 200. */
export async function untilReady(
  urls: string | readonly string[],
  options: ReadyWaitOptions = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  const { child } = options;
  for (const url of typeof urls === 'string' ? [urls] : urls) {
    await waitUntil(
      () => {
        if (child && (child.exitCode !== null || child.signalCode !== null)) {
          throw new Error(
            `the process serving ${url} exited with ${child.exitCode ?? child.signalCode}`,
          );
        }
        return answersReady(url);
      },
      {
        describe: `${url} to become ready`,
        timeoutMs: Math.max(0, deadline - Date.now()),
        intervalMs: 20,
      },
    );
  }
}

function answersReady(url: string): Promise<boolean> {
  return fetch(`${url}/readyz`).then(
    (response) => response.ok,
    () => false,
  );
}

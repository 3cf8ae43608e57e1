import type { Logger } from '@user-service/common/observability';

/** The shell's convention, 128 + the signal's number, so that `docker compose ps` tells an interruption from a failure. */
export const SIGNAL_EXIT_CODES = Object.freeze({ SIGTERM: 143, SIGINT: 130 } as const);

/** The part of `process` this needs, so that a test can stand in for it. */
export interface SignalledProcess {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code: number): void;
}

/**
 * mongo-init is a one-shot job: a SIGTERM or SIGINT ends it at once, as a failure, since what it
 * was doing is left unfinished (running it again finishes it). Without a handler, node as PID 1
 * of a container would ignore SIGTERM until Docker kills it.
 */
export function failOnSignals(log: Logger, target: SignalledProcess = process): void {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    target.on(signal, () => {
      log.error(
        `mongo-init stopped by ${signal} before it finished: run it again to complete the initialization`,
      );
      target.exit(SIGNAL_EXIT_CODES[signal]);
    });
  }
}

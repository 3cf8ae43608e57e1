import { Shutdown } from './shutdown';

/**
 * On the first SIGTERM or SIGINT, stops what the returned Shutdown holds then (`stop` first, when
 * given), then exits: 0 when everything stopped, 1 when something failed to. Registered before
 * anything starts, so that `docker stop` works even while the process still waits for MongoDB
 * (as PID 1 in a container, a process without a handler ignores SIGTERM).
 */
export function stopOnSignals(stop?: () => Promise<void>): Shutdown {
  const shutdown = new Shutdown();
  if (stop) shutdown.add(stop);
  const onSignal = () => {
    if (shutdown.stopping) return;
    shutdown.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return shutdown;
}

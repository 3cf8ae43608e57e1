import { MisconfiguredError } from './misconfigured-error';

/** Reads a process's configuration, or stops the process with the one message that says why. */
export function configOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    return exitOnMisconfiguration(error);
  }
}

/**
 * For a configuration that can never work (a bad variable, a store that cannot serve as
 * configured): stops the process with one line naming the cause. Anything else is rethrown.
 */
export function exitOnMisconfiguration(error: unknown): never {
  if (!(error instanceof MisconfiguredError)) throw error;
  process.stderr.write(`${JSON.stringify({ level: 'error', message: error.message })}\n`);
  process.exit(1);
}

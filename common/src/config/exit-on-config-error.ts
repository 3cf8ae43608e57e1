import { ConfigError } from './config';

/** Reads a process's configuration, or stops the process with the one message that says why. */
export function configOrExit<T>(read: () => T): T {
  try {
    return read();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${JSON.stringify({ level: 'error', message: error.message })}\n`);
    process.exit(1);
  }
}

export interface WaitOptions {
  /**
   * What is awaited, for the message when it does not happen: "http://127.0.0.1:9100 to become
   * ready". A function is called only then, so that the message can say how far things got.
   */
  readonly describe: string | (() => string);
  readonly timeoutMs: number;
  /** Pause between two looks at the condition. */
  readonly intervalMs?: number;
}

/**
 * Resolves once `condition` answers true, or throws an error naming what was awaited after
 * `timeoutMs`. An error thrown by `condition` ends the wait with that error: it is how a caller
 * says that waiting longer is pointless (the process that should answer has exited, say).
 */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  options: WaitOptions,
): Promise<void> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    if (await condition()) return;
    if (Date.now() >= deadline) {
      const what = typeof options.describe === 'string' ? options.describe : options.describe();
      throw new Error(`gave up after ${options.timeoutMs} ms waiting for ${what}`);
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}

/**
 * What a process has started so far, to stop on a signal. A process may be signalled at any
 * moment of its start (while it waits for MongoDB, say), so each part is registered as soon as
 * it exists, and stopping stops exactly what exists then.
 */
export class Shutdown {
  private readonly steps: (() => Promise<void>)[] = [];
  private began = false;

  get stopping(): boolean {
    return this.began;
  }

  /** How to stop what has just started; it is stopped before whatever was registered earlier (it may depend on it). */
  add(stop: () => Promise<void>): void {
    this.steps.push(stop);
  }

  /**
   * Stops everything registered, the latest first, once; later calls do nothing. A part
   * registered while stopping is in progress is stopped too. Every step runs even when one fails,
   * and the first failure is thrown at the end.
   */
  async stop(): Promise<void> {
    if (this.began) return;
    this.began = true;
    let failure: { readonly error: unknown } | undefined;
    for (let step = this.steps.pop(); step !== undefined; step = this.steps.pop()) {
      try {
        await step();
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }
}

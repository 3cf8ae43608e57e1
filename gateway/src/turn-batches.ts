interface Waiting<T, R> {
  readonly item: T;
  readonly resolve: (result: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Gathers the items added during one turn of the event loop and sends them together once the
 * turn's I/O callbacks have run (`setImmediate`), at most `max` to a send. Under load the
 * requests that arrived together leave together; alone, an item leaves at the end of its turn,
 * without waiting for a timer.
 */
export class TurnBatches<T, R> {
  private waiting: Waiting<T, R>[] = [];

  constructor(
    /** Answers the items in the order given, one result each. */
    private readonly send: (items: readonly T[]) => Promise<readonly R[]>,
    private readonly max: number,
  ) {}

  add(item: T): Promise<R> {
    return new Promise((resolve, reject) => {
      if (this.waiting.length === 0) setImmediate(() => this.sendWaiting());
      this.waiting.push({ item, resolve, reject });
    });
  }

  private sendWaiting(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (let start = 0; start < waiting.length; start += this.max) {
      const batch = waiting.slice(start, start + this.max);
      const fail = (error: unknown) => {
        for (const { reject } of batch) reject(error);
      };
      this.send(batch.map(({ item }) => item)).then((results) => {
        if (results.length !== batch.length)
          fail(new Error(`${results.length} results for ${batch.length} items`));
        else batch.forEach(({ resolve }, index) => resolve(results[index] as R));
      }, fail);
    }
  }
}

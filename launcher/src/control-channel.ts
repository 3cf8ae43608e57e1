/**
 * Lets a parent process (the chaos drill) crash and restart aggregators of a running launcher:
 * messages `{ id, command: 'crash' | 'restart', index }`, answered `{ id, readyMs? , error? }`.
 * Only active when the launcher was started with an IPC channel.
 */
export interface AggregatorControl {
  crash(index: number): Promise<void>;
  /** Resolves once the aggregator reports ready again. */
  restart(index: number): Promise<void>;
}

interface ControlMessage {
  readonly id: number;
  readonly command: 'crash' | 'restart';
  readonly index: number;
}

export function acceptControl(control: AggregatorControl): void {
  const send = process.send?.bind(process);
  if (!send) return;
  process.on('message', (message: ControlMessage) => {
    const started = Date.now();
    const work =
      message.command === 'crash' ? control.crash(message.index) : control.restart(message.index);
    work.then(
      () => send({ id: message.id, readyMs: Date.now() - started }),
      (error: unknown) => send({ id: message.id, error: String(error) }),
    );
  });
}

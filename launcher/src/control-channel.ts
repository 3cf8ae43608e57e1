/**
 * Lets a parent process (the chaos drill) crash, restart, pause and resume aggregators of a
 * running launcher, and add one: messages `{ id, command, index }` (`index` ignored by `add`),
 * answered `{ id, readyMs?, error? }`. Only active when the launcher was started with an IPC
 * channel.
 */
export interface AggregatorControl {
  crash(index: number): Promise<void>;
  /** Resolves once the aggregator reports ready again. */
  restart(index: number): Promise<void>;
  /** As SIGSTOP: it neither renews its leases nor answers until resumed. */
  pause(index: number): Promise<void>;
  resume(index: number): Promise<void>;
  /** Starts one more aggregator (a scale-out); resolves once it has joined. */
  add(): Promise<void>;
}

export type ControlCommand = 'crash' | 'restart' | 'pause' | 'resume' | 'add';

interface ControlMessage {
  readonly id: number;
  readonly command: ControlCommand;
  readonly index: number;
}

export function acceptControl(control: AggregatorControl): void {
  const send = process.send?.bind(process);
  if (!send) return;
  process.on('message', (message: ControlMessage) => {
    const started = Date.now();
    const work =
      message.command === 'add' ? control.add() : control[message.command](message.index);
    work.then(
      () => send({ id: message.id, readyMs: Date.now() - started }),
      (error: unknown) => send({ id: message.id, error: String(error) }),
    );
  });
}

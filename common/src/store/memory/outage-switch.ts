import { StoreUnavailableError } from '../errors';

/**
 * Fault injection for the in-memory store: while it is down, every operation fails as an
 * unreachable MongoDB would, before touching any data, and waiting tails are woken to notice.
 */
export class OutageSwitch {
  private down = false;
  private readonly listeners = new Set<() => void>();

  setDown(down: boolean): void {
    this.down = down;
    if (down) for (const listener of this.listeners) listener();
  }

  check(operation: string): void {
    if (this.down)
      throw new StoreUnavailableError(`the store is down (injected fault): ${operation} failed`);
  }

  onOutage(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

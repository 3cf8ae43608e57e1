import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';

/**
 * Holds requests back while closed and lets them through when opened again: what a process
 * stopped by SIGSTOP does to the requests that reach it. For drills only.
 */
export class RequestGate {
  private held: Array<() => void> | null = null;

  close(): void {
    this.held ??= [];
  }

  open(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const release of held) release();
  }

  around(listener: RequestListener): RequestListener {
    return (req: IncomingMessage, res: ServerResponse) => {
      if (this.held) this.held.push(() => listener(req, res));
      else listener(req, res);
    };
  }
}

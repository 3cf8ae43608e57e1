import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly address: AddressInfo | string | null;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server with timeouts that keep a slow client from holding a socket for long.
 */
export function listen(handler: RequestListener, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = createServer(handler);
    server.once('error', reject);
    server.listen(port, '0.0.0.0', () => {
      resolve({
        address: server.address(),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
    server.headersTimeout = 5_000;
    server.requestTimeout = 10_000;
    server.keepAliveTimeout = 60_000;
  });
}

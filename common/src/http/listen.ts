import type { Express } from 'express';
import type { AddressInfo } from 'node:net';

export interface RunningServer {
  readonly address: AddressInfo | string | null;
  close(): Promise<void>;
}

/**
 * Starts an HTTP server with timeouts that keep a slow client from holding a socket for long.
 */
export function listen(app: Express, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, '0.0.0.0', (error?: Error) => {
      if (error) {
        reject(error);
        return;
      }
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

import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { answerUnreadableRequest, refuseConnect } from './unreadable-request';

export interface RunningServer {
  readonly address: AddressInfo | string | null;
  close(): Promise<void>;
}

export interface SlowClientLimits {
  /** Time a client has to send all request headers. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request. */
  readonly requestTimeoutMs: number;
}

const defaultLimits: SlowClientLimits = { headersTimeoutMs: 5_000, requestTimeoutMs: 10_000 };

/**
 * Starts an HTTP server whose sockets a slow client cannot hold for long (slowloris): headers
 * and whole requests have deadlines, checked every second rather than node's default 30 s.
 */
export function listen(
  handler: RequestListener,
  port: number,
  limits: SlowClientLimits = defaultLimits,
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = createServer(
      {
        connectionsCheckingInterval: Math.min(1_000, limits.headersTimeoutMs),
        requestTimeout: limits.requestTimeoutMs,
      },
      handler,
    );
    server.headersTimeout = limits.headersTimeoutMs;
    server.keepAliveTimeout = 60_000;
    server.on('clientError', answerUnreadableRequest);
    server.on('connect', (_req, socket) => refuseConnect(socket));
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
  });
}

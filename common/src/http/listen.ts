import { createServer, type RequestListener } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import { DEFAULT_HOST } from '../config/listener-config';
import { answerUnreadableRequest, refuseConnect } from './unreadable-request';

export interface RunningServer {
  readonly address: AddressInfo;
  /** Where a client on this machine reaches it (a wildcard address through loopback). */
  readonly url: string;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** The address to bind; by default this machine only (config's DEFAULT_HOST). */
  readonly host?: string | undefined;
  readonly limits?: SlowClientLimits | undefined;
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
 * It listens on loopback unless told another address.
 */
export function listen(
  handler: RequestListener,
  port: number,
  options: ListenOptions = {},
): Promise<RunningServer> {
  const { host = DEFAULT_HOST, limits = defaultLimits } = options;
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
    server.listen(port, host, () => {
      const address = server.address() as AddressInfo;
      resolve({
        address,
        url: localUrl(address.address, address.port),
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/**
 * Where a client on this machine reaches a server listening on `host` and `port`: a wildcard
 * address (every interface) through loopback.
 */
export function localUrl(host: string, port: number): string {
  if (isIPv6(host)) return `http://[${host === '::' ? '::1' : host}]:${port}`;
  return `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
}

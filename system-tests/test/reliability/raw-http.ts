import { request } from 'node:http';
import { connect } from 'node:net';

export interface RawAnswer {
  readonly status: number;
  readonly body: string;
}

/** One request with whatever method, path, headers and body, as node's client will send them. */
export function rawRequest(
  url: string,
  options: {
    method: string;
    path: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
  },
): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  // node's client sends a DELETE's body without Content-Length, which the server rightly reads
  // as a second, malformed request; framing it keeps this a test of one request.
  const headers =
    options.body === undefined
      ? { ...options.headers }
      : { ...options.headers, 'content-length': String(Buffer.byteLength(options.body)) };
  return new Promise((resolve, reject) => {
    // A fresh connection each time: the server may close one after a refused request, and a reused
    // socket would then report a hang-up that says nothing about the answer.
    const req = request(
      { hostname, port, method: options.method, path: options.path, headers, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/**
 * Writes bytes on a bare socket and collects what comes back until the server closes it, or,
 * with `giveUpAfterMs`, until the client gives up waiting and closes it itself.
 */
export function rawExchange(
  url: string,
  bytes: string,
  giveUpAfterMs = 0,
): Promise<{ reply: string; closedBy: 'server' | 'client' }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    let closedBy: 'server' | 'client' = 'server';
    const socket = connect(Number(port), hostname, () => {
      socket.write(bytes);
      if (giveUpAfterMs === 0) socket.end();
    });
    const giveUp =
      giveUpAfterMs > 0
        ? setTimeout(() => {
            closedBy = 'client';
            socket.destroy();
          }, giveUpAfterMs)
        : undefined;
    let reply = '';
    socket.on('data', (chunk: Buffer) => (reply += chunk.toString()));
    socket.on('error', reject);
    socket.on('close', () => {
      clearTimeout(giveUp);
      resolve({ reply, closedBy });
    });
  });
}

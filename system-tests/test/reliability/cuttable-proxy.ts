import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP proxy whose line can be cut: every open connection is dropped and new ones are refused
 * until it is mended. Put between a client and MongoDB, it is a network outage on demand.
 */
export class CuttableProxy {
  private cut = false;
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static start(target: { host: string; port: number }): Promise<CuttableProxy> {
    return new Promise((resolve) => {
      let proxy: CuttableProxy | undefined;
      const server = createServer((client) => proxy?.relay(client, target));
      server.listen(0, '127.0.0.1', () => {
        proxy = new CuttableProxy(server);
        resolve(proxy);
      });
    });
  }

  get port(): number {
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  setCut(cut: boolean): void {
    this.cut = cut;
    if (cut) for (const socket of this.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.setCut(true);
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, target: { host: string; port: number }): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
    }
    client.pipe(upstream);
    upstream.pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }
}

import { startLauncher, stopLauncher as stop } from './launcher-process';
import { listeningSockets } from './listening-sockets';

/**
 * Where `npm start` listens, read off the socket table of its process (STORE=memory: a gateway and
 * three aggregators in the launcher's own process), never by sending anything to an address
 * other than loopback.
 */
const onLinux = listeningSockets(process.pid) !== undefined;
if (!onLinux) process.stdout.write('npm start listeners: skipped, no /proc socket table here\n');
const linuxOnly = onLinux ? describe : describe.skip;

linuxOnly('npm start (STORE=memory), where its listeners are bound', () => {
  it('binds the gateway and every aggregator to 127.0.0.1 when HOST is unset', async () => {
    const { child, api } = await startLauncher({});
    try {
      const sockets = listeningSockets(child.pid ?? -1) ?? [];
      // The gateway and its three aggregators; the warm-up's copy has closed its own.
      expect(sockets).toHaveLength(4);
      for (const socket of sockets) expect(socket.address).toBe('127.0.0.1');
      const gatewayPort = Number(new URL(api).port);
      expect(sockets.map((socket) => socket.port)).toContain(gatewayPort);
      expect((await fetch(new URL('/healthz', api))).status).toBe(200);
    } finally {
      await stop(child);
    }
  }, 60_000);

  it('binds the gateway where HOST says, and keeps the aggregators on 127.0.0.1', async () => {
    const { child, api } = await startLauncher({ HOST: '127.0.0.2' });
    try {
      const sockets = listeningSockets(child.pid ?? -1) ?? [];
      const gatewayPort = Number(new URL(api).port);
      expect(new URL(api).hostname).toBe('127.0.0.2');
      expect(sockets.find((socket) => socket.port === gatewayPort)?.address).toBe('127.0.0.2');
      const others = sockets.filter((socket) => socket.port !== gatewayPort);
      expect(others).toHaveLength(3);
      for (const socket of others) expect(socket.address).toBe('127.0.0.1');
    } finally {
      await stop(child);
    }
  }, 60_000);
});

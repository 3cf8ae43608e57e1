import { Shutdown } from '@user-service/common/lifecycle';

describe('stopping what a process has started so far', () => {
  it('stops nothing when the signal comes before anything started (while waiting for MongoDB)', async () => {
    const shutdown = new Shutdown();
    await expect(shutdown.stop()).resolves.toBeUndefined();
    expect(shutdown.stopping).toBe(true);
  });

  it('stops only the store when the node has not started yet', async () => {
    const stopped: string[] = [];
    const shutdown = new Shutdown();
    shutdown.add(async () => void stopped.push('store'));
    await shutdown.stop();
    expect(stopped).toEqual(['store']);
  });

  it('stops the latest first: the node before the store it uses', async () => {
    const stopped: string[] = [];
    const shutdown = new Shutdown();
    shutdown.add(async () => void stopped.push('store'));
    shutdown.add(async () => void stopped.push('node'));
    await shutdown.stop();
    expect(stopped).toEqual(['node', 'store']);
  });

  it('stops once, however many signals come', async () => {
    let stops = 0;
    const shutdown = new Shutdown();
    shutdown.add(async () => void stops++);
    await Promise.all([shutdown.stop(), shutdown.stop()]);
    await shutdown.stop();
    expect(stops).toBe(1);
  });

  it('also stops what starts while it is stopping', async () => {
    const stopped: string[] = [];
    const shutdown = new Shutdown();
    let storeClosing!: () => void;
    shutdown.add(
      () =>
        new Promise<void>((resolve) => (storeClosing = () => resolve(void stopped.push('store')))),
    );
    const stopping = shutdown.stop();
    shutdown.add(async () => void stopped.push('node'));
    storeClosing();
    await stopping;
    expect(stopped).toEqual(['store', 'node']);
  });

  it('runs every step when one fails, then reports the first failure', async () => {
    const stopped: string[] = [];
    const shutdown = new Shutdown();
    shutdown.add(async () => void stopped.push('store'));
    shutdown.add(async () => {
      throw new Error('final snapshot failed');
    });
    await expect(shutdown.stop()).rejects.toThrow('final snapshot failed');
    expect(stopped).toEqual(['store']);
  });
});

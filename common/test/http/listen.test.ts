import { listen, localUrl, type RunningServer } from '@user-service/common/http';

const hello = (_req: unknown, res: { end(text: string): void }) => res.end('hello');

describe('listen', () => {
  const servers: RunningServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => server.close()));
  });

  it('binds loopback when given no address, and answers there', async () => {
    const server = await listen(hello, 0);
    servers.push(server);
    expect(server.address.address).toBe('127.0.0.1');
    expect(server.url).toBe(`http://127.0.0.1:${server.address.port}`);
    expect(await (await fetch(server.url)).text()).toBe('hello');
  });

  it('binds the address it is given', async () => {
    const server = await listen(hello, 0, { host: '127.0.0.2' });
    servers.push(server);
    expect(server.address.address).toBe('127.0.0.2');
    expect(await (await fetch(server.url)).text()).toBe('hello');
  });

  it('names the loopback URL of a server on every interface, and brackets IPv6', () => {
    expect(localUrl('0.0.0.0', 8080)).toBe('http://127.0.0.1:8080');
    expect(localUrl('::', 8080)).toBe('http://[::1]:8080');
    expect(localUrl('::1', 9100)).toBe('http://[::1]:9100');
    expect(localUrl('10.1.2.3', 80)).toBe('http://10.1.2.3:80');
  });
});

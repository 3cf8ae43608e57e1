import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createSocket, type RemoteInfo } from 'node:dgram';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { type AddressInfo, createServer as createTcpServer } from 'node:net';
import { join } from 'node:path';
import { readSharedConfig } from '@user-service/common/config';
import { waitUntil } from '@user-service/common/lifecycle';
import { newMasterKeyText } from '@user-service/common/personal-data';
import { temporaryFolders } from '@user-service/test-support';
import { REPO, repoText, repoYaml } from './repo-files';

/**
 * The load balancer in front of the gateways (haproxy.cfg, service `loadbalancer`): read as
 * HAProxy reads it, checked by HAProxy's own checker, and run here, when this machine has HAProxy
 * (Debian's package), in front of stand-in gateways on loopback addresses that a stand-in for
 * Docker's DNS names, as Compose's network names the replicas of `gateway`.
 */
interface Section {
  readonly kind: string;
  readonly name: string;
  /** Its directives, comments dropped and blanks squeezed. */
  readonly lines: readonly string[];
}

function sections(text: string): Section[] {
  const found: { kind: string; name: string; lines: string[] }[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/(^|\s)#.*$/, '').trimEnd();
    if (!line.trim()) continue;
    if (/^\S/.test(line)) {
      const [kind = '', name = ''] = line.split(/\s+/);
      found.push({ kind, name, lines: [] });
    } else found.at(-1)?.lines.push(line.trim().replace(/\s+/g, ' '));
  }
  return found;
}

const CONFIG = repoText('haproxy.cfg');
const all = sections(CONFIG);
const section = (kind: string, name = ''): Section => {
  const found = all.find((candidate) => candidate.kind === kind && candidate.name === name);
  if (!found) throw new Error(`haproxy.cfg has no ${kind} ${name}`);
  return found;
};
const directive = (where: Section, keyword: string): string[] =>
  where.lines.filter((line) => line === keyword || line.startsWith(`${keyword} `));

/** HAProxy's time format: milliseconds unless a unit says otherwise. */
function milliseconds(value: string): number {
  const [, amount = '', unit = 'ms'] = /^(\d+)(us|ms|s|m|h|d)?$/.exec(value) ?? [];
  const factor: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
  return Number(amount) * (factor[unit] ?? Number.NaN);
}

interface ComposeService {
  image?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test?: string[] };
}
const compose = repoYaml('docker-compose.yml') as { services: Record<string, ComposeService> };
const loadBalancer = compose.services.loadbalancer!;
const STORE_TIMEOUT_MS = readSharedConfig({
  STORE: 'memory',
  DATA_KEY: newMasterKeyText(),
}).STORE_TIMEOUT_MS;

describe('haproxy.cfg', () => {
  it('is what the load balancer service runs, from this repository, read-only', () => {
    expect(loadBalancer.volumes).toContain('./haproxy.cfg:/usr/local/etc/haproxy/haproxy.cfg:ro,z');
    // An established image, pinned to a release of a long-term-support line.
    expect(loadBalancer.image).toMatch(/^haproxy:\d+\.\d+\.\d+$/);
  });

  it('finds every gateway replica through Docker’s DNS while it runs, none needed at start', () => {
    expect(directive(section('resolvers', 'docker'), 'nameserver')).toEqual([
      'nameserver docker 127.0.0.11:53',
    ]);
    const gateways = section('backend', 'gateways');
    const [template] = directive(gateways, 'server-template');
    const [, , range = '', target = ''] = template?.split(' ') ?? [];
    // The gateway service's name and port.
    expect(target).toBe(`gateway:${compose.services.gateway?.environment?.PORT}`);
    expect(Number(range.split('-').at(-1))).toBeGreaterThanOrEqual(10);
    const defaults = directive(gateways, 'default-server').join(' ').split(' ');
    expect(defaults).toEqual(expect.arrayContaining(['resolvers', 'docker', 'init-addr', 'none']));
  });

  it('checks each gateway’s /readyz actively, and sends requests only to those that say they can serve', () => {
    const gateways = section('backend', 'gateways');
    expect(directive(gateways, 'option httpchk')).toHaveLength(1);
    expect(directive(gateways, 'http-check send').join()).toMatch(/ uri \/readyz( |$)/);
    expect(directive(gateways, 'http-check expect')).toEqual(['http-check expect status 200']);
    expect(directive(gateways, 'default-server').join(' ').split(' ')).toContain('check');
    // ... and, when none is ready, one of them all the same: the client gets the gateway's 503.
    expect(directive(section('frontend', 'api'), 'use_backend')).toEqual([
      'use_backend gateways if { nbsrv(gateways) gt 0 }',
    ]);
    expect(directive(section('frontend', 'api'), 'default_backend')).toEqual([
      'default_backend gateways-unchecked',
    ]);
    expect(directive(section('backend', 'gateways-unchecked'), 'server-template')).toEqual(
      directive(gateways, 'server-template'),
    );
  });

  it('passes requests and answers on as the gateway gives them: no header rule, no cache, no compression, keep-alive', () => {
    const rewriting =
      /^(http-(request|response|after-response) (set|add|del|replace)-(header|value|uri|path|query)|option forwardfor|option originalto|compression |filter |http-request cache-|http-response cache-|option http-server-close|option httpclose|http-reuse never|unique-id-)/;
    expect(all.flatMap((where) => where.lines.filter((line) => rewriting.test(line)))).toEqual([]);
    expect(all.filter((where) => where.kind === 'cache')).toEqual([]);
    expect(directive(section('defaults'), 'option http-keep-alive')).toHaveLength(1);
  });

  it('waits for a gateway longer than a gateway waits for its store (STORE_TIMEOUT_MS)', () => {
    const timeouts = Object.fromEntries(
      directive(section('defaults'), 'timeout').map((line) => {
        const [, name = '', value = ''] = line.split(' ');
        return [name, milliseconds(value)];
      }),
    );
    expect(STORE_TIMEOUT_MS).toBe(2000);
    for (const name of ['server', 'client', 'http-request', 'check'])
      expect({ name, longer: (timeouts[name] ?? 0) > STORE_TIMEOUT_MS }).toEqual({
        name,
        longer: true,
      });
    expect(timeouts.server).toBeGreaterThanOrEqual(5 * STORE_TIMEOUT_MS);
  });

  it('sends a request whose gateway is gone to another one, and sends again past a sent request only a GET', () => {
    const defaults = section('defaults');
    expect(Number(directive(defaults, 'retries')[0]?.split(' ')[1])).toBeGreaterThanOrEqual(1);
    expect(directive(defaults, 'option redispatch')).toEqual(['option redispatch 1']);
    const retryOn = directive(defaults, 'retry-on')[0]?.split(' ').slice(1) ?? [];
    expect(retryOn).toContain('conn-failure');
    if (retryOn.some((condition) => condition !== 'conn-failure'))
      for (const name of ['gateways', 'gateways-unchecked'])
        expect(directive(section('backend', name), 'http-request disable-l7-retry')).toEqual([
          'http-request disable-l7-retry if !METH_GET',
        ]);
  });

  it('listens where Compose publishes the API, and answers Compose’s health check on loopback', () => {
    const [published = ''] = loadBalancer.ports ?? [];
    const containerPort = published.split(':').at(-1);
    expect(directive(section('frontend', 'api'), 'bind')).toEqual([`bind :${containerPort}`]);
    const health = section('frontend', 'health');
    const [, address = ''] = directive(health, 'bind')[0]?.split(' ') ?? [];
    expect(address).toMatch(/^127\.0\.0\.1:\d+$/);
    const [, uri = ''] = directive(health, 'monitor-uri')[0]?.split(' ') ?? [];
    const probe = loadBalancer.healthcheck?.test?.join(' ') ?? '';
    expect(probe).toContain(`/dev/tcp/${address.replace(':', '/')}`);
    expect(probe).toContain(`GET ${uri} `);
  });
});

const haproxyHere = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
const HAPROXY = haproxyHere.status === 0 ? haproxyHere.stdout.split('\n')[0] : undefined;
const withHaproxy = HAPROXY ? describe : describe.skip;
if (!HAPROXY)
  process.stdout.write(
    '\nhaproxy.cfg not checked nor run by HAProxy: no haproxy here (apt-get install haproxy).\n',
  );

withHaproxy(`haproxy.cfg, as HAProxy reads it (${HAPROXY})`, () => {
  it('is valid, without a warning', () => {
    const check = spawnSync('haproxy', ['-dW', '-c', '-f', join(REPO, 'haproxy.cfg')], {
      encoding: 'utf8',
    });
    expect({ status: check.status, output: (check.stdout + check.stderr).trim() }).toEqual({
      status: 0,
      output: 'Configuration file is valid',
    });
  });
});

/** A gateway replica's stand-in: it says whether it is ready, and answers with what it got. */
interface StandInGateway {
  readonly address: string;
  ready: boolean;
  served: number;
  readonly server: Server;
}

async function standInGateway(address: string, port: number): Promise<StandInGateway> {
  const gateway: StandInGateway = {
    address,
    ready: true,
    served: 0,
    server: createServer((request, response) => {
      if (request.url === '/readyz') {
        response.writeHead(gateway.ready ? 200 : 503, { 'Content-Type': 'application/json' });
        response.end(JSON.stringify({ ready: gateway.ready }));
        return;
      }
      gateway.served += 1;
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        // As a gateway answers: its request id, a consistency token, a problem when not ready.
        response.writeHead(gateway.ready ? 200 : 503, {
          'Content-Type': gateway.ready ? 'application/json' : 'application/problem+json',
          'X-Request-Id': request.headers['x-request-id'] ?? 'made-by-the-gateway',
          'X-Consistency-Token': 'ct1.from-the-gateway',
          'Cache-Control': 'no-store',
          'X-Served-By': address,
        });
        response.end(
          JSON.stringify({
            headers: request.headers,
            body: Buffer.concat(chunks).toString(),
            ...(gateway.ready ? {} : { type: 'store-unavailable' }),
          }),
        );
      });
    }),
  };
  gateway.server.listen(port, address);
  await once(gateway.server, 'listening');
  return gateway;
}

/** Docker's embedded DNS, standing in: `gateway` has an A record for each address listed. */
async function standInDns(): Promise<{ addresses: string[]; port: number; close(): void }> {
  const socket = createSocket('udp4');
  const dns = { addresses: [] as string[], port: 0, close: () => socket.close() };
  socket.on('message', (query: Buffer, from: RemoteInfo) => {
    let offset = 12;
    const labels: string[] = [];
    while (query[offset]) {
      const length = query[offset]!;
      labels.push(query.subarray(offset + 1, offset + 1 + length).toString());
      offset += length + 1;
    }
    const type = query.readUInt16BE(offset + 1);
    const known = labels.join('.').toLowerCase() === 'gateway';
    const records = known && type === 1 ? dns.addresses : [];
    const header = Buffer.alloc(12);
    query.copy(header, 0, 0, 2);
    header.writeUInt16BE(0x8180 | (known ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(records.length, 6);
    const answers = records.map((address) => {
      const record = Buffer.alloc(16);
      record.writeUInt16BE(0xc00c, 0); // the question's name
      record.writeUInt16BE(1, 2); // A
      record.writeUInt16BE(1, 4); // IN
      record.writeUInt32BE(1, 6); // TTL
      record.writeUInt16BE(4, 10);
      address.split('.').forEach((octet, index) => (record[12 + index] = Number(octet)));
      return record;
    });
    socket.send(
      Buffer.concat([header, query.subarray(12, offset + 5), ...answers]),
      from.port,
      from.address,
    );
  });
  socket.bind(0, '127.0.0.1');
  await once(socket, 'listening');
  dns.port = socket.address().port;
  return dns;
}

async function freePort(address: string): Promise<number> {
  const probe = createTcpServer().listen(0, address);
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

withHaproxy('the load balancer, run by HAProxy in front of stand-in gateways', () => {
  const folder = temporaryFolders('haproxy-');
  let haproxy: ChildProcess;
  let output = '';
  let dns: Awaited<ReturnType<typeof standInDns>>;
  let url: string;
  let monitorPort: number;
  let gatewayPort: number;
  const gateways: StandInGateway[] = [];

  const send = async (init: RequestInit = {}, path = '/api/user') => {
    const response = await fetch(`${url}${path}`, init);
    return { response, text: await response.text() };
  };
  /** How many gateways HAProxy's checks last said were up, in what it logged past `offset`. */
  const activeSince = (offset: number): number | undefined => {
    const counts = [...output.slice(offset).matchAll(/(\d+) active and \d+ backup servers/g)];
    return counts.length ? Number(counts.at(-1)?.[1]) : undefined;
  };
  /** Which replica served each of `count` requests. */
  const servedBy = async (count: number): Promise<string[]> => {
    const by: string[] = [];
    for (let n = 0; n < count; n++)
      by.push((await send()).response.headers.get('x-served-by') ?? 'the load balancer');
    return by;
  };

  beforeAll(async () => {
    dns = await standInDns();
    gatewayPort = await freePort('127.0.0.2');
    for (const address of ['127.0.0.2', '127.0.0.3'])
      gateways.push(await standInGateway(address, gatewayPort));
    dns.addresses = ['127.0.0.2', '127.0.0.3'];
    const apiPort = await freePort('127.0.0.1');
    monitorPort = await freePort('127.0.0.1');
    url = `http://127.0.0.1:${apiPort}`;
    // Only the addresses change: Docker's DNS, the gateways' port, and ports free here.
    const replacements: [string, string][] = [
      ['nameserver docker 127.0.0.11:53', `nameserver docker 127.0.0.1:${dns.port}`],
      ['gateway:8080', `gateway:${gatewayPort}`],
      ['bind :8080', `bind 127.0.0.1:${apiPort}`],
      ['bind 127.0.0.1:8404', `bind 127.0.0.1:${monitorPort}`],
    ];
    let config = CONFIG;
    for (const [from, to] of replacements) {
      expect({ from, found: config.includes(from) }).toEqual({ from, found: true });
      config = config.replaceAll(from, to);
    }
    const file = join(folder(), 'haproxy.cfg');
    writeFileSync(file, config);
    haproxy = spawn('haproxy', ['-db', '-f', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    haproxy.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    haproxy.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await waitUntil(
      async () => {
        if (haproxy.exitCode !== null) throw new Error(`haproxy exited:\n${output}`);
        const by = await servedBy(4).catch((): string[] => []);
        return by.includes('127.0.0.2') && by.includes('127.0.0.3');
      },
      { describe: () => `both gateways to serve through HAProxy:\n${output}`, timeoutMs: 20_000 },
    );
  }, 30_000);

  afterAll(async () => {
    haproxy?.kill('SIGKILL');
    dns?.close();
    await Promise.all(
      gateways.map(async ({ server }) => {
        server.closeAllConnections();
        if (server.listening) await new Promise((resolve) => server.close(resolve));
      }),
    );
  });

  it('passes every header on as it came, both ways, and the body', async () => {
    const init = {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Request-Id': 'client-chosen-id.1',
        'X-Consistency-Token': 'ct1.client-held-token',
        Authorization: 'Bearer a.b.c',
        'Idempotency-Key': 'key-1',
        'If-Match': '"3"',
      },
      body: JSON.stringify({ id: 'u1', name: 'Ada' }),
    };
    const direct = await fetch(`http://127.0.0.2:${gatewayPort}/api/user`, init);
    const { headers: directly } = (await direct.json()) as { headers: IncomingHttpHeaders };
    const { response, text } = await send(init);
    expect(response.status).toBe(200);
    const { headers: through, body } = JSON.parse(text) as {
      headers: IncomingHttpHeaders;
      body: string;
    };
    expect(body).toBe(init.body);
    // What the client sent, as it sent it; only Host names what it called, and Connection is
    // each hop's own.
    const endToEnd = (headers: IncomingHttpHeaders) =>
      Object.fromEntries(
        Object.entries(headers).filter(([name]) => name !== 'host' && name !== 'connection'),
      );
    expect(endToEnd(through)).toEqual(endToEnd(directly));
    expect(through.host).toBe(new URL(url).host);
    expect(response.headers.get('x-request-id')).toBe('client-chosen-id.1');
    expect(response.headers.get('x-consistency-token')).toBe('ct1.from-the-gateway');
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('content-type')).toBe('application/json');
  });

  it('leaves a request with more header than a gateway takes to the gateway, which answers 431', async () => {
    const init = { headers: { Authorization: `Bearer ${'x'.repeat(20_000)}` } };
    const direct = await fetch(`http://127.0.0.2:${gatewayPort}/api/user`, init);
    expect(direct.status).toBe(431);
    expect((await send(init)).response.status).toBe(431);
  });

  it('stops sending to a gateway whose /readyz says it cannot serve, and sends to it again once it can', async () => {
    gateways[1]!.ready = false;
    await waitUntil(async () => !(await servedBy(6)).includes('127.0.0.3'), {
      describe: 'the load balancer to leave out the gateway that is not ready',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
    expect(new Set(await servedBy(10))).toEqual(new Set(['127.0.0.2']));
    gateways[1]!.ready = true;
    await waitUntil(async () => (await servedBy(6)).includes('127.0.0.3'), {
      describe: 'the load balancer to send to the gateway again',
      timeoutMs: 15_000,
      intervalMs: 200,
    });
  }, 40_000);

  it('lets a gateway answer when none is ready: the client gets the gateway’s own 503, not the proxy’s', async () => {
    const logged = output.length;
    for (const gateway of gateways) gateway.ready = false;
    try {
      // HAProxy says so in its log once its checks took the last one out.
      await waitUntil(() => /gateways'? has no server available/.test(output.slice(logged)), {
        describe: () => `every gateway to be out:\n${output}`,
        timeoutMs: 15_000,
        intervalMs: 200,
      });
      const { response, text } = await send({ headers: { 'X-Request-Id': 'while-none-ready' } });
      expect(response.status).toBe(503);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(response.headers.get('x-request-id')).toBe('while-none-ready');
      expect(JSON.parse(text)).toMatchObject({ type: 'store-unavailable' });
    } finally {
      const back = output.length;
      for (const gateway of gateways) gateway.ready = true;
      // Checked again, not only answering through the unchecked backend.
      await waitUntil(() => activeSince(back) === 2, {
        describe: () => `both gateways back:\n${output}`,
        timeoutMs: 15_000,
        intervalMs: 200,
      });
    }
  }, 40_000);

  it('finds a replica that starts, and sends a request, a write too, that finds its gateway gone to another one', async () => {
    gateways.push(await standInGateway('127.0.0.4', gatewayPort));
    dns.addresses = ['127.0.0.2', '127.0.0.3', '127.0.0.4'];
    await waitUntil(async () => (await servedBy(6)).includes('127.0.0.4'), {
      describe: () => `the new replica to serve:\n${output}`,
      timeoutMs: 20_000,
      intervalMs: 200,
    });
    // Stopped, as `--scale gateway=2` stops one: still named by the DNS and not yet found out by
    // the checks, so connections to it are refused.
    const gone = gateways[1]!;
    gone.server.closeAllConnections();
    await new Promise((resolve) => gone.server.close(resolve));
    const answers = [];
    for (let n = 0; n < 30; n++)
      answers.push(
        (await send(n % 2 ? { method: 'POST', body: `write ${n}` } : {})).response.status,
      );
    expect(answers).toEqual(Array(30).fill(200));
  }, 40_000);

  it('answers Compose’s health check, which asks HAProxy itself on loopback', () => {
    const test = loadBalancer.healthcheck?.test ?? [];
    expect(test.slice(0, 3)).toEqual(['CMD', 'bash', '-c']);
    const script = test[3] ?? '';
    const probe = spawnSync('bash', ['-c', script.replace(/\/8404\b/, `/${monitorPort}`)], {
      encoding: 'utf8',
    });
    expect({ status: probe.status, stderr: probe.stderr }).toEqual({ status: 0, stderr: '' });
  });
});

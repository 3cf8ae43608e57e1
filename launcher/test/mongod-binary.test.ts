import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { obtainMongod } from '../src/mongod-binary';

// Every test here sets mongodb-memory-server's MONGOMS_* variables, in a copy of the environment of its own.
const environment = process.env;
let dir: string;
const closers: (() => Promise<void>)[] = [];
beforeEach(() => {
  process.env = { ...environment };
  dir = mkdtempSync(join(tmpdir(), 'mongod-binary-'));
});
afterEach(async () => {
  process.env = environment;
  await Promise.all(closers.splice(0).map((close) => close()));
  rmSync(dir, { recursive: true, force: true });
});

function setEnv(variables: Record<string, string>): void {
  Object.assign(process.env, variables);
}

/** A stand-in mongod: enough for mongodb-memory-server's `--version` probe, nothing more. */
function fakeMongod(path: string, padding = 0): string {
  writeFileSync(path, `#!/bin/sh\necho "db version v8.2.6"\n${'#'.repeat(padding)}\n`);
  chmodSync(path, 0o755);
  return path;
}

/**
 * Points mongodb-memory-server's download at `origin` and its cache at a directory of this test's
 * own, for a version no cache holds, so that no test depends on (or fills) the machine's cache or
 * network. The archive name is what it parses the version and platform from.
 */
function downloadFrom(origin: string): { downloads: string; archive: string } {
  const downloads = join(dir, 'downloads');
  const archive = 'mongodb-linux-x86_64-debian12-0.0.1.tgz';
  setEnv({
    MONGOMS_DOWNLOAD_URL: `${origin}/${archive}`,
    MONGOMS_USE_HTTP: 'true',
    MONGOMS_DOWNLOAD_DIR: downloads,
    MONGOMS_MAX_RETRIES: '1',
  });
  return { downloads, archive };
}

function listen(server: Server | ReturnType<typeof createHttpServer>): Promise<string> {
  return new Promise((done) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      done(`http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`);
    });
  });
}

describe('obtainMongod', () => {
  it('names a MONGOMS_SYSTEM_BINARY that points nowhere as the reason, and downloads nothing', async () => {
    const missing = join(dir, 'no-such', 'mongod');
    setEnv({ MONGOMS_SYSTEM_BINARY: missing, MONGOMS_DOWNLOAD_DIR: join(dir, 'downloads') });
    const said: string[] = [];

    await expect(obtainMongod({ download: true, log: (line) => said.push(line) })).resolves.toEqual(
      {
        binary: undefined,
        reason: `MONGOMS_SYSTEM_BINARY=${missing} does not exist`,
      },
    );
    expect(said).toEqual([]);
    expect(existsSync(join(dir, 'downloads'))).toBe(false);
  });

  it('names a MONGOMS_SYSTEM_BINARY that is not executable as the reason', async () => {
    const notExecutable = join(dir, 'mongod');
    writeFileSync(notExecutable, 'not a program');
    setEnv({ MONGOMS_SYSTEM_BINARY: notExecutable });

    await expect(obtainMongod({ download: false })).resolves.toEqual({
      binary: undefined,
      reason: `MONGOMS_SYSTEM_BINARY=${notExecutable} is not executable`,
    });
  });

  it('names a MONGOMS_SYSTEM_BINARY that runs but is not a mongod as the reason', async () => {
    const notMongod = join(dir, 'mongod');
    writeFileSync(notMongod, '#!/bin/sh\necho "MongoDB shell version v8.2.6"\n');
    chmodSync(notMongod, 0o755);
    setEnv({ MONGOMS_SYSTEM_BINARY: notMongod });

    await expect(obtainMongod({ download: false })).resolves.toEqual({
      binary: undefined,
      reason: `MONGOMS_SYSTEM_BINARY=${notMongod} is not a mongod: \`${notMongod} --version\` printed no "db version v…" line`,
    });
  });

  it('finds the mongod MONGOMS_SYSTEM_BINARY points at', async () => {
    const binary = fakeMongod(join(dir, 'mongod'));
    setEnv({ MONGOMS_SYSTEM_BINARY: binary });

    await expect(obtainMongod({ download: false })).resolves.toEqual({ binary });
  });

  it('without download, says none is here instead of fetching one', async () => {
    const { downloads } = downloadFrom('http://127.0.0.1:9');

    await expect(obtainMongod({ download: false })).resolves.toEqual({
      binary: undefined,
      reason: expect.stringContaining('no mongod binary here'),
    });
    expect(existsSync(downloads)).toBe(false);
  });

  it('returns the reason when the download cannot connect', async () => {
    const server = createTcpServer();
    const origin = await listen(server);
    await new Promise((done) => server.close(done)); // nothing listens there any more
    downloadFrom(origin);
    const said: string[] = [];

    const found = await obtainMongod({ download: true, log: (line) => said.push(line) });

    expect(found.binary).toBeUndefined();
    expect(found).toHaveProperty(
      'reason',
      expect.stringMatching(/downloading one failed: .*ECONNREFUSED/),
    );
    expect(said).toEqual([expect.stringContaining('downloading MongoDB 0.0.1')]);
  }, 30_000);

  it('stops a download that receives nothing, and says so', async () => {
    const sockets: Socket[] = [];
    // Accepts the connection and never answers, like a network that swallows packets.
    const server = createTcpServer((socket) => sockets.push(socket));
    const origin = await listen(server);
    closers.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((done) => server.close(done));
    });
    downloadFrom(origin);

    const found = await obtainMongod({
      download: true,
      limits: { firstBytesWithinMs: 500, finishWithinMs: 60_000, checkEveryMs: 50 },
    });

    expect(found).toEqual({
      binary: undefined,
      reason: expect.stringContaining('downloading one failed: no bytes arrived within 0.5 s'),
    });
  }, 30_000);

  it('downloads a mongod into the cache once, where it is found afterwards without a download', async () => {
    // The archive a MongoDB download would be, holding bin/mongod (over 1 MB, or the cache treats it as truncated).
    const staging = join(dir, 'staging');
    mkdirSync(join(staging, 'mongodb', 'bin'), { recursive: true });
    fakeMongod(join(staging, 'mongodb', 'bin', 'mongod'), 1_100_000);
    const archivePath = join(dir, 'archive.tgz');
    execFileSync('tar', ['-czf', archivePath, '-C', staging, 'mongodb']);
    const archiveBytes = readFileSync(archivePath);
    const server = createHttpServer((request, response) => {
      const body = request.url?.endsWith('.md5')
        ? Buffer.from(`${createHash('md5').update(archiveBytes).digest('hex')}  archive.tgz\n`)
        : archiveBytes;
      response.writeHead(200, { 'content-length': body.length }).end(body);
    });
    const origin = await listen(server);
    closers.push(() => new Promise((done) => server.close(() => done())));
    const { downloads } = downloadFrom(origin);

    const downloaded = await obtainMongod({ download: true });

    expect(downloaded).toEqual({ binary: join(downloads, 'mongod-x86_64-debian-0.0.1') });
    expect(execFileSync(downloaded.binary ?? '', ['--version']).toString()).toContain(
      'db version v8.2.6',
    );
    await expect(obtainMongod({ download: false })).resolves.toEqual(downloaded);
  }, 30_000);
});

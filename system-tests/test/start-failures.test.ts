import { type ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `npm start` failing as a newcomer meets it: the launcher's own program (as built, which
 * `npm test` does first) run as a process, in an environment of the test's own.
 * Each failure is one line on stderr that says what to do, exit code 1, and nothing made on the
 * way: no master key beside the data directory, no "back it up" line.
 */
const REPO = resolve(__dirname, '../..');
const LAUNCHER = join(REPO, 'launcher/dist/main.js');

// The tests run at once (each mostly waits), each in a folder of its own.
const dirs: string[] = [];
/** A launcher that did not fail as expected is still running: it is stopped at the end. */
const running: ChildProcess[] = [];
afterAll(() => {
  for (const child of running) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'launcher-start-'));
  dirs.push(dir);
  return dir;
}

interface Outcome {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs the launcher with only `env` (and PATH, HOME) until it exits; its data would go in `dir`. */
function runLauncher(dir: string, env: Record<string, string>): Promise<Outcome> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [LAUNCHER], {
      cwd: REPO,
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? dir,
        // The data directory (and so the master key beside it) inside this test's folder.
        EMBEDDED_MONGO_DIR: join(dir, '.data', 'mongo'),
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.push(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', fail);
    child.on('exit', (code) => done({ code, stdout, stderr }));
  });
}

/** A loopback port where nothing listens: taken, then given back. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const address = server.address();
  await new Promise((done) => server.close(done));
  if (typeof address !== 'object' || address === null) throw new Error('no port');
  return address.port;
}

function expectNothingMade(dir: string, outcome: Outcome): void {
  expect(existsSync(join(dir, '.data', 'data-key'))).toBe(false);
  expect(outcome.stdout).not.toMatch(/back it up/);
}

function lines(text: string): string[] {
  return text.split('\n').filter((line) => line.trim() !== '');
}

const ALTERNATIVES = [
  /unset MONGO_URL/,
  /MONGOMS_SYSTEM_BINARY=\/path\/to\/mongod/,
  /STORE=memory/,
];

describe('npm start, when the MongoDB it is given cannot be reached', () => {
  it.concurrent(
    'says so in one line naming the address without its password, and the other ways to run',
    async () => {
      const dir = scratch();
      const port = await closedPort();
      const outcome = await runLauncher(dir, {
        MONGO_URL: `mongodb://service:hunter2@127.0.0.1:${port}/?replicaSet=rs0`,
      });

      expect(outcome.code).toBe(1);
      expect(lines(outcome.stderr)).toEqual([
        expect.stringContaining(`No MongoDB answered at MONGO_URL=mongodb://`),
      ]);
      expect(outcome.stderr).toContain(`127.0.0.1:${port}/?replicaSet=rs0 within 5 s`);
      expect(outcome.stderr).toContain('ECONNREFUSED');
      for (const alternative of ALTERNATIVES) expect(outcome.stderr).toMatch(alternative);
      expect(outcome.stderr + outcome.stdout).not.toContain('hunter2');
      expectNothingMade(dir, outcome);
    },
    30_000,
  );
});

describe('npm start, when MONGOMS_SYSTEM_BINARY is no mongod', () => {
  const cases: [string, (dir: string) => string, RegExp][] = [
    ['a path where nothing is', (dir) => join(dir, 'no-such', 'mongod'), /does not exist/],
    [
      'a file that may not be executed',
      (dir) => {
        const path = join(dir, 'mongod');
        writeFileSync(path, '#!/bin/sh\necho "db version v8.2.6"\n');
        chmodSync(path, 0o644);
        return path;
      },
      /is not executable/,
    ],
    ['a program that is not mongod', () => '/bin/true', /is not a mongod/],
  ];

  it.concurrent.each(cases)(
    'names the binary and the other ways to run, for %s',
    async (_, binary, problem) => {
      const dir = scratch();
      const path = binary(dir);
      const outcome = await runLauncher(dir, { MONGOMS_SYSTEM_BINARY: path });

      expect(outcome.code).toBe(1);
      expect(lines(outcome.stderr)).toEqual([
        expect.stringMatching(
          /^No MongoDB can be had: MONGO_URL is unset and MONGOMS_SYSTEM_BINARY=/,
        ),
      ]);
      expect(outcome.stderr).toContain(`MONGOMS_SYSTEM_BINARY=${path} `);
      expect(outcome.stderr).toMatch(problem);
      expect(outcome.stderr).toMatch(/MONGO_URL to a replica set/);
      expect(outcome.stderr).toMatch(/STORE=memory npm start/);
      expect(outcome.stdout).toBe('');
      expectNothingMade(dir, outcome);
    },
    30_000,
  );
});

// The other refused ports are the pure function's (wiring.test.ts); this one shows how they reach the user.
describe('npm start, when its ports cannot work', () => {
  it.concurrent(
    'refuses free ports on MongoDB before looking for a mongod',
    async () => {
      const dir = scratch();
      const outcome = await runLauncher(dir, {
        AGGREGATOR_BASE_PORT: '0',
        MONGOMS_SYSTEM_BINARY: join(dir, 'no-such', 'mongod'),
      });

      expect(outcome.code).toBe(1);
      expect(lines(outcome.stderr)).toEqual([
        expect.stringMatching(
          /^AGGREGATOR_BASE_PORT=0 \(a free port\) works only with STORE=memory/,
        ),
      ]);
      expectNothingMade(dir, outcome);
    },
    30_000,
  );
});

describe('npm start, when it would open the API to other machines without access tokens', () => {
  it.concurrent.each([['memory'], ['mongo']])(
    'refuses HOST=0.0.0.0 without AUTH_* or AUTH=none (STORE=%s), in one line, before anything listens',
    async (store) => {
      const dir = scratch();
      const outcome = await runLauncher(dir, {
        STORE: store,
        HOST: '0.0.0.0',
        MONGOMS_SYSTEM_BINARY: join(dir, 'no-such', 'mongod'),
      });

      expect(outcome.code).toBe(1);
      expect(lines(outcome.stderr)).toEqual([
        expect.stringContaining(
          'HOST=0.0.0.0 opens the API to other machines, and no access token is checked: set AUTH_JWKS_FILE or AUTH_JWKS_URL',
        ),
      ]);
      expect(outcome.stdout).toBe('');
      expectNothingMade(dir, outcome);
    },
    30_000,
  );
});

describe('npm start, when a setting is malformed', () => {
  it.concurrent(
    'refuses a PUBLIC_BASE_URL that is no absolute http(s) URL, in memory too, in one line',
    async () => {
      const dir = scratch();
      const outcome = await runLauncher(dir, {
        STORE: 'memory',
        PUBLIC_BASE_URL: 'ftp://api.example.com',
      });

      expect(outcome.code).toBe(1);
      expect(lines(outcome.stderr)).toEqual([
        expect.stringMatching(/PUBLIC_BASE_URL must be an absolute http\(s\) URL/),
      ]);
    },
    30_000,
  );
});

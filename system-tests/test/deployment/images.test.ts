import { type ChildProcess, spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  INTERNAL_TOKEN_REQUIRED,
  MASTER_KEY_REQUIRED,
  newInternalToken,
} from '@user-service/common/config';
import { newMasterKeyText } from '@user-service/common/personal-data';
import { waitUntil } from '@user-service/common/lifecycle';
import {
  imageEnvironment,
  inside,
  replayDockerfile,
  type ReplayedImage,
  type StageCache,
} from './dockerfile-replay';
import { asComposeRuns, standInHostname } from './compose-entrypoint';
import { nodeOfImage } from './node-of-image';
import { composeDefaults, REPO, repoYaml } from './repo-files';
import { createLocalJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

/**
 * Each image, built by replaying its Dockerfile into a folder, then started from that folder
 * alone: a file or module the runtime stage forgets fails here, as it would in `docker run`.
 * The services need MongoDB to run as their CMD; here their CMD is shown to load everything and
 * wait for it, and the same modules, started on the in-memory store, answer real requests.
 */
const REPLAY_MS = 240_000;
/** Nothing listens here: MongoDB is "not reachable yet". */
const TOKEN = newInternalToken();
const NO_MONGO = 'mongodb://127.0.0.1:9/?replicaSet=rs0&directConnection=false';
/** The public key a gateway checks access tokens with. */
const JWKS = {
  keys: [
    {
      ...generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }),
      kid: 'replay',
      alg: 'ES256',
      use: 'sig',
    },
  ],
};

interface Running {
  readonly child: ChildProcess;
  output(): string;
  exit(): Promise<number | string>;
}

function startIn(
  image: ReplayedImage,
  command: readonly string[],
  env: Record<string, string> = {},
): Running {
  const [program = 'node', ...args] = command;
  const child = spawn(program, args, {
    cwd: inside(image, image.workdir),
    env: { ...imageEnvironment(image), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((resolve) =>
    // 'close', not 'exit': only then has all it printed been read.
    child.on('close', (code, signal) => resolve(code ?? signal ?? '?')),
  );
  return { child, output: () => output, exit: () => exited };
}

async function outputMatching(
  running: Running,
  pattern: RegExp,
  timeoutMs = 15_000,
): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = pattern.exec(running.output());
    if (found) return found;
    if (running.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`no output matching ${pattern}; the process printed:\n${running.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Starts a service's node from the image's own packages, on the in-memory store; resolves to its URL. */
async function serveFromImage(
  image: ReplayedImage,
  script: string,
): Promise<{ running: Running; url: string }> {
  const running = startIn(image, ['node', '-e', script]);
  const [, url = ''] = await outputMatching(running, /listening on (http:\/\/\S+)/);
  return { running, url };
}

async function healthcheckAgainst(image: ReplayedImage, url: string): Promise<number | string> {
  if (!image.healthcheck) throw new Error('the image has no HEALTHCHECK');
  return startIn(image, image.healthcheck, { PORT: new URL(url).port }).exit();
}

const folders: string[] = [];

/**
 * A service's environment as docker-compose.yml gives it, so that the variables Compose sets are
 * the ones the code reads: its secrets come from a folder standing for /run/secrets, and MongoDB
 * is one that does not answer.
 */
function composeEnvironment(service: string): Record<string, string> {
  const compose = repoYaml('docker-compose.yml') as {
    services: Record<string, { environment?: Record<string, string> }>;
  };
  const secrets = mkdtempSync(join(tmpdir(), 'run-secrets-'));
  folders.push(secrets);
  const env = Object.fromEntries(
    Object.entries(compose.services[service]?.environment ?? {}).map(([name, value]) => [
      name,
      composeDefaults(value),
    ]),
  );
  for (const [name, value] of Object.entries(env)) {
    if (!value.startsWith('/run/secrets/')) continue;
    const file = join(secrets, value.slice('/run/secrets/'.length));
    writeFileSync(file, `${secretFor(name)}\n`);
    env[name] = file;
  }
  if (env.MONGO_URL) env.MONGO_URL = NO_MONGO;
  if (env.MONGO_MEMBERS) env.MONGO_MEMBERS = '127.0.0.1:9';
  return env;
}

/** A stand-in for the secret in the file `name` names: keys and tokens must be ones, as they are checked at start. */
function secretFor(name: string): string {
  if (name === 'DATA_KEY_FILE') return newMasterKeyText();
  if (name === 'INTERNAL_TOKEN_FILE') return TOKEN;
  if (name === 'AUTH_JWKS_FILE') return JSON.stringify(JWKS);
  // The passwords are only passed on.
  return `not-a-real-${name.toLowerCase()}`;
}

/** The build stage both Dockerfiles share is replayed once, as an engine's build cache would. */
const stageCache: StageCache = new Map();

function replay(dockerfile: string): ReplayedImage {
  const folder = mkdtempSync(join(tmpdir(), 'image-replay-'));
  folders.push(folder);
  const image = replayDockerfile(dockerfile, REPO, folder, stageCache);
  process.stdout.write(
    `\n${dockerfile} replayed without an engine; not replayed:\n${image.notReplayed.map((line) => `  - ${line}`).join('\n')}\n`,
  );
  return image;
}

const stopLater: Running[] = [];

afterAll(async () => {
  for (const running of stopLater) running.child.kill('SIGKILL');
  await Promise.all(stopLater.map((running) => running.exit()));
  for (const folder of folders) rmSync(folder, { recursive: true, force: true });
});

/** The CMD, with the environment Compose gives `service`: it loads, waits for MongoDB, and stops at once on SIGTERM. */
function itStartsItsCmd(image: () => ReplayedImage, service: string): void {
  it('runs its processes on the Node major its FROM names (24), where this machine has it', async () => {
    const running = startIn(image(), ['node', '--version']);
    expect(await running.exit()).toBe(0);
    if (nodeOfImage('node:24') === undefined) {
      process.stdout.write(`no Node 24 here: the replay ran on ${running.output().trim()}\n`);
      return;
    }
    expect(running.output().trim()).toMatch(/^v24\./);
  });

  it('starts its CMD with the environment Compose gives it, which waits for MongoDB and stops at once on SIGTERM', async () => {
    const running = startIn(image(), image().cmd, {
      ...composeEnvironment(service),
      STORE_TIMEOUT_MS: '1000', // the least STORE=mongo accepts: the first "not reachable" comes after one server selection
      PORT: '0',
    });
    stopLater.push(running);
    await outputMatching(running, /MongoDB not reachable yet/);
    running.child.kill('SIGTERM');
    expect(await running.exit()).toBe(0);
    expect(running.output()).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });

  it.each([
    ['a master key', 'DATA_KEY_FILE', MASTER_KEY_REQUIRED],
    ['the internal token', 'INTERNAL_TOKEN_FILE', INTERNAL_TOKEN_REQUIRED],
  ])(
    'refuses to start its CMD without %s: exit 1 and one line saying what it needs',
    async (_what, variable, message) => {
      const { [variable]: given, ...without } = composeEnvironment(service);
      expect(given).toBeDefined();
      const running = startIn(image(), image().cmd, { ...without, PORT: '0' });
      stopLater.push(running);
      expect(await running.exit()).toBe(1);
      expect(running.output().trimEnd().split('\n')).toEqual([
        JSON.stringify({ level: 'error', message }),
      ]);
    },
  );
}

describe('the gateway image (gateway/Dockerfile)', () => {
  let image: ReplayedImage;

  beforeAll(() => {
    image = replay('gateway/Dockerfile');
  }, REPLAY_MS);

  itStartsItsCmd(() => image, 'gateway');

  it('serves the API from its own packages, and its HEALTHCHECK passes', async () => {
    const { running, url } = await serveFromImage(
      image,
      `const { InMemoryStore } = require('@user-service/common/store/memory');
       const { ephemeralMasterKeys } = require('@user-service/common');
       const { startGatewayNode } = require('@user-service/gateway');
       startGatewayNode({ store: new InMemoryStore(), masterKeys: ephemeralMasterKeys(), port: 0,
         internalToken: '${TOKEN}', forwardTimeoutMs: 100, storeTimeoutMs: 2000, logLevel: 'error' })
         .then((node) => console.log('listening on ' + node.url));`,
    );
    stopLater.push(running);
    const created = await fetch(`${url}/api/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'u1', name: 'Ada', email: 'ada@example.com', group: 1 }),
    });
    expect(created.status).toBe(201);
    const invalid = await fetch(`${url}/api/user`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'u2', name: 'Bob', email: 'not an email', group: 1 }),
    });
    expect(invalid.status).toBe(400);
    const read = await fetch(`${url}/api/user/u1`);
    expect(await read.json()).toEqual({
      id: 'u1',
      name: 'Ada',
      email: 'ada@example.com',
      group: 1,
    });
    expect(await healthcheckAgainst(image, url)).toBe(0);
  });

  it('prints an access token as the token service does, one that verifies with the key pair the image makes', async () => {
    const compose = repoYaml('docker-compose.yml') as {
      services: Record<string, { entrypoint?: string[]; environment?: Record<string, string> }>;
    };
    const makeKey = startIn(image, ['node', 'gateway/dist/signing-key-main.js', 'new']);
    expect(await makeKey.exit()).toBe(0);
    const keyFolder = mkdtempSync(join(tmpdir(), 'token-key-'));
    folders.push(keyFolder);
    writeFileSync(join(keyFolder, 'key'), makeKey.output());
    const jwks = startIn(image, [
      'node',
      'gateway/dist/signing-key-main.js',
      'jwks',
      join(keyFolder, 'key'),
    ]);
    expect(await jwks.exit()).toBe(0);
    const token = compose.services.token!;
    const minted = startIn(
      image,
      [...(token.entrypoint ?? []), '--scope', 'users:read users:write'],
      {
        ...token.environment,
        AUTH_SIGNING_KEY_FILE: join(keyFolder, 'key'),
      },
    );
    expect(await minted.exit()).toBe(0);
    const { payload } = await jwtVerify(
      minted.output().trim(),
      createLocalJWKSet(JSON.parse(jwks.output()) as JSONWebKeySet),
      {
        issuer: token.environment?.AUTH_ISSUER ?? '',
        audience: token.environment?.AUTH_AUDIENCE ?? '',
      },
    );
    expect(payload.scope).toBe('users:read users:write');
  });

  it.each([
    'mongo-init/dist/rotate-data-key.js',
    'mongo-init/dist/rotate-root-password.js',
    'mongo-init/dist/rotate-grafana-password.js',
    'gateway/dist/signing-key-main.js',
  ])(
    'carries the rotation tool %s, which loads and says in one line what it lacks',
    async (tool) => {
      const running = startIn(image, ['node', tool], { STORE_TIMEOUT_MS: '1000' });
      stopLater.push(running);
      expect(await running.exit()).not.toBe(0);
      expect(running.output()).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
      expect(running.output().trim().split('\n')).toHaveLength(1);
    },
  );

  it("runs mongo-init as Compose does, which reads its secrets and tries to reach the replica set's first member", async () => {
    const compose = repoYaml('docker-compose.yml') as {
      services: Record<string, { command?: string[] }>;
    };
    const command = compose.services['mongo-init']?.command;
    expect(command).toBeDefined();
    const init = startIn(image, command!, {
      ...composeEnvironment('mongo-init'),
      MONGO_INIT_TIMEOUT_MS: '1000',
    });
    stopLater.push(init);
    expect(await init.exit()).toBe(1);
    expect(init.output()).toMatch(/"message":"mongo-init failed"/);
    expect(init.output()).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });
});

describe('the aggregator image (aggregator/Dockerfile)', () => {
  let image: ReplayedImage;

  beforeAll(() => {
    image = replay('aggregator/Dockerfile');
  }, REPLAY_MS);

  itStartsItsCmd(() => image, 'aggregator');

  it('serves its internal API from its own packages, and its HEALTHCHECK passes', async () => {
    const { running, url } = await serveFromImage(
      image,
      `const { InMemoryStore } = require('@user-service/common/store/memory');
       const { ephemeralMasterKeys } = require('@user-service/common');
       const { startAggregatorNode } = require('@user-service/aggregator');
       startAggregatorNode({ name: 'replayed', snapshotEvery: 100, store: new InMemoryStore(),
         masterKeys: ephemeralMasterKeys(), port: 0, logLevel: 'error', internalToken: '${TOKEN}' })
         .then((node) => console.log('listening on ' + node.url));`,
    );
    stopLater.push(running);
    for (const path of ['/healthz', '/metrics'])
      expect((await fetch(`${url}${path}`)).status).toBe(200);
    expect((await fetch(`${url}/internal/user-counts`)).status).toBe(401);
    await waitUntil(async () => (await fetch(`${url}/readyz`)).status === 200, {
      describe: 'the aggregator to report ready',
      timeoutMs: 5000,
    });
    expect(await healthcheckAgainst(image, url)).toBe(0);
  });

  it('starts as Compose starts each replica: named after its host, advertising an address its config takes, it waits for MongoDB', async () => {
    const compose = repoYaml('docker-compose.yml') as {
      services: Record<string, { entrypoint?: string[]; command?: string[] }>;
    };
    const { entrypoint = [], command = [] } = compose.services.aggregator ?? {};
    const bin = mkdtempSync(join(tmpdir(), 'hostname-'));
    folders.push(bin);
    standInHostname(bin, '172.18.0.7', hostname());
    const running = startIn(image, [...asComposeRuns(entrypoint), ...command], {
      ...composeEnvironment('aggregator'),
      PATH: `${bin}:${imageEnvironment(image).PATH}`,
      STORE_TIMEOUT_MS: '1000',
    });
    stopLater.push(running);
    // A bad ADVERTISED_URL would have stopped it at start, with one line naming it.
    const [line = ''] = await outputMatching(running, /^.*MongoDB not reachable yet.*$/m);
    expect(JSON.parse(line)).toMatchObject({ level: 'warn', aggregator: hostname() });
    running.child.kill('SIGTERM');
    expect(await running.exit()).toBe(0);
  });
});

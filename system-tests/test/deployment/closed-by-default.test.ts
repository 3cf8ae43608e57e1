import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseMasterKeys } from '@user-service/common/personal-data';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { runEntrypoint } from './compose-entrypoint';
import { REPO, repoText, repoYaml } from './repo-files';

/**
 * `docker compose up` on a fresh machine must not open anything: no port on every interface, no
 * password anyone could guess, no service left without the secret it needs.
 */
interface Service {
  image?: string;
  /** `uid:gid` the container runs as, when Compose says so rather than the image. */
  user?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  volumes?: string[];
}

const compose = repoYaml('docker-compose.yml') as { services: Record<string, Service> };
const services = Object.entries(compose.services);
const SECRETS_FOLDER = '/run/secrets';

/** What Compose substitutes when the user sets nothing: `${NAME:-default}` becomes `default`. */
function withDefaults(text: string): string {
  return text.replace(
    /\$\{[A-Z0-9_]+(?::?-([^}]*))?\}/g,
    (_match, fallback: string | undefined) => fallback ?? '',
  );
}

/** The secret files a service reads: `*_FILE` variables and mongod's `--keyFile`. */
function secretFilesOf(service: Service): string[] {
  const fromEnvironment = Object.entries(service.environment ?? {})
    .filter(([name]) => name.endsWith('_FILE'))
    .map(([, path]) => path);
  const command = service.command ?? [];
  const keyFile = command.indexOf('--keyFile');
  return keyFile >= 0 ? [...fromEnvironment, command[keyFile + 1] ?? ''] : fromEnvironment;
}

/** The names generate-secrets.sh creates. */
const generated = [...repoText('mongo-init/generate-secrets.sh').matchAll(/^secret (\S+) /gm)].map(
  ([, name]) => name ?? '',
);

/** Who each image runs as, so the test can tell whether a service can read its secrets. */
const UID_OF_IMAGE: Record<string, number> = {
  'mongo:8.0': 999,
  'user-service/gateway': 1000,
  'user-service/aggregator': 1000,
};
const uidOf = (service: Service): number =>
  service.user !== undefined
    ? Number(service.user.split(':')[0])
    : (UID_OF_IMAGE[service.image ?? ''] ?? (service.image?.startsWith('grafana/') ? 472 : -1));
/** The images' users have a group of the same number, but grafana's, which is 0. */
const gidOf = (service: Service): number =>
  service.user !== undefined
    ? Number(service.user.split(':')[1] ?? service.user.split(':')[0])
    : service.image?.startsWith('grafana/')
      ? 0
      : uidOf(service);
/** Whether a process of `service` can read a file of this owner, group and mode. */
const canRead = (service: Service, file: { uid: number; gid: number; mode: number }): boolean =>
  (uidOf(service) === file.uid && (file.mode & 0o400) !== 0) ||
  (gidOf(service) === file.gid && (file.mode & 0o040) !== 0) ||
  (file.mode & 0o004) !== 0;

describe('docker-compose.yml, closed by default', () => {
  it('publishes every port on 127.0.0.1 only, unless the user names another address', () => {
    const published = services.flatMap(([name, service]) =>
      (service.ports ?? []).map((port) => ({ name, port: withDefaults(port) })),
    );
    expect(published.length).toBeGreaterThanOrEqual(3);
    const open = published.filter(({ port }) => !/^(127\.0\.0\.1|\[::1\]):/.test(port));
    expect(open).toEqual([]);
  });

  it('sets no credential in the file: every password, token and key comes from a generated secret', () => {
    const written = services.flatMap(([name, service]) =>
      Object.entries(service.environment ?? {})
        .filter(
          ([variable]) => /PASSWORD|SECRET|TOKEN|KEY/.test(variable) && !variable.endsWith('_FILE'),
        )
        .map(([variable, value]) => `${name}: ${variable}=${value}`),
    );
    expect(written).toEqual([]);
    const urlsWithPasswords = services.flatMap(([name, service]) =>
      Object.values(service.environment ?? {})
        .filter((value) => /:\/\/[^/@]+:[^/@]+@/.test(value))
        .map((value) => `${name}: ${value}`),
    );
    expect(urlsWithPasswords).toEqual([]);
  });

  it('gives every service the secrets it needs, from the folder the secrets service fills', () => {
    const needs: Record<string, string[]> = {
      'mongo-keyfile': ['mongo1', 'mongo2', 'mongo3'],
      'mongo-root-password': ['mongo1', 'mongo2', 'mongo3', 'mongo-init'],
      'mongo-service-password': ['mongo-init', 'gateway', 'aggregator'],
      'internal-token': ['gateway', 'aggregator'],
      'data-key': ['gateway', 'aggregator'],
      'grafana-admin-password': ['grafana'],
      'token-signing-key': ['token'],
    };
    expect(Object.keys(needs).sort()).toEqual([...generated].sort());
    for (const [secret, consumers] of Object.entries(needs)) {
      for (const name of consumers) {
        const service = compose.services[name]!;
        expect({ name, reads: secretFilesOf(service) }).toEqual({
          name,
          reads: expect.arrayContaining([`${SECRETS_FOLDER}/${secret}`]),
        });
        expect({ name, mounts: service.volumes }).toEqual({
          name,
          mounts: expect.arrayContaining([`secrets:${SECRETS_FOLDER}:ro`]),
        });
      }
    }
    const generator = compose.services.secrets!;
    expect(generator.volumes).toContain('secrets:/secrets');
    expect(generator.entrypoint?.at(-1)).toMatch(/ \/secrets$/);
  });

  it('turns on what keeps strangers out: MongoDB users and keyFile, service users, a master key, access tokens, Grafana without anonymous access', () => {
    for (const name of ['mongo1', 'mongo2', 'mongo3']) {
      const mongo = compose.services[name]!;
      expect(mongo.command).toContain('--keyFile');
      expect(mongo.environment).toMatchObject({
        MONGO_INITDB_ROOT_PASSWORD_FILE: `${SECRETS_FOLDER}/mongo-root-password`,
      });
    }
    for (const name of ['gateway', 'aggregator']) {
      expect(compose.services[name]?.environment).toMatchObject({
        MONGO_USER: expect.any(String),
        INTERNAL_TOKEN_FILE: expect.any(String),
        DATA_KEY_FILE: `${SECRETS_FOLDER}/data-key`,
      });
    }
    // The API asks for access tokens: no AUTH=none.
    expect(compose.services.gateway?.environment).toMatchObject({
      AUTH_JWKS_FILE: `${SECRETS_FOLDER}/token-jwks.json`,
      AUTH_ISSUER: expect.any(String),
      AUTH_AUDIENCE: expect.any(String),
    });
    expect(compose.services.gateway?.environment).not.toHaveProperty('AUTH');
    expect(compose.services.grafana?.environment?.GF_AUTH_ANONYMOUS_ENABLED).toBe('false');
  });
});

describe('grafana’s entry point in docker-compose.yml', () => {
  const folders: string[] = [];
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  /**
   * The entry point as Compose runs it (`$$` read as `$`), with the secret's path and the image's
   * /run.sh moved into a folder of the test's: replayed with sh, no engine needed.
   */
  function startGrafana(password: string | undefined): { status: number | null; output: string } {
    const folder = mkdtempSync(join(tmpdir(), 'grafana-'));
    folders.push(folder);
    const secret = join(folder, 'grafana-admin-password');
    if (password !== undefined) writeFileSync(secret, password);
    const runSh = join(folder, 'run.sh');
    writeFileSync(runSh, '#!/bin/sh\necho "grafana started with $#"\n', { mode: 0o755 });
    const [shell, flag, script, name] = compose.services.grafana?.entrypoint ?? [];
    if (shell !== '/bin/sh' || flag !== '-c' || script === undefined)
      throw new Error('grafana has no sh -c entry point');
    const replayed = script
      .replaceAll('$$', '$')
      .replaceAll('/run/secrets/grafana-admin-password', secret)
      .replaceAll('/run.sh', runSh);
    const run = spawnSync('sh', ['-c', replayed, name ?? 'grafana'], { encoding: 'utf8' });
    return { status: run.status, output: run.stdout + run.stderr };
  }

  it('refuses to start without its admin password, rather than with the default one', () => {
    for (const password of [undefined, '']) {
      const { status, output } = startGrafana(password);
      expect({ password, status }).toEqual({ password, status: 1 });
      expect(output).toContain('not starting with the default password');
      expect(output).not.toContain('grafana started');
    }
    expect(startGrafana('s3cret-from-the-secrets-service')).toEqual({
      status: 0,
      output: 'grafana started with 0\n',
    });
  });
});

describe('mongo-init/generate-secrets.sh', () => {
  const isRoot = process.getuid?.() === 0;
  const folders: string[] = [];
  const generate = (folder?: string): string => {
    const into = folder ?? mkdtempSync(join(tmpdir(), 'secrets-'));
    if (!folder) folders.push(into);
    // From the repository, as Compose runs it from the gateway image's /app.
    const run = spawnSync('sh', [join(REPO, 'mongo-init/generate-secrets.sh'), into], {
      cwd: REPO,
      encoding: 'utf8',
    });
    if (run.status !== 0) throw new Error(`generate-secrets.sh failed: ${run.stderr}`);
    return into;
  };
  afterAll(() => {
    for (const folder of folders) rmSync(folder, { recursive: true, force: true });
  });

  beforeAll(() => {
    // Compose runs it as root, which it needs to hand each file to its reader.
    if (!isRoot)
      process.stdout.write(
        '\ngenerate-secrets.sh tests skipped: they need root (chown), as in Compose.\n',
      );
  });
  const asRoot = isRoot ? it : it.skip;

  asRoot(
    'creates different random values on each deployment, and keeps them on the next up',
    () => {
      const first = generate();
      const second = generate();
      for (const name of generated) {
        const value = readFileSync(join(first, name), 'utf8');
        expect(value.length).toBeGreaterThanOrEqual(32);
        expect(value).not.toBe(readFileSync(join(second, name), 'utf8'));
      }
      const before = generated.map((name) => readFileSync(join(first, name), 'utf8'));
      generate(first);
      expect(generated.map((name) => readFileSync(join(first, name), 'utf8'))).toEqual(before);
    },
  );

  asRoot(
    'runs as Compose runs it from a Windows checkout (CRLF line endings), and makes every secret (M3)',
    () => {
      const scripts = mkdtempSync(join(tmpdir(), 'crlf-'));
      folders.push(scripts);
      const crlf = join(scripts, 'generate-secrets.sh');
      writeFileSync(crlf, repoText('mongo-init/generate-secrets.sh').replace(/\n/g, '\r\n'));
      const into = mkdtempSync(join(tmpdir(), 'secrets-'));
      folders.push(into);
      const run = runEntrypoint(compose.services.secrets!.entrypoint ?? [], {
        secrets: into,
        script: crlf,
      });
      expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
      for (const name of [...generated, 'token-jwks.json'])
        expect({ name, size: statSync(join(into, name)).size > 0 }).toEqual({ name, size: true });
      // The plain script, run the same way, would not have got past its first lines.
      expect(spawnSync('sh', [crlf, into], { encoding: 'utf8' }).status).not.toBe(0);
    },
  );

  asRoot(
    'writes a master key the services take: 32 random bytes in base64, readable by node alone',
    () => {
      const folder = generate();
      const text = readFileSync(join(folder, 'data-key'), 'utf8');
      expect(text).toMatch(/^[A-Za-z0-9+/]{43}=$/);
      expect(parseMasterKeys(text, 'data-key').current.key).toHaveLength(32);
      const { mode, uid } = statSync(join(folder, 'data-key'));
      expect({ mode: mode & 0o777, uid }).toEqual({ mode: 0o400, uid: 1000 });
    },
  );

  asRoot(
    'makes a token signing key the token service alone reads, and a public JWKS the gateway verifies its tokens with',
    async () => {
      const folder = generate();
      const key = statSync(join(folder, 'token-signing-key'));
      expect({ mode: key.mode & 0o777, uid: key.uid }).toEqual({ mode: 0o400, uid: 10002 });
      expect(canRead(compose.services.gateway!, key)).toBe(false);
      const jwks = statSync(join(folder, 'token-jwks.json'));
      expect(canRead(compose.services.gateway!, jwks)).toBe(true);

      // The token service's program, with its Compose settings, against these files.
      const { AUTH_SIGNING_KEY_FILE, ...issuer } = compose.services.token!.environment ?? {};
      expect(AUTH_SIGNING_KEY_FILE).toBe(`${SECRETS_FOLDER}/token-signing-key`);
      const printed = spawnSync(
        'node',
        [...(compose.services.token!.entrypoint ?? []).slice(1), '--scope', 'users:read'],
        {
          cwd: REPO,
          env: {
            ...process.env,
            ...issuer,
            AUTH_SIGNING_KEY_FILE: join(folder, 'token-signing-key'),
          },
          encoding: 'utf8',
        },
      );
      expect(printed.status).toBe(0);
      // ... verified as the gateway is configured in Compose.
      const gateway = compose.services.gateway!.environment ?? {};
      expect(gateway.AUTH_JWKS_FILE).toBe(`${SECRETS_FOLDER}/token-jwks.json`);
      const keys = createLocalJWKSet(
        JSON.parse(readFileSync(join(folder, 'token-jwks.json'), 'utf8')),
      );
      const { payload } = await jwtVerify(printed.stdout.trim(), keys, {
        issuer: gateway.AUTH_ISSUER!,
        audience: gateway.AUTH_AUDIENCE!,
        typ: 'at+jwt',
      });
      expect(payload.scope).toBe('users:read');

      // A later `up` keeps the key, and the JWKS still matches it.
      const before = readFileSync(join(folder, 'token-jwks.json'), 'utf8');
      generate(folder);
      expect(readFileSync(join(folder, 'token-jwks.json'), 'utf8')).toBe(before);
    },
  );

  asRoot(
    'writes a keyFile mongod accepts: 6 to 1024 base64 characters, readable by mongodb alone',
    () => {
      const folder = generate();
      const keyFile = readFileSync(join(folder, 'mongo-keyfile'), 'utf8');
      expect(keyFile).toMatch(/^[A-Za-z0-9+/=]{6,1024}$/);
      const { mode, uid } = statSync(join(folder, 'mongo-keyfile'));
      expect({ mode: mode & 0o777, uid }).toEqual({ mode: 0o400, uid: 999 });
    },
  );

  asRoot(
    'lets each secret be read by the users of the services that need it, and by no one else',
    () => {
      const folder = generate();
      expect(statSync(folder).mode & 0o777).toBe(0o755);
      for (const name of generated) {
        const { mode, uid, gid } = statSync(join(folder, name));
        expect({ name, others: mode & 0o007 }).toEqual({ name, others: 0 });
        const readers = services.filter(([, service]) =>
          secretFilesOf(service).includes(`${SECRETS_FOLDER}/${name}`),
        );
        for (const [service, config] of readers) {
          expect({ name, service, reads: canRead(config, { uid, gid, mode }) }).toEqual({
            name,
            service,
            reads: true,
          });
        }
        // Every other service that mounts the folder: MongoDB's root password is mongo-init's
        // and mongod's alone, not the internet-facing gateway's (deployment review M1).
        const others = services.filter(
          ([service, config]) =>
            (config.volumes ?? []).includes(`secrets:${SECRETS_FOLDER}:ro`) &&
            !readers.some(([reader]) => reader === service),
        );
        for (const [service, config] of others) {
          expect({ name, service, reads: canRead(config, { uid, gid, mode }) }).toEqual({
            name,
            service,
            reads: false,
          });
        }
      }
    },
  );
});

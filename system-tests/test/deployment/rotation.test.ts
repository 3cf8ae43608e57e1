import { spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseMasterKeys } from '@user-service/common/personal-data';
import { temporaryFolders } from '@user-service/test-support';
import { createLocalJWKSet, importJWK, type JWK, jwtVerify, SignJWT } from 'jose';
import { runEntrypoint } from './compose-entrypoint';
import { REPO, repoText, repoYaml } from './repo-files';

/**
 * `docker compose run --rm tools --rotate NAME`, replayed: the tools service's entrypoint, as
 * Compose gives it, against a folder standing for the secrets volume (as root, which it runs
 * as). What reaches into MongoDB or Grafana is shown to change no file when they cannot be
 * reached; their logic is unit-tested in mongo-init/test.
 */
interface Service {
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  user?: string;
  profiles?: string[];
}
const compose = repoYaml('docker-compose.yml') as { services: Record<string, Service> };
const tools = compose.services.tools!;
const isRoot = process.getuid?.() === 0;
const newFolder = temporaryFolders('rotation-');

/** A secrets volume as the secrets service leaves it. */
function generated(): string {
  const folder = newFolder();
  const run = spawnSync('sh', [join(REPO, 'mongo-init/generate-secrets.sh'), folder], {
    cwd: REPO,
    encoding: 'utf8',
  });
  if (run.status !== 0) throw new Error(run.stderr);
  return folder;
}

/** The tools service's entrypoint with `args`, as `docker compose run --rm tools ...args`. */
function tool(folder: string, ...args: string[]) {
  // Nothing answers at these addresses: MongoDB and Grafana are "down".
  const env: Record<string, string | undefined> = {
    ...process.env,
    ...tools.environment,
    MONGO_MEMBERS: '127.0.0.1:9',
    MONGO_URL: 'mongodb://127.0.0.1:9/?replicaSet=rs0',
    GRAFANA_URL: 'http://127.0.0.1:9',
    MONGO_INIT_TIMEOUT_MS: '1000',
    STORE_TIMEOUT_MS: '1000',
  };
  for (const [name, value] of Object.entries(env))
    if (value?.startsWith('/secrets/')) env[name] = join(folder, value.slice('/secrets/'.length));
  return runEntrypoint(tools.entrypoint ?? [], { secrets: folder, args, env });
}

const read = (folder: string, name: string) => readFileSync(join(folder, name), 'utf8');
const owner = (folder: string, name: string) => {
  const { uid, gid, mode } = statSync(join(folder, name));
  return { uid, gid, mode: mode & 0o777 };
};
const SECRETS = [...repoText('mongo-init/generate-secrets.sh').matchAll(/^secret (\S+) /gm)].map(
  ([, name]) => name ?? '',
);

const asRoot = isRoot ? it : it.skip;
if (!isRoot)
  process.stdout.write('\nrotation tests skipped: they need root (chown), as in Compose.\n');

describe('docker compose run --rm tools --rotate NAME', () => {
  it('is a tool started on demand only, as root, over the secrets volume it may write', () => {
    expect(tools).toMatchObject({ profiles: ['tools'], user: '0:0' });
    expect(tools.volumes).toContain('secrets:/secrets');
  });

  asRoot.each([
    // Every replica of each service, however many run.
    ['internal-token', 'docker compose restart gateway aggregator'],
    ['mongo-keyfile', 'docker compose restart mongo1 mongo2 mongo3'],
  ])('replaces %s alone, keeps who may read it, and says what to restart', (name, restart) => {
    const folder = generated();
    const before = Object.fromEntries(SECRETS.map((secret) => [secret, read(folder, secret)]));
    const access = owner(folder, name);
    const run = tool(folder, '--rotate', name);
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`rotated ${name}`);
    expect(run.stdout).toContain(`next: ${restart}`);
    for (const secret of SECRETS)
      expect({ secret, changed: read(folder, secret) !== before[secret] }).toEqual({
        secret,
        changed: secret === name,
      });
    expect(read(folder, name)).toHaveLength(before[name]!.length);
    expect(owner(folder, name)).toEqual(access);
  });

  asRoot(
    'rotates the master key in three steps: new first beside the old, then the new alone',
    () => {
      const folder = generated();
      const old = parseMasterKeys(read(folder, 'data-key'), 'old').current;
      const begun = tool(folder, '--rotate', 'data-key');
      expect(begun.status).toBe(0);
      expect(begun.stdout).toContain(
        'then: docker compose run --rm tools --rotate data-key-rewrap',
      );
      const during = parseMasterKeys(read(folder, 'data-key'), 'during');
      expect(during.current.id).not.toBe(old.id);
      expect([...during.byId.keys()]).toEqual([during.current.id, old.id]);
      // The re-wrap needs the stack's MongoDB; without one it fails, and the file stays as it is.
      const rewrap = tool(folder, '--rotate', 'data-key-rewrap');
      expect(rewrap.status).not.toBe(0);
      expect(parseMasterKeys(read(folder, 'data-key'), 'after').byId.size).toBe(2);
      const finished = tool(folder, '--rotate', 'data-key-finish');
      expect(finished.status).toBe(0);
      const after = parseMasterKeys(read(folder, 'data-key'), 'after');
      expect([...after.byId.keys()]).toEqual([during.current.id]);
      expect(owner(folder, 'data-key')).toEqual({ uid: 1000, gid: 1000, mode: 0o400 });
    },
  );

  asRoot(
    'rotates the token signing key, and still publishes the one it replaced until the next rotation',
    async () => {
      const folder = generated();
      const previous = JSON.parse(read(folder, 'token-signing-key')) as JWK;
      const signed = await new SignJWT({ scope: 'users:read' })
        .setProtectedHeader({ alg: 'ES256', kid: previous.kid!, typ: 'at+jwt' })
        .setIssuer('i')
        .setAudience('a')
        .setExpirationTime('5m')
        .sign(await importJWK(previous, 'ES256'));
      expect(tool(folder, '--rotate', 'token-signing-key').stdout).toContain(
        'next: docker compose restart gateway',
      );
      const current = JSON.parse(read(folder, 'token-signing-key')) as JWK;
      expect(current.kid).not.toBe(previous.kid);
      const jwks = JSON.parse(read(folder, 'token-jwks.json')) as { keys: JWK[] };
      expect(jwks.keys.map((key) => key.kid)).toEqual([current.kid, previous.kid]);
      expect(jwks.keys.some((key) => 'd' in key)).toBe(false);
      // A token the old key signed is still taken by a gateway reading the new JWKS.
      await expect(
        jwtVerify(signed, createLocalJWKSet(jwks), { issuer: 'i', audience: 'a' }),
      ).resolves.toBeDefined();
      expect(owner(folder, 'token-signing-key.previous')).toEqual({ uid: 0, gid: 0, mode: 0o400 });
    },
  );

  asRoot.each(['mongo-root-password', 'mongo-service-password', 'grafana-admin-password'])(
    'changes no file of %s while what must take the new one first (MongoDB, Grafana) cannot be reached; a later run finishes with the same new value',
    (name) => {
      const folder = generated();
      const before = read(folder, name);
      const run = tool(folder, '--rotate', name);
      expect(run.status).not.toBe(0);
      expect(read(folder, name)).toBe(before);
      const pending = read(folder, `${name}.next`);
      expect(owner(folder, `${name}.next`)).toEqual({ uid: 0, gid: 0, mode: 0o400 });
      tool(folder, '--rotate', name);
      expect(read(folder, `${name}.next`)).toBe(pending);
    },
  );

  asRoot('refuses a name it does not know, with the list it takes', () => {
    const run = tool(generated(), '--rotate', 'everything');
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(/^--rotate takes one of: mongo-keyfile .* data-key-finish$/m);
  });
});

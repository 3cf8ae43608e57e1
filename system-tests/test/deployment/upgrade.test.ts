import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { temporaryFolders } from '@user-service/test-support';
import { join } from 'node:path';
import { runEntrypoint } from './compose-entrypoint';
import { repoText, repoYaml } from './repo-files';

/**
 * Upgrading a stack in place (`docker compose up -d --build`): the secrets volume of the release
 * before access tokens and separate uids, as that release's script left it (1789784: its names,
 * owners and modes), then taken by this release's secrets service as Compose runs it.
 */
const PREVIOUS_RELEASE: ReadonlyArray<
  readonly [name: string, uid: number, gid: number, mode: number, value: string]
> = [
  ['mongo-keyfile', 999, 999, 0o400, randomBytes(756).toString('base64')],
  ['mongo-root-password', 999, 1000, 0o440, 'A'.repeat(16) + 'b'.repeat(16)],
  ['mongo-service-password', 1000, 1000, 0o400, 'C'.repeat(32)],
  ['internal-token', 1000, 1000, 0o400, 'D'.repeat(32)],
  ['data-key', 1000, 1000, 0o400, randomBytes(32).toString('base64')],
  ['grafana-admin-password', 472, 0, 0o400, 'E'.repeat(32)],
];
const compose = repoYaml('docker-compose.yml') as {
  services: Record<string, { entrypoint?: string[] }>;
};
const isRoot = process.getuid?.() === 0;
const folder = temporaryFolders('upgrade-');
const secretsService = (into: string) =>
  runEntrypoint(compose.services.secrets?.entrypoint ?? [], { secrets: into });
const access = (path: string) => {
  const { uid, gid, mode } = statSync(path);
  return { uid, gid, mode: mode & 0o777 };
};
const names = [...repoText('mongo-init/generate-secrets.sh').matchAll(/^secret (\S+) /gm)].map(
  ([, name]) => name ?? '',
);

(isRoot ? describe : describe.skip)('upgrading the secrets volume of the previous release', () => {
  it('keeps every secret it holds, adds what this release needs, and gives each file the readers it has now', () => {
    const old = folder();
    for (const [name, uid, gid, mode, value] of PREVIOUS_RELEASE) {
      writeFileSync(join(old, name), value);
      chownSync(join(old, name), uid, gid);
      chmodSync(join(old, name), mode);
    }

    const upgraded = secretsService(old);
    expect({ status: upgraded.status, stderr: upgraded.stderr }).toEqual({ status: 0, stderr: '' });
    for (const [name, , , , value] of PREVIOUS_RELEASE)
      expect({ name, kept: readFileSync(join(old, name), 'utf8') === value }).toEqual({
        name,
        kept: true,
      });
    expect(upgraded.stdout).toContain('generated token-signing-key');

    // Who reads each file is what a fresh volume of this release says.
    const fresh = folder();
    expect(secretsService(fresh).status).toBe(0);
    for (const name of [...names, 'token-jwks.json'])
      expect({ name, access: access(join(old, name)) }).toEqual({
        name,
        access: access(join(fresh, name)),
      });
  });
});
if (!isRoot)
  process.stdout.write('\nupgrade tests skipped: they need root (chown), as in Compose.\n');

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { REPO, startLauncher, stopLauncher } from './launcher-process';

/**
 * `AUTH=local npm start`, then `npm run token`, as the README shows them: the API asks for access
 * tokens as it does in Compose, and the token the command prints is one it takes.
 */
const folder = mkdtempSync(join(tmpdir(), 'local-issuer-'));
const keyFile = join(folder, 'token-signing-key');
afterAll(() => rmSync(folder, { recursive: true, force: true }));

function npmRunToken(...args: string[]): string {
  return execFileSync('npm', ['run', '--silent', 'token', '--', ...args], {
    cwd: REPO,
    env: { ...process.env, AUTH_SIGNING_KEY_FILE: keyFile },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();
}

describe('AUTH=local npm start, and npm run token', () => {
  it('asks every API request for a token, and takes the one npm run token prints, for its scopes only', async () => {
    const { child, api } = await startLauncher({ AUTH: 'local', AUTH_SIGNING_KEY_FILE: keyFile });
    try {
      // The signing key is its owner's alone; the JWKS beside it is public.
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(readFileSync(join(folder, 'token-jwks.json'), 'utf8')).not.toMatch(/"d":/);
      const users = new URL('/api/user', api);
      const anonymous = await fetch(users);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toMatch(/^Bearer /);

      const token = npmRunToken('--scope', 'users:read users:write');
      const authorization = { authorization: `Bearer ${token}` };
      const created = await fetch(users, {
        method: 'POST',
        headers: { ...authorization, 'content-type': 'application/json' },
        body: JSON.stringify({ id: 'local-1', name: 'Ada', email: 'ada@example.com', group: 1 }),
      });
      expect(created.status).toBe(201);
      expect(
        (await fetch(new URL('/api/user/local-1', api), { headers: authorization })).status,
      ).toBe(200);
      const erase = await fetch(new URL('/api/user/local-1/personal-data', api), {
        method: 'DELETE',
        headers: authorization,
      });
      expect(erase.status).toBe(403);
      expect(erase.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
    } finally {
      await stopLauncher(child);
    }
  }, 90_000);

  it('keeps its signing key from one start to the next: a token printed before a restart still works', async () => {
    const token = npmRunToken('--scope', 'users:read');
    const { child, api } = await startLauncher({ AUTH: 'local', AUTH_SIGNING_KEY_FILE: keyFile });
    try {
      const read = await fetch(new URL('/api/user', api), {
        headers: { authorization: `Bearer ${token}` },
      });
      expect(read.status).toBe(200);
    } finally {
      await stopLauncher(child);
    }
  }, 90_000);

  it('refuses a scope it does not know, with one line saying which it takes', () => {
    expect(() => npmRunToken('--scope', 'users:everything')).toThrow(
      /--scope takes some of users:read, users:write, users:erase, users:admin/,
    );
  });
});

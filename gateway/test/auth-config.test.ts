import { ConfigError } from '@user-service/common/config';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopback, readAccessTokenSettings } from '../src/auth-config';

const dir = mkdtempSync(join(tmpdir(), 'auth-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const jwks = join(dir, 'jwks.json');
writeFileSync(jwks, JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] }));
const issuer = { AUTH_ISSUER: 'https://issuer.example', AUTH_AUDIENCE: 'user-service' };

describe('access token settings (AUTH_*)', () => {
  it('asks for no token on a loopback address, and refuses any other address unless AUTH=none', () => {
    for (const host of ['127.0.0.1', '127.0.0.2', '::1'])
      expect(readAccessTokenSettings({}, host)).toBeUndefined();
    for (const host of ['0.0.0.0', '::', '10.1.2.3']) {
      expect(() => readAccessTokenSettings({}, host)).toThrow(ConfigError);
      expect(() => readAccessTokenSettings({}, host)).toThrow(
        `HOST=${host} opens the API to other machines, and no access token is checked`,
      );
      expect(readAccessTokenSettings({ AUTH: 'none' }, host)).toBeUndefined();
    }
  });

  it('reads a JWKS file, or takes a JWKS URL, with the issuer and audience every token must name', () => {
    expect(readAccessTokenSettings({ AUTH_JWKS_FILE: jwks, ...issuer }, '0.0.0.0')).toEqual({
      keys: { file: { keys: [{ kty: 'EC', crv: 'P-256', x: 'x', y: 'y' }] } },
      issuer: 'https://issuer.example',
      audience: 'user-service',
    });
    const url = 'https://issuer.example/.well-known/jwks.json';
    expect(readAccessTokenSettings({ AUTH_JWKS_URL: url, ...issuer }, '0.0.0.0')).toEqual({
      keys: { url: new URL(url) },
      issuer: 'https://issuer.example',
      audience: 'user-service',
    });
  });

  it.each([
    [{ AUTH_JWKS_FILE: jwks, AUTH_JWKS_URL: 'https://a.example/jwks', ...issuer }, /both set/],
    [{ AUTH_JWKS_FILE: jwks }, /needs AUTH_ISSUER and AUTH_AUDIENCE/],
    [{ AUTH_JWKS_FILE: jwks, AUTH_ISSUER: 'https://issuer.example' }, /needs AUTH_ISSUER/],
    [issuer, /need AUTH_JWKS_FILE or AUTH_JWKS_URL/],
    [{ AUTH_JWKS_FILE: jwks, ...issuer, AUTH: 'none' }, /contradict/],
    [{ AUTH: 'off' }, /AUTH must be none/],
    [{ AUTH_JWKS_URL: 'ftp://a.example/jwks', ...issuer }, /must be an http\(s\) URL/],
    [{ AUTH_JWKS_FILE: join(dir, 'missing.json'), ...issuer }, /is not a readable JSON file/],
  ])('refuses %j in one message', (env, message) => {
    expect(() => readAccessTokenSettings(env, '127.0.0.1')).toThrow(message);
  });

  it('refuses a JWKS file without keys', () => {
    const empty = join(dir, 'empty.json');
    writeFileSync(empty, '{"keys":[]}');
    expect(() => readAccessTokenSettings({ AUTH_JWKS_FILE: empty, ...issuer }, '::1')).toThrow(
      /holds no JWKS/,
    );
  });

  it('counts 127.0.0.0/8 and ::1 as loopback, and nothing else', () => {
    expect(['127.0.0.1', '127.255.0.9', '::1'].map(isLoopback)).toEqual([true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', '::ffff:127.0.0.1'].map(isLoopback)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});

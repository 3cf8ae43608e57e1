import { ConfigError } from '@user-service/common/config';
import { temporaryFolders } from '@user-service/test-support';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { withLocalIssuer } from '../src/local-issuer';

const folder = temporaryFolders('local-issuer-');
const keyFileIn = () => join(folder(), 'token-signing-key');

describe('AUTH=local: npm start as its own token issuer', () => {
  it('leaves any other setting to the gateway', async () => {
    const env = { AUTH: 'none', HOST: '0.0.0.0' };
    expect(await withLocalIssuer(env)).toBe(env);
  });

  it('makes a signing key once, and has the gateway verify with its public JWKS', async () => {
    const keyFile = keyFileIn();
    const env = await withLocalIssuer({ AUTH: 'local', AUTH_SIGNING_KEY_FILE: keyFile });
    expect(env).toEqual({
      AUTH: undefined,
      AUTH_SIGNING_KEY_FILE: keyFile,
      AUTH_JWKS_FILE: join(keyFile, '../token-jwks.json'),
      AUTH_ISSUER: 'urn:user-service:local-issuer',
      AUTH_AUDIENCE: 'user-service',
    });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    const key = readFileSync(keyFile, 'utf8');
    const kid = (JSON.parse(key) as { kid: string }).kid;
    const jwks = JSON.parse(readFileSync(env.AUTH_JWKS_FILE ?? '', 'utf8')) as {
      keys: { kid: string; d?: string }[];
    };
    expect(jwks.keys.map((published) => [published.kid, published.d])).toEqual([[kid, undefined]]);

    await withLocalIssuer({ AUTH: 'local', AUTH_SIGNING_KEY_FILE: keyFile });
    expect(readFileSync(keyFile, 'utf8')).toBe(key);
  });

  it('refuses AUTH=local beside another issuer’s keys', async () => {
    const env = {
      AUTH: 'local',
      AUTH_JWKS_URL: 'https://issuer.example/jwks',
      AUTH_SIGNING_KEY_FILE: keyFileIn(),
    };
    await expect(withLocalIssuer(env)).rejects.toThrow(ConfigError);
  });
});

import { decodeProtectedHeader } from 'jose';
import { accessTokenVerifier } from '../src/access-tokens';
import {
  newSigningKey,
  parseSigningKey,
  publicKeySetOf,
  signAccessToken,
} from '../src/signing-key';

const request = {
  issuer: 'urn:user-service:compose',
  audience: 'user-service',
  scopes: ['users:read', 'users:erase'] as const,
  lifetimeSeconds: 60,
  subject: 'developer',
};

describe('the deployment’s own token issuer', () => {
  it('signs access tokens that a gateway given its JWKS takes, with the scopes asked for', async () => {
    const key = await newSigningKey();
    const token = await signAccessToken(key, request);
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'ES256', kid: key.kid, typ: 'at+jwt' });
    const check = accessTokenVerifier({
      keys: { file: await publicKeySetOf(key) },
      issuer: request.issuer,
      audience: request.audience,
    });
    expect([...(await check(token))]).toEqual(['users:read', 'users:erase']);
  });

  it('publishes the public half alone, and a token of another key is refused', async () => {
    const [key, other] = [await newSigningKey(), await newSigningKey()];
    const jwks = await publicKeySetOf(key);
    expect(jwks.keys).toHaveLength(1);
    expect(jwks.keys[0]).not.toHaveProperty('d');
    expect(jwks.keys[0]).toMatchObject({ kid: key.kid, alg: 'ES256', use: 'sig' });
    const check = accessTokenVerifier({
      keys: { file: jwks },
      issuer: request.issuer,
      audience: request.audience,
    });
    await expect(check(await signAccessToken(other, request))).rejects.toThrow();
  });

  it('refuses a key file that holds no private ES256 key, naming the file', async () => {
    const { keys } = await publicKeySetOf(await newSigningKey());
    expect(() => parseSigningKey('not json', '/run/secrets/token-signing-key')).toThrow(
      '/run/secrets/token-signing-key is not JSON',
    );
    expect(() => parseSigningKey(JSON.stringify(keys[0]), 'key')).toThrow(
      'key holds no ES256 private key with a kid',
    );
    const key = await newSigningKey();
    expect(parseSigningKey(JSON.stringify(key), 'key')).toEqual(key);
  });
});

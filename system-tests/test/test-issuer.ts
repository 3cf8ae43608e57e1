import type { AccessTokenSettings } from '@user-service/gateway';
import { exportJWK, generateKeyPair, type JWK, type KeyLike, SignJWT } from 'jose';

/**
 * An authorization server for tests: signing keys, the settings a gateway verifies their tokens
 * with, and access tokens as such a server issues them (RFC 9068).
 */
export const ISSUER = 'https://issuer.test';
export const AUDIENCE = 'user-service';

export interface SigningKey {
  readonly alg: 'ES256' | 'RS256';
  readonly kid: string;
  readonly privateKey: KeyLike;
  readonly jwk: JWK;
}

export async function signingKey(alg: 'ES256' | 'RS256', kid: string): Promise<SigningKey> {
  const { privateKey, publicKey } = await generateKeyPair(alg);
  return { alg, kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' } };
}

/** An access token as an authorization server issues one (RFC 9068), changed by `overrides`. */
export function token(
  key: SigningKey,
  scope: string,
  overrides: {
    issuer?: string;
    audience?: string;
    notBefore?: number;
    typ?: string;
    expiresIn?: string | number;
  } = {},
): Promise<string> {
  const signed = new SignJWT({ scope, client_id: 'test-client' })
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: overrides.typ ?? 'at+jwt' })
    .setIssuer(overrides.issuer ?? ISSUER)
    .setAudience(overrides.audience ?? AUDIENCE)
    .setSubject('someone')
    .setIssuedAt()
    .setExpirationTime(overrides.expiresIn ?? '5m');
  if (overrides.notBefore !== undefined) signed.setNotBefore(overrides.notBefore);
  return signed.sign(key.privateKey);
}

/** The settings of a gateway that takes the tokens `keys` sign. */
export function settingsFor(...keys: readonly SigningKey[]): AccessTokenSettings {
  return {
    keys: { file: { keys: keys.map((key) => key.jwk) } },
    issuer: ISSUER,
    audience: AUDIENCE,
  };
}

import { createPublicKey, KeyObject, randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import {
  calculateJwkThumbprint,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  SignJWT,
} from 'jose';
import type { Scope } from './access-tokens';

/**
 * The signing key of a small token issuer for a deployment that has no authorization server of its
 * own (Compose, `npm start` with AUTH=local): one ES256 key pair, kept as a private JWK, whose
 * public half the gateways verify with (AUTH_JWKS_FILE). A real issuer replaces all of it.
 */
export const LOCAL_ISSUER = 'urn:user-service:local-issuer';
export const LOCAL_AUDIENCE = 'user-service';
/**
 * Where `AUTH=local npm start` keeps its signing key and `npm run token` reads it, unless
 * AUTH_SIGNING_KEY_FILE says otherwise: ./.data of the repository (gateway/dist/../../.data).
 */
export const LOCAL_SIGNING_KEY_FILE = resolve(__dirname, '../../.data/token-signing-key');

/** An ES256 private key as a JWK, named by `kid`. */
export type SigningKey = JWK & { readonly kid: string };

/** A new ES256 private key as a JWK, named (`kid`) by its RFC 7638 thumbprint. */
export async function newSigningKey(): Promise<SigningKey> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const jwk = await exportJWK(privateKey);
  return { ...jwk, kid: await calculateJwkThumbprint(jwk), alg: 'ES256', use: 'sig' };
}

/** The JWKS a gateway verifies this key's tokens with: its public half alone. */
export async function publicKeySetOf(signingKey: SigningKey): Promise<{ keys: JWK[] }> {
  const privateKey = await importJWK(signingKey, 'ES256');
  if (!(privateKey instanceof KeyObject)) throw new Error('not an ES256 private key');
  const publicJwk = await exportJWK(createPublicKey(privateKey));
  return { keys: [{ ...publicJwk, kid: signingKey.kid, alg: 'ES256', use: 'sig' }] };
}

/** Reads a private JWK as written by `newSigningKey`; throws a one-line error for anything else. */
export function parseSigningKey(text: string, source: string): SigningKey {
  let jwk: unknown;
  try {
    jwk = JSON.parse(text);
  } catch {
    throw new Error(`${source} is not JSON: expected the private JWK the secrets service made`);
  }
  const key = jwk as Partial<JWK> | null;
  if (key?.kty !== 'EC' || key.crv !== 'P-256' || typeof key.d !== 'string' || !key.kid)
    throw new Error(`${source} holds no ES256 private key with a kid`);
  return key as SigningKey;
}

export interface TokenRequest {
  readonly issuer: string;
  readonly audience: string;
  readonly scopes: readonly Scope[];
  /** Seconds the token is valid for. */
  readonly lifetimeSeconds: number;
  /** Who the token speaks for (`sub`). */
  readonly subject: string;
}

/** An access token in the JWT profile (RFC 9068) signed with `signingKey`. */
export async function signAccessToken(
  signingKey: SigningKey,
  request: TokenRequest,
): Promise<string> {
  const privateKey = await importJWK(signingKey, 'ES256');
  return new SignJWT({ scope: request.scopes.join(' '), client_id: 'user-service-token' })
    .setProtectedHeader({ alg: 'ES256', kid: signingKey.kid, typ: 'at+jwt' })
    .setIssuer(request.issuer)
    .setAudience(request.audience)
    .setSubject(request.subject)
    .setJti(randomUUID())
    .setIssuedAt()
    .setExpirationTime(`${request.lifetimeSeconds}s`)
    .sign(privateKey);
}

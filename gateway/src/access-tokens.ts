import { problems } from '@user-service/common/http';
import type { RequestHandler } from 'express';
import { createLocalJWKSet, createRemoteJWKSet, type JSONWebKeySet, jwtVerify } from 'jose';

/**
 * What a route asks of an access token: reading users, changing them, erasing a person, and
 * administering the service (no route asks for it yet; it is reserved, so that no token issued
 * for the others ever grants it).
 */
export const SCOPES = ['users:read', 'users:write', 'users:erase', 'users:admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Where the keys that sign access tokens are published, and what the tokens must say. */
export interface AccessTokenSettings {
  /** A JWKS read once at start (AUTH_JWKS_FILE), or fetched and cached (AUTH_JWKS_URL). */
  readonly keys: { readonly file: JSONWebKeySet } | { readonly url: URL };
  /** The `iss` every token must carry (AUTH_ISSUER). */
  readonly issuer: string;
  /** An `aud` every token must carry (AUTH_AUDIENCE): this API. */
  readonly audience: string;
}

/** How far a token's times may be off this machine's clock: clocks of two hosts drift. */
const CLOCK_TOLERANCE_SECONDS = 30;
/** Tokens remembered as verified at most; the first verified go first. */
const VERIFIED_TOKENS = 10_000;
/** RFC 6750 §2.1: `Bearer` and a b64token. */
const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*)$/i;

/**
 * Checks an OAuth 2.0 access token in the JWT profile (RFC 9068): signed with ES256 or RS256 by a
 * key of the issuer's JWKS, `typ` `at+jwt`, from the configured issuer, for this audience, within
 * its `nbf` and `exp`; answers the scopes it grants (the space-separated `scope` claim). Throws
 * for any other token: jose's checks, never hand-written ones.
 */
export function accessTokenVerifier(
  settings: AccessTokenSettings,
  now: () => number = Date.now,
): TokenCheck {
  const keys =
    'file' in settings.keys
      ? createLocalJWKSet(settings.keys.file)
      : createRemoteJWKSet(settings.keys.url);
  // A client sends the same token with every request until it expires, and a signature check
  // costs more than the rest of a read: a token verified once is taken until its `exp` (a key
  // the issuer withdraws meanwhile is noticed by tokens not yet seen; tokens are short-lived).
  const verified = new Map<
    string,
    { readonly scopes: ReadonlySet<string>; readonly expiresAt: number }
  >();
  const verify = async (token: string): Promise<ReadonlySet<string>> => {
    verified.delete(token);
    const { payload } = await jwtVerify(token, keys, {
      issuer: settings.issuer,
      audience: settings.audience,
      algorithms: ['ES256', 'RS256'],
      typ: 'at+jwt',
      requiredClaims: ['exp'],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    });
    const scope = typeof payload.scope === 'string' ? payload.scope : '';
    const scopes = new Set(scope.split(' ').filter((granted) => granted !== ''));
    // `exp` is required, so present; the tolerance is not extended to the remembered token.
    verified.set(token, { scopes, expiresAt: (payload.exp ?? 0) * 1000 });
    if (verified.size > VERIFIED_TOKENS) {
      const oldest = verified.keys().next().value;
      if (oldest !== undefined) verified.delete(oldest);
    }
    return scopes;
  };
  // A token seen before is answered at once, without a promise: most requests take this path.
  return (token) => {
    const known = verified.get(token);
    return known && now() < known.expiresAt ? known.scopes : verify(token);
  };
}

/** The scopes a token grants: at once for one verified before, else once verified; throws if it is not valid. */
export type TokenCheck = (token: string) => ReadonlySet<string> | Promise<ReadonlySet<string>>;

/**
 * The guard of a route that needs `scope`: 401 bearer-token-required without a valid token, 403
 * insufficient-scope with one that does not grant it. It runs before the body is read: a caller
 * without a token learns nothing about what its request would have done.
 */
export function requireScope(check: TokenCheck): (scope: Scope) => RequestHandler {
  return (scope) => (req, _res, next) => {
    const header = req.get('authorization');
    if (header === undefined) throw problems.bearerTokenRequired(false);
    const token = BEARER.exec(header)?.[1];
    if (token === undefined) throw problems.bearerTokenRequired(true);
    const granted = check(token);
    if (!(granted instanceof Promise)) return grant(granted, scope, next);
    return granted.then(
      (scopes) => grant(scopes, scope, next),
      () => {
        throw problems.bearerTokenRequired(true);
      },
    );
  };
}

function grant(scopes: ReadonlySet<string>, scope: Scope, next: () => void): void {
  if (!scopes.has(scope)) throw problems.insufficientScope(scope);
  next();
}
